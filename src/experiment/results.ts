/**
 * results.json (versioned schema, INTERFACE.md), results.csv (the same rows flattened) and the TREC runs.
 * Files are written atomically (temporary file, then rename) so a crash never leaves half a results file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import type { ModelIdentity } from '../models/types.js';
import type { Environment } from './environment.js';
import type { Manifest } from './manifest.js';
import type { LatencyStats } from './timing.js';

export const SCHEMA_VERSION = 1;

export interface StageLatency {
  retrieve: LatencyStats;
  rerank: LatencyStats | null;
  total: LatencyStats;
  /**
   * Timed samples left out of the statistics: a remote reranker waited on `Retry-After` during them (the
   * server's queue, not the model). `note` says when every sample waited and none could be left out.
   */
  excluded?: { retryAfterSamples: number; retryAfterWaitMs: number; note?: string };
  /**
   * The raw timed samples, in the order they were taken (repetitions of the sampled queries): what latency
   * comparisons between results files resample (`rbench gate`). `retryAfter` marks samples left out above.
   */
  samples?: { queries: string[]; retrieve: number[]; rerank: number[] | null; total: number[]; retryAfter?: boolean[] };
}

export interface ResultRow {
  /** `<dataset>/<retriever>/k<candidates>/<reranker>[/b<batch>]`. */
  id: string;
  dataset: string;
  retriever: Record<string, unknown> & { name: string; type: string };
  candidates: number;
  /** null for the first stage alone. */
  reranker: (ModelIdentity & { label: string; interpolate: number | null }) | null;
  batchSize: number | null;
  /** Quality over all evaluated queries; null for architecture stand-ins (random weights: quality means nothing). */
  metrics: Record<string, number> | null;
  perQuery: Record<string, Record<string, number>> | null;
  /** The same candidates before reranking (the comparison a reranker must win). */
  firstStage: Record<string, number> | null;
  /** Recall of the k candidates: the best any reranker can do with them. */
  candidateRecall: number;
  /** What the LLM receives: the final top-N documents, averaged over queries. */
  context: { topN: number; meanDocs: number; meanWords: number; meanTokensEstimate: number };
  /** Recall@k of an HNSW retriever's candidates against exact search with the same embeddings. */
  annRecall?: number;
  /**
   * Engine retrievers (pgvector, postgres-fts): where the engine ran (client, host and database, never
   * credentials), its version (`version()`, pgvector's extversion), and the table and index it read.
   */
  engine?: Record<string, unknown>;
  latencyMs: StageLatency | null;
  throughput: { queriesPerSec: number; pairsPerSec: number | null } | null;
  /** Reranker failures (unparsable LLM answers etc.), tokens used, server-side timings. */
  rerankStats?: Record<string, number>;
  /** TREC run of this configuration's final ranking, relative to the results folder. */
  run: string | null;
  /**
   * The quality configuration this row belongs to: its id without `/b<N>`. Batch size never changes quality,
   * so quality, intervals and tests are computed once per quality configuration and shared by its rows.
   */
  qualityId: string;
  /** In a merged sweep, the shard that computed and timed this row. */
  shard?: number;
  /** 95 % percentile bootstrap interval of each metric's mean over queries (absent without quality). */
  ci95?: Record<string, [number, number]>;
  /**
   * Paired comparison with the dataset's baseline, per metric (absent without quality, and on the baseline's
   * own rows). The family for the correction is every quality configuration of the dataset, per metric.
   */
  vsBaseline?: Record<string, BaselineComparison>;
}

/** One configuration against the baseline, for one metric (every judged query, paired). */
export interface BaselineComparison {
  /** qualityId of the baseline. */
  baseline: string;
  /** Mean of per-query differences (this − baseline). */
  delta: number;
  /** 95 % paired bootstrap interval of `delta`. */
  ci95: [number, number];
  /** Two-sided paired randomization test (exact when at most 20 differences are non-zero). */
  p: number;
  pExact: boolean;
  /** Two-sided paired t-test; null when undefined (a single non-zero difference). */
  pTTest: number | null;
  /** `p` adjusted over the family (the correction in `statistics.correction`). */
  pAdjusted: number;
  significant: boolean;
  wins: number;
  losses: number;
  ties: number;
}

