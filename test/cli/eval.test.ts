/**
 * `rbench eval` as users run it: a real `node bin/rbench.js eval …` process, so that argument parsing,
 * exit codes, stdout/stderr separation and the lazy imports are all exercised. The compiled CLI is
 * rebuilt by the global test setup (test/global-setup.ts) when a source file is newer than its output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCase } from '../metrics/golden-helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'rbench.js');

function rbench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: { name: string; flags: string[] }[] = [
  { name: 'graded_0_3_1__l2', flags: ['--rel-level', '2'] },
  { name: 'negative_relevance_2__c', flags: ['--complete'] },
  { name: 'tied_scores_0__J', flags: ['--judged-only'] },
  { name: 'random_mix_3__c_M10', flags: ['--complete', '--depth', '10'] },
];

describe('rbench eval (process)', () => {
  for (const { name, flags } of CASES) {
    it(`${name}: JSON output equals trec_eval 10.0, summary and per query`, () => {
      const c = loadCase(name);
      const pairs: [string, string][] = [
        ['ndcg_cut_10', 'ndcg@10'],
        ['recip_rank', 'mrr'],
        ['map', 'map'],
        ['P_5', 'P_5'],
        ['recall_100', 'recall@100'],
        ['bpref', 'bpref'],
        ['num_rel', 'num_rel'],
      ];
      const r = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--metrics', pairs.map((p) => p[1]).join(','), '--per-query', '--format', 'json', ...flags);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { queries: number; metrics: Record<string, number>; perQuery: Record<string, Record<string, number>> };
      expect(Object.keys(out)).toEqual(['queries', 'metrics', 'perQuery']);
      expect(out.queries).toBe(c.measures.num_q);
      for (const [trec, ours] of pairs) {
        expect(Math.abs(out.metrics[ours] - c.measures[trec])).toBeLessThanOrEqual(1e-9);
        for (const [qid, v] of Object.entries(c.per_query)) expect(Math.abs(out.perQuery[qid][ours] - v[trec])).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  it('defaults to ndcg@10, mrr@10, map, recall@100, precision@10 and prints no perQuery without --per-query', () => {
    const c = loadCase('graded_0_3_1__none');
    const r = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { metrics: Record<string, number> };
    expect(Object.keys(out)).toEqual(['queries', 'metrics']);
    expect(Object.keys(out.metrics)).toEqual(['ndcg@10', 'mrr@10', 'map', 'recall@100', 'precision@10']);
    expect(out.metrics['ndcg@10']).toBe(c.measures.ndcg_cut_10);
    expect(out.metrics['precision@10']).toBe(c.measures.P_10);
  });

  it('notes ignored run queries and skipped judged queries on stderr, keeping stdout parseable', () => {
    const c = loadCase('run_only_queries_2__none');
    const r = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`rbench: note: ${c.queries.in_run_not_in_qrels.length} run queries have no judgments and were ignored`));
    expect(JSON.parse(r.stdout).queries).toBe(c.measures.num_q);

    const m = loadCase('qrels_only_queries_0__none');
    const r2 = rbench('eval', '--qrels', m.qrelsPath, '--run', m.runPath, '--format', 'json');
    expect(r2.stderr).toMatch(/judged quer(y has|ies have) no run lines .* skipped; --complete scores them as 0/);
  });

  it('prints a table and a CSV', () => {
    const c = loadCase('graded_0_3_1__none');
    const table = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--metrics', 'ndcg@10,num_ret');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^metric\s+value$/);
    expect(table.stdout).toMatch(new RegExp(`ndcg@10\\s+${c.measures.ndcg_cut_10.toFixed(4)}`));
    expect(table.stdout).toMatch(new RegExp(`num_ret\\s+${c.measures.num_ret}\\n`));
    const perQuery = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--metrics', 'map', '--per-query', '--format', 'table');
    expect(perQuery.stdout.trim().split('\n')).toHaveLength(Object.keys(c.per_query).length + 2);
    const csv = rbench('eval', '--qrels', c.qrelsPath, '--run', c.runPath, '--metrics', 'map,P_5', '--per-query', '--format', 'csv');
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('query,map,P_5');
    expect(lines.at(-1)).toBe(`all,${c.measures.map},${c.measures.P_5}`);
    expect(lines).toHaveLength(Object.keys(c.per_query).length + 2);
  });

  it('exits 2 with one message on stderr for bad input, nothing on stdout', () => {
    const dup = loadCase('duplicate_docids_1__none');
    for (const [args, pattern] of [
      [['--qrels', dup.qrelsPath, '--run', dup.runPath], /run\.txt:37: the run lists document "D60536" twice for query "2" \(lines 20 and 37\)/],
      [['--qrels', dup.qrelsPath, '--run', dup.runPath, '--metrics', 'ndcg@10,nope'], /unknown metric "nope"/],
      [['--qrels', 'missing.txt', '--run', dup.runPath], /missing\.txt: file not found/],
      [['--qrels', dup.qrelsPath, '--run', dup.runPath, '--depth', '-3'], /depth .* must be a positive integer/],
      [['--run', dup.runPath], /Missing required argument: qrels/],
    ] as const) {
      const r = rbench('eval', ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('evalMain (the same command without yargs)', () => {
  let launcher = '';
  beforeAll(() => {
    // A launcher that calls evalMain the way bin/rbench.js would.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rbench-evalmain-'));
    launcher = path.join(dir, 'launch.mjs');
    const entry = pathToFileURL(path.join(ROOT, 'dist', 'src', 'cli', 'commands', 'eval.js')).href;
    writeFileSync(
      launcher,
      `const { evalMain } = await import(${JSON.stringify(entry)});
const code = await evalMain(process.argv.slice(2));
if (code === undefined) process.stdout.write('FALLBACK');
else process.exitCode = code;
`,
    );
  });
  afterAll(() => rmSync(path.dirname(launcher), { recursive: true, force: true }));

  function fast(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [launcher, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const c = loadCase('run_only_queries_2__c');
  it('answers canonical arguments exactly as the full CLI does, output, notes and errors', () => {
    const vectors: string[][] = [
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--format', 'json', '--per-query', '--complete', '--metrics', 'ndcg@10,P_5,num_rel'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--depth=10', '--rel-level', '2', '--format=csv'],
      ['--run', c.runPath, '--qrels', c.qrelsPath, '--judged-only', '--per-query'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--metrics', 'ndcg@10,nope'],
      ['--qrels', c.qrelsPath, '--run', 'missing.trec'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--depth', '-3'],
    ];
    for (const args of vectors) {
      const a = fast(...args);
      const b = rbench('eval', ...args);
      expect(a.stdout).not.toBe('FALLBACK');
      expect(a, args.join(' ')).toEqual(b);
    }
  });

  it('leaves everything else to the full CLI', () => {
    for (const args of [
      ['--help'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--relLevel', '2'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--verbose'],
      ['--qrels', c.qrelsPath],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--format', 'xml'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--depth', '5', '--depth', '6'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, 'extra'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--complete=true'],
      ['--qrels', c.qrelsPath, '--run', c.runPath, '--no-complete'],
    ]) {
      expect(fast(...args).stdout, args.join(' ')).toBe('FALLBACK');
    }
  });
});
