import type { MeasureDecl, RankedQuery } from '../types.js';

/** Relevant documents (rel ≥ level) among the first min(k, numRet) ranks. */
export function relevantInTop(q: RankedQuery, k: number): number {
  const n = Math.min(k, q.numRet);
  const rel = q.rel;
  const level = q.level;
  let c = 0;
  for (let i = 0; i < n; i++) if (rel[i] >= level) c++;
  return c;
}

/** P@k = relevant in the top k / k. The divisor is k even when fewer than k documents were ranked. */
export function precision(q: RankedQuery, k: number): number {
  return relevantInTop(q, k) / k;
}

/** Recall@k = relevant in the top k / R, where R counts every relevant judgment; 0 when R = 0. */
export function recall(q: RankedQuery, k: number): number {
  const R = q.topic.numRel;
  return R === 0 ? 0 : relevantInTop(q, k) / R;
}

/**
 * R-precision = relevant in the top R / R (trec_eval `Rprec`): precision at rank R. When fewer than R
 * documents were ranked the divisor is still R. 0 when R = 0.
 */
export function rPrecision(q: RankedQuery): number {
  const R = q.topic.numRel;
  return R === 0 ? 0 : relevantInTop(q, R) / R;
}

/** Hit rate (trec_eval `success_k`): 1 when a relevant document is in the top k, else 0. */
export function hitRate(q: RankedQuery, k: number): number {
  const n = Math.min(k, q.numRet);
  const rel = q.rel;
  const level = q.level;
  for (let i = 0; i < n; i++) if (rel[i] >= level) return 1;
  return 0;
}

export const setMeasures: MeasureDecl[] = [
  {
    name: 'precision@k',
    label: 'P@k',
    trecEval: 'P_k',
    aliases: ['P_k', 'P@k'],
    description: 'Fraction of the top k that is relevant; the divisor is k even when fewer documents were returned.',
    aggregate: 'mean',
    compute: precision,
  },
  {
    name: 'recall@k',
    label: 'Recall@k',
    trecEval: 'recall_k',
    aliases: ['recall_k', 'R@k'],
    description: 'Fraction of all relevant judgments of the query found in the top k.',
    aggregate: 'mean',
    compute: recall,
  },
  {
    name: 'r_precision',
    label: 'R-Prec',
    trecEval: 'Rprec',
    aliases: ['Rprec'],
    description: 'Precision at rank R, R being the number of relevant judgments of the query.',
    aggregate: 'mean',
    compute: (q) => rPrecision(q),
  },
  {
    name: 'hit_rate@k',
    label: 'Hit@k',
    trecEval: 'success_k',
    aliases: ['success_k', 'Success@k'],
    description: '1 when at least one relevant document is in the top k, else 0.',
    aggregate: 'mean',
    compute: hitRate,
  },
];
