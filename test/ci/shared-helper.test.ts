/**
 * test/helpers/shared.ts, the one rule for "the shared collections are there": the presence rule, the
 * message, and what a test needing a missing collection becomes in a real vitest run: a failure naming the
 * collection and the folder under RBENCH_REQUIRE_SHARED=1, a skip without it. The same nested runs check that
 * the project's vitest config fails a stray `.only` when CI is set, and feed their JSON reports to .ci/run's
 * verdict (scripts/ci-summary.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllowedSkips, summarise } from '../../scripts/ci-summary.js';
import { packageRoot } from '../../src/paths.js';
import { collectionPresent, sharedCollections, sharedRequired } from '../helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rbench-shared-helper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake shared root: `full` has the three files, `partial` lacks qrels/test.tsv, `dirs` has folders in their place. */
const root = path.join(dir, 'shared');
function put(rel: string, text = '{}\n'): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}
put('full/beir/corpus.jsonl', '{"_id":"d1","title":"","text":"x"}\n');
put('full/beir/queries.jsonl');
put('full/beir/qrels/test.tsv', 'query-id\tcorpus-id\tscore\n');
put('partial/beir/corpus.jsonl');
put('partial/beir/queries.jsonl');
put('partial/beir/qrels/train.tsv');
for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']) mkdirSync(path.join(root, 'dirs', 'beir', f), { recursive: true });

describe('sharedCollections', () => {
  it('a collection is present only with beir/corpus.jsonl, queries.jsonl and qrels/test.tsv as files', () => {
    expect(['full', 'partial', 'dirs', 'absent'].map((n) => collectionPresent(root, n))).toEqual([true, false, false, false]);
  });

  it('names what is missing and where it looked; RBENCH_REQUIRE_SHARED=1 (only "1") makes it required', () => {
    const req = sharedCollections(['full', 'partial', 'absent'], root, { RBENCH_REQUIRE_SHARED: '1' });
    expect(req).toMatchObject({ root, names: ['full', 'partial', 'absent'], missing: ['partial', 'absent'], present: false, required: true });
    expect(req.message).toBe(
      `shared collections partial, absent not found under ${root} (a collection needs beir/corpus.jsonl, beir/queries.jsonl and beir/qrels/test.tsv; ` +
        '$RBENCH_SHARED_DATASETS names another folder); RBENCH_REQUIRE_SHARED=1 makes this a failure',
    );
    expect(req.path('full')).toBe(path.join(root, 'full', 'beir'));
    expect(() => req.path('other')).toThrow('sharedCollections: other was not asked for (asked: full, partial, absent)');
    const opt = sharedCollections(['absent'], root, {});
    expect(opt).toMatchObject({ missing: ['absent'], present: false, required: false });
    expect(opt.message).toMatch(/^shared collection absent not found under .*; skipped \(RBENCH_REQUIRE_SHARED=1 makes this a failure\)$/);
    expect(sharedCollections(['full'], root, {})).toMatchObject({ missing: [], present: true, message: '' });
    expect([{ RBENCH_REQUIRE_SHARED: '1' }, { RBENCH_REQUIRE_SHARED: 'true' }, { RBENCH_REQUIRE_SHARED: '0' }, {}].map((e) => sharedRequired(e))).toEqual([true, false, false, false]);
  });
});