/** How the statistics of a results file were computed. */
export interface StatisticsSettings {
  test: 'randomization';
  correction: 'holm' | 'bonferroni' | 'bh' | 'none';
  alpha: number;
  bootstrap: number;
  permutations: number;
  seed: number;
  /** Per dataset, the qualityId of the baseline every configuration is compared with. */
  baselines: Record<string, string>;
}

/**
 * Honest selection (the winner's curse): the best of many configurations on the same queries overstates it.
 * `estimate` is what choosing the best generalises to: k-fold cross-validated selection (queries sorted by id
 * in byte order, query i in fold i mod k; choose on the other folds, score on the held-out one; the
 * query-weighted mean), or the test score of the configuration chosen on another split (`selectOn`).
 */
export interface Selection {
  dataset: string;
  metric: string;
  method: 'cross-validation' | 'split';
  /** k of k-fold (cross-validation). */
  folds?: number;
  /** The split the configuration was chosen on (method `split`). */
  selectedOn?: string;
  queries: number;
  naiveBest: { id: string; mean: number };
  estimate: number;
  /** naiveBest.mean − estimate. */
  gap: number;
  /** How often each quality configuration was chosen (per fold, or once for a split). */
  chosen: Record<string, number>;
  /**
   * Folds whose choice was an exact tie in training mean, decided by the lower measured p95 latency: there the
   * estimate depends on a noisy measurement and can move between runs when the tied configurations differ on
   * the held-out queries.
   */
  tiesByLatency?: number;
}

/** A configuration as a decision names it: quality, interval and what it costs at its fastest batch size. */
export interface DecisionPick {
  id: string;
  batchSize: number | null;
  mean: number;
  ci95: [number, number];
  /** Total latency per query (the decision's `latency` statistic), ms. */
  latencyMs: number;
  vsBaseline?: { delta: number; pAdjusted: number; significant: boolean };
}

/** "Which to ship" within one latency budget. */
export interface Decision {
  dataset: string;
  metric: string;
  latency: 'p95' | 'p50';
  /** null: no budget. */
  budgetMs: number | null;
  /** The highest mean within the budget (null when nothing with quality fits). */
  best: DecisionPick | null;
  /**
   * The cheapest configuration within the budget whose quality is not significantly below the best (paired
   * randomization test against the best, Holm over every other quality configuration of the dataset, those
   * outside the budget at p = 1, α), with its comparison to the best.
   */
  recommended: (DecisionPick & { vsBest: { delta: number; pAdjusted: number | null } }) | null;
  /** One sentence: why this one. */
  reason: string;
  /** Architecture stand-ins within the budget: cost known, quality unknown offline. */
  standIns: { id: string; batchSize: number | null; latencyMs: number }[];
}

export interface DatasetSummary {
  name: string;
  path: string;
  split: string;
  docs: number;
  queries: number;
  evaluatedQueries: number;
  qrels: number;
  sha256: string;
  warnings: string[];
  /** Set on a split run only to choose configurations for another dataset (`selectOn`): that dataset's label. */
  selectionFor?: string;
}

export interface ResultsFile {
  schemaVersion: number;
  experiment: string;
  createdAt: string;
  durationSec: number;
  environment: Environment;
  config: unknown;
  conventions: Record<string, string>;
  datasets: DatasetSummary[];
  work: Record<string, number>;
  results: ResultRow[];
  statistics?: StatisticsSettings;
  selection?: Selection[];
  decisions?: Decision[];
  /** What is needed to re-run exactly this experiment (manifest.ts). */
  manifest?: Manifest;
  /** A shard's part of a sweep (`--shard i/n`): which work units it ran (shard.ts). */
  shard?: { index: number; count: number; units: string[]; allUnits: number };
  /** A merged sweep: each shard's environment, units and duration (its rows say which shard timed them). */
  shards?: { index: number; environment: Environment; units: string[]; durationSec: number }[];
  /** Set when the shards ran on different hardware: latency comparisons across them are not like for like. */
  latencyNote?: string;
}

