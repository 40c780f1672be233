import type { MeasureDecl, RankedQuery } from '../types.js';
import { relevantInTop } from './set.js';

/** Documents ranked for the query (after --depth and --judged-only); summed over queries. */
export function numRet(q: RankedQuery): number {
  return q.numRet;
}

/**
 * R, the relevant judgments of the query (grade ≥ level); summed over queries. trec_eval quirk, kept:
 * with `-c` the summary is instead the number of judgments with grade > 0 over all judged queries,
 * whatever the level (see `evaluate.ts`).
 */
export function numRel(q: RankedQuery): number {
  return q.topic.numRel;
}

/** Relevant documents among those ranked; summed over queries. */
export function numRelRet(q: RankedQuery): number {
  return relevantInTop(q, Infinity);
}

export const countMeasures: MeasureDecl[] = [
  {
    name: 'num_ret',
    label: 'num_ret',
    trecEval: 'num_ret',
    aliases: ['NumRet'],
    description: 'Number of documents ranked (after --depth and --judged-only).',
    aggregate: 'sum',
    integer: true,
    compute: (q) => numRet(q),
  },
  {
    name: 'num_rel',
    label: 'num_rel',
    trecEval: 'num_rel',
    aliases: ['NumRel'],
    description: 'Number of relevant judgments, retrieved or not.',
    aggregate: 'sum',
    integer: true,
    compute: (q) => numRel(q),
  },
  {
    name: 'num_rel_ret',
    label: 'num_rel_ret',
    trecEval: 'num_rel_ret',
    aliases: ['NumRelRet'],
    description: 'Number of relevant documents ranked.',
    aggregate: 'sum',
    integer: true,
    compute: (q) => numRelRet(q),
  },
];
