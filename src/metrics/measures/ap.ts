import type { MeasureDecl, RankedQuery } from '../types.js';

/**
 * Average precision over the top k (trec_eval `map`, and `map_cut_k` with a cutoff):
 *
 *   AP@k = (1/R) · Σ_{i ≤ min(k,n), rel_i ≥ L} P@i
 *
 * R is the number of relevant judgments of the query, retrieved or not. The divisor is R, not min(R, k)
 * (trec_eval's convention; some tools divide by min(R, k)). 0 when R = 0 or nothing relevant is ranked.
 */
export function averagePrecision(q: RankedQuery, k: number): number {
  const R = q.topic.numRel;
  if (R === 0) return 0;
  const n = Math.min(k, q.numRet);
  const rel = q.rel;
  const level = q.level;
  let found = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (rel[i] >= level) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / R;
}

export const apMeasures: MeasureDecl[] = [
  {
    name: 'map',
    label: 'MAP',
    trecEval: 'map',
    aliases: ['AP'],
    description: 'Average precision of the whole ranking: mean of P@rank over relevant documents, divided by R.',
    aggregate: 'mean',
    compute: (q) => averagePrecision(q, Infinity),
  },
  {
    name: 'map@k',
    label: 'MAP@k',
    trecEval: 'map_cut_k',
    aliases: ['map_cut_k', 'AP@k'],
    description: 'Average precision of the top k, divided by R (not by min(R, k)).',
    aggregate: 'mean',
    compute: averagePrecision,
  },
];
