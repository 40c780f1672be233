/**
 * The BM25 figures that matter: Pyserini/Anserini's published BEIR SciFact numbers, and the two tables of
 * shared/docs/BM25-REFERENCE.md (Lucene emulation; simple analyzer with exact lengths), reproduced on the
 * shared collections within 0.0005. Metrics come from src/metrics (trec_eval semantics, `-c`), averaged over
 * the queries with at least one relevant judgment, as the reference note does.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadBeir } from '../../src/data/beir.js';
import type { Dataset, Qrels, Run } from '../../src/data/types.js';
import { evaluate } from '../../src/metrics/index.js';
import { createBm25Retriever, type Bm25Options } from '../../src/retrieval/bm25/index.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';

const shared = sharedCollections(['adi', 'cacm', 'cisi', 'lisa', 'npl', 'scifact', 'time']);

const TOLERANCE = 0.0005;

const cache = new Map<string, Promise<Dataset>>();
function dataset(name: string): Promise<Dataset> {
  let d = cache.get(name);
  if (!d) {
    d = loadBeir(shared.path(name), 'test');
    cache.set(name, d);
  }
  return d;
}

/** Judgments of the queries that have at least one relevant document (the note's "judged queries"). */
function judged(qrels: Qrels): Qrels {
  return new Map([...qrels].filter(([, docs]) => [...docs.values()].some((g) => g > 0)));
}

/** Runs are memoised: several tables share a configuration. */
const runs = new Map<string, Promise<Run>>();
function runOf(name: string, options: Bm25Options, k = 1000): Promise<Run> {
  const key = JSON.stringify([name, options, k]);
  let run = runs.get(key);
  if (!run) {
    run = (async () => {
      const ds = await dataset(name);
      const r = createBm25Retriever(options);
      await r.index(ds.corpus);
      const qrels = judged(ds.qrels);
      return r.searchMany(ds.queries.filter((q) => qrels.has(q.id)), k);
    })();
    runs.set(key, run);
  }
  return run;
}

async function measure(name: string, options: Bm25Options, metrics: string[]): Promise<Record<string, number>> {
  const ds = await dataset(name);
  const result = evaluate(judged(ds.qrels), await runOf(name, options), { metrics, complete: true });
  return result.metrics;
}

function expectClose(got: Record<string, number>, expected: Record<string, number>, label: string): void {
  for (const [metric, value] of Object.entries(expected)) {
    expect(Math.abs(got[metric] - value), `${label} ${metric}: got ${got[metric].toFixed(4)}, expected ${value}`).toBeLessThanOrEqual(TOLERANCE);
  }
}

describeShared(shared, 'BM25 reproduces the published and reference figures', () => {
  it('SciFact test, lucene engine: Pyserini/Anserini BM25 flat and multifield (published)', async () => {
    const metrics = ['ndcg@10', 'recall@100', 'recall@1000'];
    expectClose(await measure('scifact', {}, metrics), { 'ndcg@10': 0.6789, 'recall@100': 0.9253, 'recall@1000': 0.9767 }, 'flat');
    expectClose(await measure('scifact', { fields: 'multifield' }, metrics), { 'ndcg@10': 0.6647, 'recall@100': 0.9076, 'recall@1000': 0.98 }, 'multifield');
    // The note's intermediate rows: Lucene tokens with exact lengths, simple analyzer with Lucene norms.
    expectClose(await measure('scifact', { norms: 'exact' }, metrics), { 'ndcg@10': 0.6777, 'recall@100': 0.9253, 'recall@1000': 0.9767 }, 'exact lengths');
    expectClose(await measure('scifact', { analyzer: 'simple', norms: 'lucene' }, metrics), { 'ndcg@10': 0.678, 'recall@100': 0.9287, 'recall@1000': 0.9767 }, 'simple + norms');
  });

  const FOUR = ['ndcg@10', 'mrr@10', 'recall@100', 'map'];
  const row = (ndcg: number, mrr: number, r100: number, map: number): Record<string, number> => ({ 'ndcg@10': ndcg, 'mrr@10': mrr, 'recall@100': r100, map });

  it('Lucene emulation table (EnglishAnalyzer tokens + Lucene norms), all seven collections', async () => {
    const table: Record<string, Record<string, number>> = {
      adi: row(0.4747, 0.6162, 0.9103, 0.4016),
      cisi: row(0.3585, 0.6134, 0.4249, 0.1983),
      cacm: row(0.4754, 0.69, 0.6424, 0.327),
      lisa: row(0.4244, 0.6376, 0.7288, 0.3499),
      time: row(0.7068, 0.7467, 0.9669, 0.6458),
      npl: row(0.4368, 0.6742, 0.6184, 0.2857),
      scifact: row(0.6789, 0.6457, 0.9253, 0.6401),
    };
    for (const [name, expected] of Object.entries(table)) expectClose(await measure(name, {}, FOUR), expected, name);
  });

  it('main table (simple analyzer, exact lengths), all seven collections', async () => {
    const table: Record<string, Record<string, number>> = {
      adi: row(0.4737, 0.6148, 0.9103, 0.4004),
      cisi: row(0.3577, 0.6036, 0.423, 0.1965),
      cacm: row(0.4662, 0.6824, 0.6345, 0.3136),
      lisa: row(0.4223, 0.6175, 0.7285, 0.3439),
      time: row(0.7092, 0.7451, 0.9669, 0.6461),
      npl: row(0.4378, 0.6742, 0.6186, 0.2858),
      scifact: row(0.6759, 0.642, 0.9287, 0.6381),
    };
    for (const [name, expected] of Object.entries(table)) expectClose(await measure(name, { analyzer: 'simple', norms: 'exact' }, FOUR), expected, name);
  });

  it('wink engine agrees with the lucene engine on SciFact (same ranking with exact lengths; nDCG@10 within 0.01 of Anserini)', async () => {
    const ds = await dataset('scifact');
    const qrels = judged(ds.qrels);
    const wink = await runOf('scifact', { engine: 'wink' }, 100);
    const exact = await runOf('scifact', { norms: 'exact' });
    // Identical top-100 lists, scores (k1 + 1) apart: the only differences left are Lucene's norms.
    let compared = 0;
    for (const [qid, list] of wink) {
      const other = exact.get(qid)!.slice(0, 100);
      expect(list.map((s) => s.id)).toEqual(other.map((s) => s.id));
      list.forEach((s, i) => expect(Math.abs(s.score - 1.9 * other[i].score)).toBeLessThan(1e-9 * s.score));
      compared += list.length;
    }
    expect(compared).toBeGreaterThan(20_000);
    const metrics = ['ndcg@10', 'recall@100'];
    const w = evaluate(qrels, wink, { metrics, complete: true }).metrics;
    const lucene = await measure('scifact', {}, metrics);
    expect(Math.abs(w['ndcg@10'] - lucene['ndcg@10'])).toBeLessThan(0.01);
    expectClose(w, { 'ndcg@10': 0.6777, 'recall@100': 0.9253 }, 'wink');
  });
});
