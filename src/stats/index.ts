/**
 * Statistics over per-query scores: bootstrap intervals, the paired randomization and t tests, corrections
 * for multiple comparisons, and the comparison of systems that `rbench compare` prints. Pure functions over
 * `Float64Array`s and per-query maps; nothing here reads files except `scoreTrecRuns` (`trec.ts`).
 *
 *   compareSystems([{ name: 'bm25', perQuery }, { name: 'hybrid', perQuery }], { metrics: ['ndcg@10'] })
 */
export { bootstrapMeanCI, bootstrapMeans } from './bootstrap.js';
export type { BootstrapOptions } from './bootstrap.js';
export { COMPARE_DEFAULTS, COMPARE_FORMATS, CORRECTION_NAMES, TEST_NAMES } from './choices.js';
export type { CompareFormat, CorrectionName, TestName } from './choices.js';
export { adjustPValues, benjaminiHochberg, bonferroni, CORRECTIONS, holm } from './corrections.js';
export { compareSystems, pairedQueries, PAIRED_TESTS, resolveBaseline } from './compare.js';
export type { CompareOptions, CompareReport, Comparison, MetricSummary, SystemScores, SystemSummary } from './compare.js';
export { formatCompare, formatCompareJson, formatCompareMarkdown, formatCompareTable } from './format.js';
export { quantileSorted } from './percentile.js';
export { EXACT_LIMIT, randomizationTest, TIE_TOLERANCE } from './randomization.js';
export type { RandomizationOptions, RandomizationResult } from './randomization.js';
export { deriveSeed } from './seed.js';
export { runName, scoreTrecRuns } from './trec.js';
export type { TrecRunCoverage } from './trec.js';
export { pairedTTest } from './ttest.js';
export type { TTestResult } from './ttest.js';
