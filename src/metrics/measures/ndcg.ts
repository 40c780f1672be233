import type { MeasureDecl, RankedQuery } from '../types.js';
import { log2Table } from './log2.js';

/**
 * nDCG with linear gain (Järvelin & Kekäläinen 2002), as trec_eval's `ndcg` and `ndcg_cut_k`.
 *
 *   DCG@k  = Σ_{i=1..min(k,n)} g(rel_i) / log2(i + 1),  g(rel) = rel for rel > 0, else 0
 *   IDCG@k = the same sum over the ideal ranking: every grade > 0 of the query's judgments, sorted in
 *            descending order, truncated at k only (never at n: documents the run missed still count)
 *   nDCG@k = DCG@k / IDCG@k, and 0 when IDCG@k = 0 (no document with grade > 0).
 *
 * The gain is the grade itself, not 2^grade − 1 (that is `ndcg_exp`), and does not depend on the
 * relevance level. Unjudged and negative-grade documents add 0. Without a cutoff (k = Infinity) this is
 * trec_eval's `ndcg`; under `--depth M` it is then DCG@M over the full, untruncated IDCG.
 */
export function ndcg(q: RankedQuery, k: number): number {
  return dcgRatio(q, k, linear);
}

/**
 * nDCG with exponential gain g(rel) = 2^rel − 1 (Burges et al. 2005), the variant of LightGBM, many
 * learning-to-rank papers and some leaderboards. Same discount, ideal ranking and edge cases as `ndcg`.
 * trec_eval has no equivalent (its `ndcg` gains are linear); with binary grades both are equal.
 */
export function ndcgExp(q: RankedQuery, k: number): number {
  return dcgRatio(q, k, exponential);
}

function linear(g: number): number {
  return g;
}

function exponential(g: number): number {
  return 2 ** g - 1;
}

function dcgRatio(q: RankedQuery, k: number, gain: (g: number) => number): number {
  const ideal = q.topic.idealGrades;
  const n = Math.min(k, q.numRet);
  const m = Math.min(k, ideal.length);
  const log2 = log2Table(Math.max(n, m));
  const rel = q.rel;
  let dcg = 0;
  for (let i = 0; i < n; i++) {
    const g = rel[i];
    if (g > 0) dcg += gain(g) / log2[i];
  }
  let idcg = 0;
  for (let i = 0; i < m; i++) idcg += gain(ideal[i]) / log2[i];
  return idcg > 0 ? dcg / idcg : 0;
}

export const ndcgMeasures: MeasureDecl[] = [
  {
    name: 'ndcg@k',
    label: 'nDCG@k',
    trecEval: 'ndcg_cut_k',
    aliases: ['ndcg_cut_k', 'nDCG@k'],
    description: 'Normalised discounted cumulative gain of the top k, linear gain (the grade), ideal DCG truncated at k.',
    aggregate: 'mean',
    compute: ndcg,
  },
  {
    name: 'ndcg',
    label: 'nDCG',
    trecEval: 'ndcg',
    aliases: ['nDCG'],
    description: 'nDCG of the whole ranking (DCG@depth over the full ideal DCG under --depth), linear gain.',
    aggregate: 'mean',
    compute: (q) => ndcg(q, Infinity),
  },
  {
    name: 'ndcg_exp@k',
    label: 'nDCG_exp@k',
    trecEval: null,
    aliases: [],
    description: 'nDCG of the top k with exponential gain 2^grade − 1 (Burges); no trec_eval equivalent.',
    aggregate: 'mean',
    compute: ndcgExp,
  },
  {
    name: 'ndcg_exp',
    label: 'nDCG_exp',
    trecEval: null,
    aliases: [],
    description: 'nDCG of the whole ranking with exponential gain 2^grade − 1; no trec_eval equivalent.',
    aggregate: 'mean',
    compute: (q) => ndcgExp(q, Infinity),
  },
];