/** The conventions every results file states (CONVENTIONS.md: say how the numbers were computed). */
export function conventions(evaluation: { complete: boolean; relLevel: number; judgedOnly: boolean }): Record<string, string> {
  return {
    metrics: 'trec_eval 10.0 semantics: ranking by score descending, ties by document id descending (UTF-8 bytes); linear gain nDCG; map@k divides by R; P@k divides by k; mrr@k = recip_rank on the top k',
    queries: evaluation.complete
      ? 'every judged query counts (trec_eval -c); a query without results scores 0'
      : 'queries present in both qrels and run (trec_eval default)',
    relevance: `a document is relevant when its grade >= ${evaluation.relLevel}; negative grades are unjudged${evaluation.judgedOnly ? '; unjudged documents removed before scoring (-J)' : ''}`,
    reranking: 'pointwise scores of (query, title + " " + text); shallower candidate counts are prefixes of the deepest first-stage list; reranker ties broken by document id; candidates never get injected positives',
    truncation: 'cross-encoders truncate the document only; the query is kept whole',
    latency: 'timing pass separate from quality: sampled queries, warm-up excluded, repeated, no cache; per query, sequential (one query at a time)',
    contextTokens: 'meanTokensEstimate = characters / 4 (rule of thumb for BPE tokenizers), reported with words',
  };
}

export function writeAtomic(file: string, data: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Puts folder `from` in the place of `to` as a whole (two renames; the old folder is removed only once the new
 * one is in place), so `to` never mixes files of two runs. A missing `from` gives an empty `to`.
 */
export function replaceDir(from: string, to: string): void {
  if (!fs.existsSync(from)) fs.mkdirSync(from, { recursive: true });
  const old = `${to}.old-${process.pid}`;
  fs.rmSync(old, { recursive: true, force: true });
  const hadOld = fs.existsSync(to);
  if (hadOld) fs.renameSync(to, old);
  fs.renameSync(from, to);
  if (hadOld) fs.rmSync(old, { recursive: true, force: true });
}

export function writeResultsJson(file: string, results: ResultsFile): void {
  writeAtomic(file, `${JSON.stringify(results, null, 1)}\n`);
}

/** Flattens rows: one column per metric, first-stage metric and latency figure. */
export function resultsCsv(results: ResultsFile): string {
  const metricNames = [...new Set(results.results.flatMap((r) => Object.keys(r.metrics ?? r.firstStage ?? {})))];
  const rows = results.results.map((r) => {
    const row: Record<string, string | number | null> = {
      id: r.id,
      dataset: r.dataset,
      retriever: r.retriever.name,
      retriever_type: r.retriever.type,
      candidates: r.candidates,
      reranker: r.reranker?.label ?? 'none',
      reranker_weights: r.reranker?.weights ?? '',
      interpolate: r.reranker?.interpolate ?? '',
      batch_size: r.batchSize,
    };
    for (const m of metricNames) row[m] = r.metrics?.[m] ?? null;
    for (const m of metricNames) row[`first_stage_${m}`] = r.firstStage?.[m] ?? null;
    row.candidate_recall = r.candidateRecall;
    row.ann_recall = r.annRecall ?? null;
    row.context_top_n = r.context.topN;
    row.context_mean_words = r.context.meanWords;
    row.context_mean_tokens_estimate = r.context.meanTokensEstimate;
    for (const stage of ['retrieve', 'rerank', 'total'] as const) {
      const s = r.latencyMs?.[stage] ?? null;
      for (const k of ['p50', 'p95', 'p99', 'mean'] as const) row[`${stage}_ms_${k}`] = s ? s[k] : null;
    }
    row.queries_per_sec = r.throughput?.queriesPerSec ?? null;
    row.pairs_per_sec = r.throughput?.pairsPerSec ?? null;
    row.run = r.run;
    return row;
  });
  return `${Papa.unparse(rows, { newline: '\n' })}\n`;
}
