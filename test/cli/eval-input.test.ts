/**
 * `rbench eval` fed the ways shells feed trec_eval: standard input (`--run -`, `--qrels -`, gzip on
 * stdin), named pipes and process substitution `<(…)`; BEIR qrels; a relevance level above every grade;
 * and input lines long or binary enough to flood a terminal. Each is a real `node bin/rbench.js eval`
 * process, checked against trec_eval 10.0's numbers for the same files (the golden cases) and against
 * the same evaluation of regular files.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCase } from '../metrics/golden-helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'rbench.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'rbench-eval-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `rbench eval ARGS` with `input` on its standard input (a pipe). */
function rbench(args: string[], input?: string | Buffer): Result {
  const r = spawnSync(process.execPath, [BIN, 'eval', ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `rbench eval ARGS` run while `feed` writes into named pipes (a synchronous spawn would block the writer). */
function rbenchAsync(args: string[], feed: Promise<unknown>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'eval', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => feed.then(() => resolve({ code, stdout, stderr }), reject));
  });
}

const file = (name: string, data: string | Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};

const METRICS: [string, string][] = [
  ['ndcg_cut_10', 'ndcg@10'],
  ['map', 'map'],
  ['P_10', 'precision@10'],
  ['recall_100', 'recall@100'],
  ['recip_rank', 'mrr'],
];
const metricArgs = ['--metrics', METRICS.map((m) => m[1]).join(','), '--format', 'json', '--per-query'];

type Output = { queries: number; metrics: Record<string, number>; perQuery: Record<string, Record<string, number>> };

/** The output equals trec_eval 10.0's summary and per-query values for the golden case. */
function expectTrecEval(r: Result, name: string): void {
  expect(r.code, r.stderr).toBe(0);
  const c = loadCase(name);
  const out = JSON.parse(r.stdout) as Output;
  expect(out.queries).toBe(c.measures.num_q);
  for (const [trec, ours] of METRICS) {
    expect(Math.abs(out.metrics[ours] - c.measures[trec]), ours).toBeLessThanOrEqual(1e-9);
    for (const [qid, v] of Object.entries(c.per_query)) expect(Math.abs(out.perQuery[qid][ours] - v[trec])).toBeLessThanOrEqual(1e-9);
  }
}

const graded = loadCase('graded_0_3_1__none');
const fromFiles = rbench(['--qrels', graded.qrelsPath, '--run', graded.runPath, ...metricArgs]);