describe('in a real vitest run (nested, with the project config)', () => {
  const project = path.join(dir, 'project');
  const helper = path.join(packageRoot(), 'test', 'helpers', 'shared.ts');
  mkdirSync(path.join(project, 'test'), { recursive: true });
  symlinkSync(path.join(packageRoot(), 'node_modules'), path.join(project, 'node_modules'));
  // The project's config, with this folder's tests and without the dist/ build step.
  writeFileSync(
    path.join(project, 'vitest.config.mjs'),
    `import base from ${JSON.stringify(path.join(packageRoot(), 'vitest.config.ts'))};\n` +
      `export default { ...base, test: { ...base.test, include: ['test/*.test.ts'], globalSetup: [] } };\n`,
  );
  writeFileSync(
    path.join(project, 'test', 'shared.test.ts'),
    `import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeShared, itShared, sharedCollections } from ${JSON.stringify(helper)};
const both = sharedCollections(['full', 'absent']);
const full = sharedCollections(['full']);
describeShared(both, 'suite needing both', () => {
  it('inner', () => expect(1).toBe(1));
});
itShared(both, 'test needing both', () => expect(1).toBe(1));
itShared(full, 'test needing full', () => expect(readFileSync(full.path('full') + '/corpus.jsonl', 'utf8')).toContain('"d1"'));
`,
  );
  writeFileSync(
    path.join(project, 'test', 'only.test.ts'),
    `import { expect, it } from 'vitest';
it.only('focused', () => expect(1).toBe(1));
it('the rest of the file', () => expect(1).toBe(1));
`,
  );

  /** Runs vitest in `project` with a clean environment plus `env`; the parsed JSON report. */
  function vitest(env: Record<string, string>): { status: number | null; report: unknown } {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI' && k !== 'RBENCH_REQUIRE_SHARED' && k !== 'NODE_ENV'));
    const out = path.join(project, `report-${Object.keys(env).join('-') || 'plain'}.json`);
    const r = spawnSync(process.execPath, [path.join(packageRoot(), 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json', `--outputFile.json=${out}`], {
      cwd: project,
      env: { ...clean, RBENCH_SHARED_DATASETS: root, ...env },
      encoding: 'utf8',
    });
    return { status: r.status, report: JSON.parse(readFileSync(out, 'utf8')) };
  }

  /** `[id, status, first line of the first failure message]` of every test in a report. */
  function outcomes(report: unknown): string[][] {
    const r = report as { testResults: { name: string; assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[] }[] };
    return r.testResults
      .flatMap((f) => f.assertionResults.map((a) => [[path.relative(project, f.name), ...a.ancestorTitles, a.title].join(' > '), a.status, (a.failureMessages[0] ?? '').split('\n')[0]]))
      .sort((a, b) => a[0].localeCompare(b[0]));
  }

  it('CI=1 RBENCH_REQUIRE_SHARED=1: a missing collection fails, naming it and the folder; `.only` fails', () => {
    const { status, report } = vitest({ CI: '1', RBENCH_REQUIRE_SHARED: '1' });
    expect(status).toBe(1);
    const missing = `Error: shared collection absent not found under ${root} (a collection needs beir/corpus.jsonl, beir/queries.jsonl and beir/qrels/test.tsv; $RBENCH_SHARED_DATASETS names another folder); RBENCH_REQUIRE_SHARED=1 makes this a failure`;
    expect(outcomes(report)).toEqual([
      ['test/only.test.ts > focused', 'failed', 'Error: [Vitest] Unexpected .only modifier. Remove it or pass --allowOnly argument to bypass this error'],
      ['test/only.test.ts > the rest of the file', 'skipped', ''],
      ['test/shared.test.ts > suite needing both > needs the shared collection absent', 'failed', missing],
      ['test/shared.test.ts > test needing both', 'failed', missing],
      ['test/shared.test.ts > test needing full', 'passed', ''],
    ]);
    const s = summarise({ report, root: project, allowed: [], testExit: status ?? undefined });
    expect([s.line, s.exitCode]).toEqual(['1 passed, 3 failed, 1 skipped', 1]);
  });

  it('without them: the tests needing a missing collection skip, `.only` silently skips the rest, and the verdict fails both', () => {
    const { status, report } = vitest({});
    expect(status).toBe(0); // what vitest alone says: this is why .ci/run counts skips
    expect(outcomes(report)).toEqual([
      ['test/only.test.ts > focused', 'passed', ''],
      ['test/only.test.ts > the rest of the file', 'skipped', ''],
      ['test/shared.test.ts > suite needing both > needs the shared collection absent', 'skipped', ''],
      ['test/shared.test.ts > test needing both', 'skipped', ''],
      ['test/shared.test.ts > test needing full', 'passed', ''],
    ]);
    const s = summarise({ report, root: project, allowed: [], testExit: 0 });
    expect([s.line, s.exitCode]).toEqual(['2 passed, 0 failed, 3 skipped', 1]);
    expect(s.problems).toEqual([
      'skipped without a listed reason: test/only.test.ts > the rest of the file',
      'skipped without a listed reason: test/shared.test.ts > suite needing both > needs the shared collection absent',
      'skipped without a listed reason: test/shared.test.ts > test needing both',
    ]);
    const allowed = parseAllowedSkips(s.problems.map((p) => `${p.replace('skipped without a listed reason: ', '')} -- listed for this test`).join('\n'), 'allowed');
    expect(summarise({ report, root: project, allowed, testExit: 0 })).toMatchObject({ line: '2 passed, 0 failed, 3 skipped', problems: [], exitCode: 0 });
  });
});
