/**
 * `.ci/run`'s verdict (scripts/ci-summary.ts) on hand-made vitest JSON reports: what counts as passed,
 * failed and skipped, when the exit status is 1, and the allowed-skips file. The command itself runs from
 * dist/ as `.ci/run` calls it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllowedSkips, readReport, summarise, type AllowedSkip, type VitestReport } from '../../scripts/ci-summary.js';
import { packageRoot } from '../../src/paths.js';

const ROOT = '/repo';
const dir = mkdtempSync(path.join(tmpdir(), 'rbench-ci-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type File = VitestReport['testResults'][number];
type Status = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';

/** A file result as vitest's JSON reporter writes it; `tests` are [suite path..., title, status]. */
function file(name: string, tests: Array<[string[], string, Status]>, extra: Partial<File> = {}): File {
  const failed = tests.some(([, , s]) => s === 'failed');
  return {
    name: path.join(ROOT, name),
    status: failed ? 'failed' : 'passed',
    message: '',
    assertionResults: tests.map(([ancestorTitles, title, status]) => ({
      ancestorTitles,
      title,
      status,
      failureMessages: status === 'failed' ? [`AssertionError: expected 1 to be 2\n    at ${name}:4:31`] : [],
    })),
    ...extra,
  };
}

const report = (...files: File[]): VitestReport => ({ testResults: files });
const run = (r: unknown, allowed: AllowedSkip[] = [], extra: { failedSteps?: string[]; testExit?: number } = {}) =>
  summarise({ report: r, root: ROOT, allowed, ...extra });

const green = file('test/a.test.ts', [
  [['suite'], 'one', 'passed'],
  [['suite', 'inner'], 'two', 'passed'],
  [[], 'three', 'passed'],
]);

describe('summarise', () => {
  it('all passed: exit 0, and the count line', () => {
    const s = run(report(green), [], { testExit: 0 });
    expect(s).toEqual({ passed: 3, failed: 0, skipped: 0, problems: [], allowedSkips: [], stale: [], exitCode: 0, line: '3 passed, 0 failed, 0 skipped' });
  });

  it('a failed test: counted, named with its first message line, exit 1', () => {
    const s = run(report(green, file('test/b.test.ts', [[['s'], 'breaks', 'failed'], [['s'], 'fine', 'passed']])), [], { testExit: 1 });
    expect(s.line).toBe('4 passed, 1 failed, 0 skipped');
    expect(s.problems).toEqual(['failed: test/b.test.ts > s > breaks: AssertionError: expected 1 to be 2']);
    expect(s.exitCode).toBe(1);
  });

  it('a file that failed to load (no test in it) is one failure naming the file and the error', () => {
    const broken: File = { name: path.join(ROOT, 'test/c.test.ts'), status: 'failed', message: "Cannot find module './gone.js' imported from /repo/test/c.test.ts", assertionResults: [] };
    const s = run(report(green, broken), [], { testExit: 1 });
    expect(s.line).toBe('3 passed, 1 failed, 0 skipped');
    expect(s.problems).toEqual(["file failed: test/c.test.ts: Cannot find module './gone.js' imported from /repo/test/c.test.ts"]);
    expect(s.exitCode).toBe(1);
  });

  it('a failed hook: vitest marks the tests skipped and the file failed, with an empty message', () => {
    const hook = file('test/d.test.ts', [[['hooked'], 't1', 'skipped'], [['hooked'], 't2', 'skipped']], { status: 'failed', message: '' });
    const s = run(report(hook), [], { testExit: 1 });
    expect(s.line).toBe('0 passed, 1 failed, 2 skipped');
    expect(s.problems).toEqual([
      'skipped without a listed reason: test/d.test.ts > hooked > t1',
      'skipped without a listed reason: test/d.test.ts > hooked > t2',
      'file failed: test/d.test.ts: no test failed in it: a hook or the file itself failed (see the output above)',
    ]);
    expect(s.exitCode).toBe(1);
  });

  it('a skip without a listed reason fails the run without counting as a failure; skip, pending and todo all count', () => {
    const s = run(report(green, file('test/e.test.ts', [[[], 'later', 'todo'], [['x'], 'skipped one', 'skipped'], [['x'], 'pending one', 'pending']])), [], { testExit: 0 });
    expect(s.line).toBe('3 passed, 0 failed, 3 skipped');
    expect(s.problems).toEqual([
      'skipped without a listed reason: test/e.test.ts > later',
      'skipped without a listed reason: test/e.test.ts > x > skipped one',
      'skipped without a listed reason: test/e.test.ts > x > pending one',
    ]);
    expect(s.exitCode).toBe(1);
  });

  it('a skip listed with a reason passes; an entry that did not skip is reported stale, without failing', () => {
    const allowed = parseAllowedSkips('test/e.test.ts > x > skipped one -- needs a GPU\ntest/a.test.ts > gone -- was flaky\n', '.ci/allowed-skips');
    const s = run(report(green, file('test/e.test.ts', [[['x'], 'skipped one', 'skipped']])), allowed, { testExit: 0 });
    expect(s.line).toBe('3 passed, 0 failed, 1 skipped');
    expect(s.allowedSkips).toEqual(['test/e.test.ts > x > skipped one (needs a GPU)']);
    expect(s.stale).toEqual(['line 2: test/a.test.ts > gone']);
    expect(s.problems).toEqual([]);
    expect(s.exitCode).toBe(0);
  });

  it('an empty report, a missing report and a report of another shape are failures', () => {
    expect(run(report())).toMatchObject({ line: '0 passed, 1 failed, 0 skipped', problems: ['the report holds no test'], exitCode: 1 });
    const missing = readReport(path.join(dir, 'nope.json'));
    expect(missing).toMatch(/^cannot read .*nope\.json: ENOENT/);
    expect(run(missing)).toMatchObject({ line: '0 passed, 1 failed, 0 skipped', exitCode: 1 });
    expect(run(missing).problems[0]).toMatch(/^no usable test report: cannot read /);
    const empty = path.join(dir, 'empty.json');
    writeFileSync(empty, '');
    expect(readReport(empty)).toBe(`${empty} is empty (vitest did not write its report)`);
    expect(run({ numPassedTests: 3 })).toMatchObject({ problems: ['no usable test report: not a vitest JSON report (testResults: Invalid input: expected array, received undefined)'], exitCode: 1 });
  });

  it('a failed step and a non-zero vitest exit without a failed test are failures', () => {
    expect(run(report(green), [], { failedSteps: ['type check'], testExit: 0 })).toMatchObject({ line: '3 passed, 1 failed, 0 skipped', problems: ['failed step: type check'], exitCode: 1 });
    expect(run(report(green), [], { testExit: 1 })).toMatchObject({ line: '3 passed, 1 failed, 0 skipped', problems: ['vitest exited with status 1 although no test failed'], exitCode: 1 });
  });
});

