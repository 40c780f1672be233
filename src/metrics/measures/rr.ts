import type { MeasureDecl, RankedQuery } from '../types.js';

/**
 * Reciprocal rank: 1 / (rank of the first relevant document among the top k), 0 when there is none.
 * Relevant means grade ≥ the relevance level. trec_eval's `recip_rank` has no cutoff (k = Infinity);
 * MRR@k is `recip_rank` on the run truncated to its top k (trec_eval `-M k`), so a first relevant
 * document below rank k gives 0, not 1/rank. Queries without relevant documents give 0 and still count.
 */
export function reciprocalRank(q: RankedQuery, k: number): number {
  const n = Math.min(k, q.numRet);
  const rel = q.rel;
  const level = q.level;
  for (let i = 0; i < n; i++) if (rel[i] >= level) return 1 / (i + 1);
  return 0;
}

export const rrMeasures: MeasureDecl[] = [
  {
    name: 'mrr@k',
    label: 'MRR@k',
    trecEval: 'recip_rank (-M k)',
    aliases: ['RR@k'],
    description: 'Reciprocal rank of the first relevant document within the top k (0 if none there).',
    aggregate: 'mean',
    compute: reciprocalRank,
  },
  {
    name: 'mrr',
    label: 'MRR',
    trecEval: 'recip_rank',
    aliases: ['recip_rank', 'RR'],
    description: 'Reciprocal rank of the first relevant document anywhere in the ranking.',
    aggregate: 'mean',
    compute: (q) => reciprocalRank(q, Infinity),
  },
];