describe('standard input and pipes', () => {
  it('the file-based evaluation is trec_eval 10.0 (the reference for the rest)', () => {
    expectTrecEval(fromFiles, 'graded_0_3_1__none');
  });

  it('--run - reads the run from standard input, plain or gzip, in both CLI paths', () => {
    const run = readFileSync(graded.runPath);
    for (const input of [run, gzipSync(run)]) {
      const fast = rbench(['--qrels', graded.qrelsPath, '--run', '-', ...metricArgs], input);
      expectTrecEval(fast, 'graded_0_3_1__none');
      expect(fast).toEqual(fromFiles);
      // --verbose is not a canonical eval argument: the full yargs CLI answers, and must read `-` the same way.
      expect(rbench(['--qrels', graded.qrelsPath, '--run', '-', ...metricArgs, '--verbose'], input)).toEqual(fromFiles);
    }
  });

  it('--qrels - reads the judgments from standard input', () => {
    const r = rbench(['--qrels', '-', '--run', graded.runPath, ...metricArgs], readFileSync(graded.qrelsPath));
    expect(r).toEqual(fromFiles);
  });

  it('a run on stdin whose queries are not grouped is read again from its copy, with the same numbers', () => {
    const lines = readFileSync(graded.runPath, 'utf8').trim().split('\n');
    const shuffled = lines.map((l, i) => ({ l, k: (i * 7919) % lines.length })).sort((a, b) => a.k - b.k).map((x) => x.l);
    expect(shuffled[0].split(' ')[0]).not.toBe(shuffled[1].split(' ')[0]);
    expect(rbench(['--qrels', graded.qrelsPath, '--run', '-', ...metricArgs], `${shuffled.join('\n')}\n`)).toEqual(fromFiles);
  });

  it('a duplicate on stdin names both lines, as for a file', () => {
    const dup = loadCase('duplicate_docids_1__none');
    const r = rbench(['--qrels', dup.qrelsPath, '--run', '-'], readFileSync(dup.runPath));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'rbench: <stdin>:37: the run lists document "D60536" twice for query "2" (lines 20 and 37). A document may appear once per query: remove one of the lines (trec_eval stops with "duplicate docs" here).\n',
    );
  });

  it('both from standard input is a usage error', () => {
    const r = rbench(['--qrels', '-', '--run', '-'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rbench: the qrels and the run cannot both be read from standard input/);
  });

  it('named pipes (mkfifo) for both files, the run gzip-compressed', async () => {
    const q = path.join(dir, 'qrels.fifo');
    const r = path.join(dir, 'run.fifo');
    execFileSync('mkfifo', [q, r]);
    const feed = Promise.all([writeFile(q, readFileSync(graded.qrelsPath)), writeFile(r, gzipSync(readFileSync(graded.runPath)))]);
    const res = await rbenchAsync(['--qrels', q, '--run', r, ...metricArgs], feed);
    expect(res).toEqual(fromFiles);
  });

  it('process substitution <(…) (a /dev/fd/N pipe) from bash', () => {
    const args = ['--qrels', `<(cat '${graded.qrelsPath}')`, '--run', `<(gzip -c '${graded.runPath}')`, ...metricArgs].join(' ');
    const r = spawnSync('bash', ['-c', `'${process.execPath}' '${BIN}' eval ${args}`], { cwd: ROOT, encoding: 'utf8' });
    expect({ code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual(fromFiles);
  });
});

describe('BEIR qrels given to --qrels', () => {
  const trecLines = readFileSync(graded.qrelsPath, 'utf8').trim().split('\n');
  const beirRows = trecLines.map((l) => {
    const [qid, , doc, grade] = l.split(/\s+/);
    return `${qid}\t${doc}\t${grade}`;
  });

  it('a TSV with the header `query-id<TAB>corpus-id<TAB>score` is read as BEIR qrels, with one note', () => {
    const beir = file('test.tsv', `query-id\tcorpus-id\tscore\n${beirRows.join('\n')}\n`);
    const r = rbench(['--qrels', beir, '--run', graded.runPath, ...metricArgs]);
    expectTrecEval({ ...r, stderr: '' }, 'graded_0_3_1__none');
    expect(r.stdout).toBe(fromFiles.stdout);
    expect(r.stderr).toBe(`rbench: note: read ${beir} as BEIR qrels (its first line is the header \`query-id<TAB>corpus-id<TAB>score\`).\n`);
    // From standard input too, CRLF line endings and all.
    const piped = rbench(['--qrels', '-', '--run', graded.runPath, ...metricArgs], readFileSync(beir, 'utf8').replace(/\n/g, '\r\n'));
    expect(piped.stdout).toBe(fromFiles.stdout);
    expect(piped.stderr).toMatch(/^rbench: note: read standard input as BEIR qrels/);
  });

  it('three tab-separated columns without the header: an error whose hint names the header', () => {
    const headless = file('headless.tsv', `${beirRows.join('\n')}\n`);
    const r = rbench(['--qrels', headless, '--run', graded.runPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `rbench: ${headless}:1: malformed qrels line: expected 4 fields \`qid iter docno grade\`, found 3: "${beirRows[0].replace(/\t/g, '\\t')}". ` +
        'Three tab-separated fields look like BEIR qrels without their header line: add `query-id<TAB>corpus-id<TAB>score` as line 1 to read the file as BEIR qrels, or write TREC qrels `qid 0 docno grade`.\n',
    );
  });
});

describe('--rel-level above every grade', () => {
  it('gives trec_eval numbers (nothing relevant; nDCG unchanged) and one note naming the highest grade', () => {
    const r = rbench(['--qrels', graded.qrelsPath, '--run', graded.runPath, ...metricArgs, '--rel-level', '4']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Output;
    // -l does not affect nDCG (trec_eval uses the grades as gains); every binary measure is 0.
    expect(out.metrics['ndcg@10']).toBe(graded.measures.ndcg_cut_10);
    expect([out.metrics.map, out.metrics['precision@10'], out.metrics['recall@100'], out.metrics.mrr]).toEqual([0, 0, 0, 0]);
    expect(r.stderr).toBe(
      'rbench: note: no judgment reaches --rel-level 4: the highest grade in the qrels is 3, so no document counts as relevant and measures of relevant documents (MAP, MRR, precision, recall, …) are 0, as in trec_eval; nDCG uses the grades themselves.\n',
    );
    expect(rbench(['--qrels', graded.qrelsPath, '--run', graded.runPath, '--rel-level', '3']).stderr).toBe('');
  });
});

describe('input lines that would flood the terminal', () => {
  const qrels = file('one.qrels', 'q1 0 d1 1\n');

  it('a 5 MB line is quoted in at most 120 characters, with its length', () => {
    const run = file('long.run', `q1 Q0 d1 1 1.5 t\n${'x'.repeat(5 * 1024 * 1024)}\n`);
    const r = rbench(['--qrels', qrels, '--run', run]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `rbench: ${run}:2: malformed run line: expected 6 fields \`qid Q0 docno rank score tag\`, found 1: "${'x'.repeat(120)}…" (5,242,880 bytes). Fields are separated by spaces or tabs; is this a qrels file passed as --run?\n`,
    );
  });

  it('binary garbage is escaped and cut: a short message without control characters', () => {
    const garbage = Buffer.from(Array.from(randomBytes(24_000), (b) => (b === 0x0a ? 0 : b)));
    for (const [qrelsFile, runFile] of [
      [qrels, file('garbage.run', Buffer.concat([Buffer.from('q1 Q0 d1 1 1.5 t\n'), garbage, Buffer.from('\n')]))],
      [file('garbage.qrels', Buffer.concat([Buffer.from('q1 0 d1 1\n'), garbage, Buffer.from('\n')])), file('ok.run', 'q1 Q0 d1 1 1.5 t\n')],
    ]) {
      const r = rbench(['--qrels', qrelsFile, '--run', runFile]);
      expect(r.code).toBe(2);
      expect(r.stderr.length).toBeLessThan(1024);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(r.stderr).toMatch(/\\x[0-9a-f]{2}|\\u00[0-9a-f]{2}/);
    }
  });

  it('the yargs-free entry (evalMain) reads standard input the same way', () => {
    const launcher = file('launch.mjs', `const { evalMain } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'src', 'cli', 'commands', 'eval.js')).href)});\nprocess.exitCode = (await evalMain(process.argv.slice(2))) ?? 99;\n`);
    const r = spawnSync(process.execPath, [launcher, '--qrels', graded.qrelsPath, '--run', '-', ...metricArgs], { cwd: ROOT, input: readFileSync(graded.runPath), encoding: 'utf8' });
    expect({ code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual(fromFiles);
  });
});