describe('parseAllowedSkips', () => {
  it('reads `<id> -- <reason>` lines, ignoring comments and blank lines', () => {
    expect(parseAllowedSkips('# comment\n\n  test/a.test.ts > s > t -- no GPU here -- really  \r\n', 'f')).toEqual([{ id: 'test/a.test.ts > s > t', reason: 'no GPU here -- really', line: 3 }]);
  });

  it('rejects an entry without a reason and a test listed twice, naming the line', () => {
    expect(() => parseAllowedSkips('test/a.test.ts > t\n', '.ci/allowed-skips')).toThrow('.ci/allowed-skips:1: an entry is `<file> > <suite> > <test> -- <reason>`');
    expect(() => parseAllowedSkips('x -- \n', 'f')).toThrow(/^f:1: /);
    expect(() => parseAllowedSkips('x -- a\n# c\nx -- b\n', 'f')).toThrow('f:3: "x" is listed twice.');
  });

  it('the committed .ci/allowed-skips parses, and each entry names a test file that exists', () => {
    const f = path.join(packageRoot(), '.ci', 'allowed-skips');
    let entries: AllowedSkip[] = [];
    expect(() => (entries = parseAllowedSkips(readFileSync(f, 'utf8'), f))).not.toThrow();
    for (const e of entries) expect(existsSync(path.join(packageRoot(), e.id.split(' > ')[0])), `${f}:${e.line}`).toBe(true);
  });
});

describe('the command (dist/scripts/ci-summary.js, as .ci/run calls it)', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(packageRoot(), 'dist', 'scripts', 'ci-summary.js'), ...args], { encoding: 'utf8' });
    return { code: r.status, lines: r.stdout.trimEnd().split('\n'), stderr: r.stderr };
  };
  const write = (name: string, text: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('passes a green report with the count line last, and fails on a skip unless listed', () => {
    const green2 = write('green.json', JSON.stringify(report(green)));
    expect(cli('--report', green2, '--root', ROOT, '--test-exit', '0')).toEqual({ code: 0, lines: ['3 passed, 0 failed, 0 skipped'], stderr: '' });
    const skip = write('skip.json', JSON.stringify(report(green, file('test/e.test.ts', [[['x'], 'later', 'skipped']]))));
    const failedRun = cli('--report', skip, '--root', ROOT, '--test-exit', '0');
    expect(failedRun).toEqual({ code: 1, lines: ['skipped without a listed reason: test/e.test.ts > x > later', '3 passed, 0 failed, 1 skipped'], stderr: '' });
    const list = write('allowed', 'test/e.test.ts > x > later -- waits for the model server\n');
    const allowedRun = cli('--report', skip, '--root', ROOT, '--allowed-skips', list);
    expect(allowedRun.code).toBe(0);
    expect(allowedRun.lines.at(-1)).toBe('3 passed, 0 failed, 1 skipped');
    expect(allowedRun.lines).toContain('  test/e.test.ts > x > later (waits for the model server)');
  });

  it('fails with the count line last on a missing report, a failed step, a bad allowed-skips file and bad arguments', () => {
    const missing = cli('--report', path.join(dir, 'none.json'), '--failed-step', 'type check');
    expect(missing.code).toBe(1);
    expect(missing.lines.at(-1)).toBe('0 passed, 2 failed, 0 skipped');
    const green3 = write('green3.json', JSON.stringify(report(green)));
    const bad = cli('--report', green3, '--root', ROOT, '--allowed-skips', write('bad-list', 'no reason here\n'));
    expect(bad.code).toBe(1);
    expect(bad.lines).toEqual([expect.stringMatching(/^ci-summary: .*bad-list:1: an entry is/), '0 passed, 1 failed, 0 skipped']);
    const noArgs = cli();
    expect(noArgs).toEqual({ code: 1, lines: ['ci-summary: --report FILE is required', '0 passed, 1 failed, 0 skipped'], stderr: '' });
  });
});
