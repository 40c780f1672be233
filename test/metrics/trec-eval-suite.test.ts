/**
 * trec_eval's own regression suite (`make quicktest` of trec_eval 10.0; data in
 * `test/fixtures/trec_eval-suite/`, copied from `shared/trec_eval-suite/`): TREC topics 301–303 with a
 * real run. Every measure we implement, per query and `all`, must match the printed 4-decimal values
 * within 5e-5, with the flags of the suite's README.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readQrels, readRun } from '../../src/data/trec.js';
import { evaluate, evaluateFiles, type EvalOptions } from '../../src/metrics/index.js';
import { harnessName } from './golden-helpers.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/trec_eval-suite');

const RUNS: { out: string; qrels: string; run: string; opts: Omit<EvalOptions, 'metrics'> }[] = [
  { out: 'out.test.a', qrels: 'qrels.test', run: 'results.test', opts: {} },
  { out: 'out.test.aq', qrels: 'qrels.test', run: 'results.test', opts: {} },
  { out: 'out.test.aqc', qrels: 'qrels.test', run: 'results.trunc', opts: { complete: true } },
  { out: 'out.test.aqcM', qrels: 'qrels.test', run: 'results.trunc', opts: { complete: true, depth: 100 } },
  { out: 'out.test.aql', qrels: 'qrels.rel_level', run: 'results.test', opts: { relLevel: 2 } },
];

/** `measure<TAB>qid|all<TAB>value` lines → measure → qid → value (numbers only). */
function parseOut(file: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [measure, qid, value] = line.split('\t').map((s) => s.trim());
    if (!measure || value === undefined || !/^-?[0-9.]+$/.test(value)) continue;
    if (!out.has(measure)) out.set(measure, new Map());
    out.get(measure)?.set(qid, Number(value));
  }
  return out;
}

describe("trec_eval's regression suite", () => {
  for (const r of RUNS) {
    it(`${r.out} (${JSON.stringify(r.opts)})`, async () => {
      const expected = parseOut(path.join(DIR, r.out));
      const pairs = [...expected.keys()].flatMap((m) => (harnessName(m) ? [[m, harnessName(m) as string] as const] : []));
      // 9 cutoffs each of P, recall, ndcg_cut, map_cut plus the plain measures and counts.
      expect(pairs.length).toBeGreaterThanOrEqual(45);
      const opts = { metrics: pairs.map(([, ours]) => ours), ...r.opts };
      const qrelsPath = path.join(DIR, r.qrels);
      const runPath = path.join(DIR, r.run);
      const results = [await evaluateFiles(qrelsPath, runPath, opts), evaluate(await readQrels(qrelsPath), await readRun(runPath), opts)];
      for (const result of results) {
        const bad: string[] = [];
        let compared = 0;
        for (const [trec, ours] of pairs) {
          for (const [qid, want] of expected.get(trec) ?? []) {
            const got = qid === 'all' ? result.metrics[ours] : result.perQuery[qid]?.[ours];
            compared++;
            if (!(Math.abs(got - want) <= 5e-5 + 1e-12)) bad.push(`${trec} ${qid}: got ${got}, want ${want}`);
          }
        }
        expect(bad).toEqual([]);
        expect(compared).toBeGreaterThanOrEqual(pairs.length);
        const numQ = expected.get('num_q')?.get('all');
        expect(result.queries).toBe(numQ);
      }
    });
  }
});
