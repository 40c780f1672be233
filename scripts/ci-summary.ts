/**
 * `.ci/run`'s verdict: reads the JSON report of `vitest run --reporter=json`, prints what went wrong and,
 * as its last line, `N passed, N failed, N skipped`; exits 1 when CI must not pass, else 0.
 *
 * Counted as failed (one each):
 * - a test whose status is `failed`;
 * - a test file that failed without a failed test in it: it did not load or collect (import error, throw at
 *   top level, no test in it) or a hook failed (vitest then marks its tests skipped);
 * - a failed step named with `--failed-step` (the type check);
 * - no readable report, or a report without a single test;
 * - vitest exiting non-zero (`--test-exit`) when nothing above explains it.
 * Counted as skipped: statuses `skipped`, `pending`, `todo`, `disabled` (`.skip`, `.todo`, `skipIf`,
 * `ctx.skip()`, and the other tests of a file with `.only`).
 *
 * The exit status is 1 when anything failed or when a test was skipped without being listed in the
 * allowed-skips file. That file (`.ci/allowed-skips`) holds one entry per line, `<test id> -- <reason>`,
 * where the test id is `<file relative to the root> > <suite> > ... > <test title>` and the reason is not
 * empty; blank lines and lines starting with `#` are ignored. An entry that did not skip is reported as stale
 * but does not fail the run.
 *
 * Hand-written because it is the project's own policy over vitest's report; zod checks the report's shape.
 *
 * Usage: node dist/scripts/ci-summary.js --report FILE [--allowed-skips FILE] [--root DIR]
 *          [--failed-step NAME]... [--test-exit N]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const assertionSchema = z.object({
  ancestorTitles: z.array(z.string()),
  title: z.string(),
  status: z.string(),
  failureMessages: z.array(z.string()).optional(),
});
const fileSchema = z.object({
  name: z.string(),
  status: z.string(),
  message: z.string().optional(),
  assertionResults: z.array(assertionSchema),
});
const reportSchema = z.object({ testResults: z.array(fileSchema) });

export type VitestReport = z.infer<typeof reportSchema>;

/** An entry of the allowed-skips file. */
export interface AllowedSkip {
  id: string;
  reason: string;
  /** 1-based line in the file. */
  line: number;
}

/** The separator between a test id and its reason in the allowed-skips file. */
export const REASON_SEPARATOR = ' -- ';

const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);

/**
 * Parses the allowed-skips file. Throws an Error naming `file:line` for an entry without a reason, an empty
 * test id, or a test listed twice.
 */
export function parseAllowedSkips(text: string, file: string): AllowedSkip[] {
  const out: AllowedSkip[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = line.indexOf(REASON_SEPARATOR);
    const id = at < 0 ? line : line.slice(0, at).trim();
    const reason = at < 0 ? '' : line.slice(at + REASON_SEPARATOR.length).trim();
    if (id === '' || reason === '') {
      throw new Error(`${file}:${i + 1}: an entry is \`<file> > <suite> > <test>${REASON_SEPARATOR}<reason>\`, with both parts; got "${line}".`);
    }
    if (seen.has(id)) throw new Error(`${file}:${i + 1}: "${id}" is listed twice.`);
    seen.add(id);
    out.push({ id, reason, line: i + 1 });
  });
  return out;
}

