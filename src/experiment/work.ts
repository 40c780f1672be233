/**
 * The planner's work counters: what the shared plan saved against running every configuration on its own,
 * and what the cache supplied. One flat record, written as `work` in results.json; every stage adds to it.
 */
export const WORK_COUNTERS = [
  'configurations',
  'qualityConfigurations',
  /** Retrieval passes the plan needs (one per retriever and dataset); how many ran (the rest came from the cache). */
  'retrievalPasses',
  'retrievalPassesComputed',
  /** Passes a runner without the planner would make: one per configuration. */
  'retrievalPassesNaive',
  'rerankPairsNeeded',
  'rerankPairsComputed',
  'rerankPairsFromCache',
  'rerankPairsNaive',
  'embeddingsComputed',
  'embeddingsFromCache',
  'timingBlocksMeasured',
  'timingBlocksResumed',
] as const;

export type Work = Record<(typeof WORK_COUNTERS)[number], number>;

export function emptyWork(): Work {
  return Object.fromEntries(WORK_COUNTERS.map((k) => [k, 0])) as Work;
}
