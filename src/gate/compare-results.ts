/**
 * The paired comparison of two results files, configuration by configuration: `rbench compare A B` prints
 * it, `rbench gate` judges it.
 *
 * For each matched quality configuration (`match.ts`) and metric, the baseline's and the current's
 * per-query values over the queries both scored go through `compareSystems` (src/stats): each side's mean
 * with its bootstrap interval, the mean difference current − baseline with its paired bootstrap interval,
 * the paired randomization and t tests, wins, losses and ties. The two systems are named
 * `baseline:<id>` and `current:<id>`, so each configuration's random streams are its own and a number
 * depends only on the seed and that configuration's data.
 *
 * **The family** of the multiple-comparison correction is every matched configuration of one dataset, for
 * one metric: k configurations give k p-values per (dataset, metric), adjusted together (Holm by default).
 */
import { UsageError } from '../errors.js';
import { adjustPValues } from '../stats/corrections.js';
import { compareSystems, type MetricSummary } from '../stats/compare.js';
import { COMPARE_DEFAULTS, type CorrectionName, type StatisticsOptions, type TestName } from '../stats/choices.js';
import { matchNotes, type LeftOut, type Matched, type QualityPair } from './match.js';
import type { LoadedResults } from './results-file.js';

export type PairStatsOptions = StatisticsOptions;

export const PAIR_STATS_DEFAULTS: PairStatsOptions = {
  test: COMPARE_DEFAULTS.test,
  correction: COMPARE_DEFAULTS.correction,
  alpha: COMPARE_DEFAULTS.alpha,
  permutations: COMPARE_DEFAULTS.permutations,
  bootstrap: COMPARE_DEFAULTS.bootstrap,
  seed: COMPARE_DEFAULTS.seed,
};

/** One configuration, one metric: baseline against current. */
export interface ResultsComparison {
  dataset: string;
  /** The quality configuration (qualityId). */
  configuration: string;
  metric: string;
  /** Queries compared (both sides scored them). */
  queries: number;
  baseline: MetricSummary;
  current: MetricSummary;
  /** Mean of the per-query differences current − baseline. */
  delta: number;
  /** 95 % paired bootstrap interval of `delta`. */
  ci95: [number, number];
  pRandomization: number;
  pRandomizationExact: boolean;
  pTTest: number | null;
  /** The chosen test's p, adjusted over the (dataset, metric) family. */
  pAdjusted: number | null;
  pAdjustedRandomization: number;
  pAdjustedTTest: number | null;
  /** pAdjusted ≤ alpha. */
  significant: boolean;
  /** Queries where the current scores above, below or the same as the baseline. */
  wins: number;
  losses: number;
  ties: number;
  /** The largest |current − baseline| over the queries (0 when the two agree on every query). */
  maxAbsDifference: number;
}

export interface FileInfo {
  file: string;
  experiment: string | null;
  createdAt: string | null;
  gitCommit: string | null;
}

/** What `rbench compare A B --format json` prints. */
export interface ResultsCompareReport {
  kind: 'results';
  baseline: FileInfo;
  current: FileInfo;
  test: TestName;
  correction: CorrectionName;
  alpha: number;
  seed: number;
  bootstrap: number;
  permutations: number;
  metrics: string[];
  datasets: { name: string; sha256: string; split: string | null }[];
  comparisons: ResultsComparison[];
  leftOut: LeftOut;
  notes: string[];
}

export function fileInfo(r: LoadedResults): FileInfo {
  const commit = r.data.environment.gitCommit;
  return { file: r.file, experiment: r.data.experiment ?? null, createdAt: r.data.createdAt ?? null, gitCommit: typeof commit === 'string' ? commit : null };
}

/** The per-query values of `metrics` on `queries` only (a copy when some queries are left out). */
function restrict(perQuery: Readonly<Record<string, Readonly<Record<string, number>>>>, queries: readonly string[]): Record<string, Readonly<Record<string, number>>> {
  const out: Record<string, Readonly<Record<string, number>>> = {};
  for (const q of queries) out[q] = perQuery[q];
  return out;
}