/** A report's file path relative to `root`, with `/` separators. */
export function relativeFile(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** The id of a test: its file relative to `root`, then its suites and title, joined by ` > `. */
export function testId(root: string, file: string, ancestorTitles: readonly string[], title: string): string {
  return [relativeFile(root, file), ...ancestorTitles, title].join(' > ');
}

export interface SummaryInput {
  /** The parsed JSON report, or a string saying why there is none. */
  report: unknown;
  /** What file paths in the report are made relative to. */
  root: string;
  allowed: readonly AllowedSkip[];
  /** Steps before the tests that failed (each one failure). */
  failedSteps?: readonly string[];
  /** vitest's exit status, when known. */
  testExit?: number;
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  /** One line per failure or unlisted skip, in report order. */
  problems: string[];
  /** Skipped tests that the allowed-skips file lists, with their reason. */
  allowedSkips: string[];
  /** Allowed-skips entries that did not skip. */
  stale: string[];
  exitCode: 0 | 1;
  /** `N passed, N failed, N skipped`. */
  line: string;
}

/** Counts a vitest JSON report and decides whether CI passes (see the file comment for the rules). */
export function summarise(input: SummaryInput): Summary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let unlisted = 0;
  let tests = 0;
  const problems: string[] = [];
  const allowedSkips: string[] = [];
  const allowed = new Map(input.allowed.map((a) => [a.id, a]));
  const skippedIds = new Set<string>();

  for (const step of input.failedSteps ?? []) {
    failed++;
    problems.push(`failed step: ${step}`);
  }

  const parsed = typeof input.report === 'string' ? undefined : reportSchema.safeParse(input.report);
  if (parsed === undefined || !parsed.success) {
    failed++;
    const why = parsed === undefined ? String(input.report) : `not a vitest JSON report (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`;
    problems.push(`no usable test report: ${why}`);
  } else {
    for (const f of parsed.data.testResults) {
      let failedHere = 0;
      for (const a of f.assertionResults) {
        tests++;
        const id = testId(input.root, f.name, a.ancestorTitles, a.title);
        if (a.status === 'passed') passed++;
        else if (SKIPPED.has(a.status)) {
          skipped++;
          skippedIds.add(id);
          const entry = allowed.get(id);
          if (entry) allowedSkips.push(`${id} (${entry.reason})`);
          else {
            unlisted++;
            problems.push(`skipped without a listed reason: ${id}`);
          }
        } else {
          failed++;
          failedHere++;
          const first = (a.failureMessages ?? [])[0]?.split('\n')[0] ?? '';
          problems.push(`failed: ${id}${a.status === 'failed' ? '' : ` (status ${a.status})`}${first ? `: ${first}` : ''}`);
        }
      }
      if (f.status !== 'passed' && failedHere === 0) {
        failed++;
        problems.push(`file failed: ${relativeFile(input.root, f.name)}: ${f.message?.split('\n')[0] || 'no test failed in it: a hook or the file itself failed (see the output above)'}`);
      }
    }
    if (tests === 0) {
      failed++;
      problems.push('the report holds no test');
    }
  }

  if (input.testExit !== undefined && input.testExit !== 0 && failed === 0) {
    failed++;
    problems.push(`vitest exited with status ${input.testExit} although no test failed`);
  }

  const stale = input.allowed.filter((a) => !skippedIds.has(a.id)).map((a) => `line ${a.line}: ${a.id}`);
  return {
    passed,
    failed,
    skipped,
    problems,
    allowedSkips,
    stale,
    exitCode: failed > 0 || unlisted > 0 ? 1 : 0,
    line: `${passed} passed, ${failed} failed, ${skipped} skipped`,
  };
}

/** Reads and parses the report file; a string saying why when it cannot. */
export function readReport(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot read ${file}: ${(e as Error).message}`;
  }
  if (text.trim() === '') return `${file} is empty (vitest did not write its report)`;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return `${file} is not JSON: ${(e as Error).message}`;
  }
}

/** The command line; returns the exit status. Everything goes to stdout, the count line last. */
export function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): 0 | 1 {
  let failedSteps: string[] = [];
  let skipsFile: string | undefined;
  let summary: Summary;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        report: { type: 'string' },
        'allowed-skips': { type: 'string' },
        root: { type: 'string' },
        'failed-step': { type: 'string', multiple: true },
        'test-exit': { type: 'string' },
      },
      strict: true,
    });
    failedSteps = values['failed-step'] ?? [];
    if (values.report === undefined) throw new Error('--report FILE is required');
    const testExit = values['test-exit'] === undefined ? undefined : Number(values['test-exit']);
    if (testExit !== undefined && !Number.isInteger(testExit)) throw new Error(`--test-exit ${values['test-exit']} is not an integer`);
    skipsFile = values['allowed-skips'];
    const allowed = skipsFile === undefined ? [] : parseAllowedSkips(readFileSync(skipsFile, 'utf8'), skipsFile);
    summary = summarise({ report: readReport(values.report), root: path.resolve(values.root ?? '.'), allowed, failedSteps, testExit });
  } catch (e) {
    // A broken invocation or allowed-skips file is a CI failure, still with the count line last.
    out(`ci-summary: ${(e as Error).message}`);
    out(`0 passed, ${failedSteps.length + 1} failed, 0 skipped`);
    return 1;
  }
  if (summary.allowedSkips.length > 0) out(`skipped with a reason listed in ${skipsFile}:\n  ${summary.allowedSkips.join('\n  ')}`);
  if (summary.stale.length > 0) out(`listed in ${skipsFile} but not skipped (remove them):\n  ${summary.stale.join('\n  ')}`);
  for (const p of summary.problems) out(p);
  out(summary.line);
  return summary.exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
