/**
 * Evaluation with trec_eval semantics: the measure registry, in-memory and streaming evaluation.
 *
 *   evaluate(qrels, run, { metrics: ['ndcg@10', 'mrr@10'] })            // runs held in memory
 *   await evaluateFiles('qrels.txt', 'run.trec', { metrics: [...] })   // TREC files, streamed
 */
export { evaluate, evaluateFiles, evaluateFilesWithCoverage, evaluateWithCoverage } from './evaluate.js';
export type { EvalCoverage, EvalOptions, EvalResult } from './evaluate.js';
export { DEFAULT_METRICS, MEASURES, measuresMarkdownTable, parseMetrics, trecEvalName, validMetricNames } from './registry.js';
export type { MeasureDecl, ParsedMetric, RankedQuery, TopicStats } from './types.js';