/**
 * Compares every pair on every metric and adjusts the p-values per family: by default each (dataset,
 * metric), as the module comment says; `family` names another grouping (the gate uses one family for all
 * its checks). Results are ordered by pair, then metric.
 */
export function comparePairs(pairs: readonly QualityPair[], metrics: readonly string[], o: PairStatsOptions, family: (c: ResultsComparison) => string = (c) => `${c.dataset}\u0000${c.metric}`): ResultsComparison[] {
  if (metrics.length === 0) throw new UsageError('the two results files have no metric in common, so there is nothing to compare.', { hint: 'Compare results of sweeps that report the same metrics.' });
  const out: ResultsComparison[] = [];
  for (const pair of pairs) {
    const a = restrict(pair.baseline.perQuery ?? {}, pair.queries);
    const b = restrict(pair.current.perQuery ?? {}, pair.queries);
    const report = compareSystems(
      [
        { name: `baseline:${pair.id}`, perQuery: a },
        { name: `current:${pair.id}`, perQuery: b },
      ],
      { metrics, test: o.test, correction: 'none', alpha: o.alpha, permutations: o.permutations, bootstrap: o.bootstrap, seed: o.seed },
    );
    for (const m of metrics) {
      const c = report.comparisons.find((x) => x.metric === m);
      if (!c) continue;
      let maxAbs = 0;
      for (const q of pair.queries) maxAbs = Math.max(maxAbs, Math.abs(b[q][m] - a[q][m]));
      out.push({
        dataset: pair.dataset,
        configuration: pair.id,
        metric: m,
        queries: report.queries,
        baseline: report.runs[0].metrics[m],
        current: report.runs[1].metrics[m],
        delta: c.delta,
        ci95: c.ci95,
        pRandomization: c.pRandomization,
        pRandomizationExact: c.pRandomizationExact,
        pTTest: c.pTTest,
        pAdjusted: null,
        pAdjustedRandomization: NaN,
        pAdjustedTTest: null,
        significant: false,
        wins: c.wins,
        losses: c.losses,
        ties: c.ties,
        maxAbsDifference: maxAbs,
      });
    }
  }
  const families = new Map<string, ResultsComparison[]>();
  for (const c of out) {
    const key = family(c);
    const f = families.get(key) ?? [];
    f.push(c);
    families.set(key, f);
  }
  for (const family of families.values()) {
    const rand = adjustPValues(Float64Array.from(family.map((c) => c.pRandomization)), o.correction);
    const t = adjustPValues(Float64Array.from(family.map((c) => c.pTTest ?? NaN)), o.correction);
    family.forEach((c, i) => {
      c.pAdjustedRandomization = rand[i];
      c.pAdjustedTTest = Number.isNaN(t[i]) ? null : t[i];
      c.pAdjusted = o.test === 'randomization' ? c.pAdjustedRandomization : c.pAdjustedTTest;
      c.significant = c.pAdjusted !== null && c.pAdjusted <= o.alpha;
    });
  }
  return out;
}

/** The whole `rbench compare A B` report from a match. */
export function compareResults(baseline: LoadedResults, current: LoadedResults, matched: Matched, o: PairStatsOptions): ResultsCompareReport {
  if (matched.quality.length === 0) {
    throw new UsageError(`${baseline.file} and ${current.file} have no configuration with quality in common, so there is nothing to compare.`, {
      hint: 'Configurations are matched by id (dataset/retriever/k<depth>/reranker): compare results of the same sweep config, before and after a change.',
    });
  }
  return {
    kind: 'results',
    baseline: fileInfo(baseline),
    current: fileInfo(current),
    ...o,
    metrics: matched.metrics,
    datasets: matched.datasets.map((d) => ({ name: d.name, sha256: d.sha256, split: d.split ?? null })),
    comparisons: comparePairs(matched.quality, matched.metrics, o),
    leftOut: matched.leftOut,
    notes: matchNotes(matched),
  };
}
