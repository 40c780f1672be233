/**
 * The streaming file path (`evaluateFiles`: byte-level scanning, per-query judgment tables, one query
 * in memory at a time) must give exactly the numbers of the in-memory path (`readQrels` + `readRun` +
 * `evaluate`) on a generated run with everything that makes ranking hard: ties, unsorted queries,
 * negative grades, unretrieved judgments, non-ASCII ids, run-only and judged-only queries. Also for a
 * run whose queries are not grouped (read again in memory) and for gzip input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readQrels, readRun } from '../../src/data/trec.js';
import { evaluate, evaluateFilesWithCoverage, type EvalOptions } from '../../src/metrics/index.js';
import { mulberry32 } from '../../src/random.js';

const METRICS = ['ndcg@10', 'ndcg', 'ndcg_exp@20', 'mrr@10', 'mrr', 'map', 'map@100', 'recall@100', 'precision@5', 'precision@1000', 'r_precision', 'hit_rate@3', 'bpref', 'infAP', 'num_ret', 'num_rel', 'num_rel_ret'];
const OPTIONS: Omit<EvalOptions, 'metrics'>[] = [{}, { complete: true }, { judgedOnly: true }, { depth: 50 }, { relLevel: 2 }, { complete: true, depth: 7, judgedOnly: true }];

let dir: string;
let qrelsPath: string;
let runLines: string[];
const files: Record<string, string> = {};
const judgedQids = new Set<string>();
const runQids = new Set<string>();


beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rbench-stream-test-'));
  const rand = mulberry32(42);
  const qrels: string[] = [];
  runLines = [];
  const names = ['d', 'D', 'é', 'doc#', '0', '00'];
  for (let q = 0; q < 240; q++) {
    const qid = q % 7 === 0 ? `q${q}é` : String(q);
    const n = 50 + Math.floor(rand() * 450);
    const ids = new Set<string>();
    while (ids.size < n) ids.add(`${names[Math.floor(rand() * names.length)]}${Math.floor(rand() * 3000)}`);
    const list = [...ids];
    // Scores: coarse values (many ties) for some queries, distinct for others; some queries unsorted.
    const coarse = q % 3 === 0;
    let s = 100;
    const lines = list.map((id, i) => {
      s -= coarse ? (rand() < 0.3 ? 1 : 0) : rand();
      return `${qid} Q0 ${id} ${i + 1} ${coarse ? s.toFixed(0) : String(s)} run`;
    });
    if (q % 5 === 1) lines.sort(() => rand() - 0.5);
    if (q % 11 !== 3) {
      runLines.push(...lines); // some judged queries have no run lines
      runQids.add(qid);
    }
    const judged = new Set<string>();
    const J = Math.floor(rand() * 60);
    while (judged.size < J) judged.add(rand() < 0.8 ? list[Math.floor(rand() * list.length)] : `u${Math.floor(rand() * 1e6)}`);
    for (const id of judged) qrels.push(`${qid} 0 ${id} ${Math.floor(rand() * 5) - 1}`);
    if (q === 17) qrels.push(`${qid} 0 only-negative -1`);
    if (judged.size > 0 || q === 17) judgedQids.add(qid);
  }
  runLines.push('run-only Q0 x 1 1 run');
  runQids.add('run-only');
  qrelsPath = path.join(dir, 'qrels.txt');
  writeFileSync(qrelsPath, `${qrels.join('\n')}\n`);
  files.grouped = path.join(dir, 'run.trec');
  writeFileSync(files.grouped, `${runLines.join('\n')}\n`);
  files.gzip = path.join(dir, 'run.trec.gz');
  writeFileSync(files.gzip, gzipSync(`${runLines.join('\n')}\n`));
  const shuffled = runLines.slice();
  const rand2 = mulberry32(7);
  shuffled.sort(() => rand2() - 0.5);
  files.ungrouped = path.join(dir, 'shuffled.trec');
  writeFileSync(files.ungrouped, `${shuffled.join('\n')}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streaming evaluation equals in-memory evaluation', () => {
  for (const opts of OPTIONS) {
    it(`grouped, gzip and ungrouped runs with ${JSON.stringify(opts)}`, async () => {
      const expected = evaluate(await readQrels(qrelsPath), await readRun(files.grouped), { metrics: METRICS, ...opts });
      expect(expected.queries).toBeGreaterThan(200);
      for (const [kind, runPath] of Object.entries(files)) {
        const { result, coverage } = await evaluateFilesWithCoverage(qrelsPath, runPath, { metrics: METRICS, ...opts });
        expect(result, kind).toEqual(expected);
        expect(coverage.ungroupedRun, kind).toBe(kind === 'ungrouped');
        expect(new Set(coverage.runOnly)).toEqual(new Set([...runQids].filter((q) => !judgedQids.has(q))));
        expect(new Set(coverage.missingFromRun)).toEqual(new Set([...judgedQids].filter((q) => !runQids.has(q))));
        expect(coverage.runOnly).toContain('run-only');
        expect(coverage.missingFromRun.length).toBeGreaterThan(10);
      }
    });
  }

  it('reports non-ASCII query ids as UTF-8 text', async () => {
    const { result } = await evaluateFilesWithCoverage(qrelsPath, files.grouped, { metrics: ['map'] });
    expect(Object.keys(result.perQuery)).toContain('q7é');
  });
});
