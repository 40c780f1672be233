/**
 * Paired comparison of systems scored on the same queries: what `rbench compare` reports, whatever the
 * scores came from (TREC runs under one qrels, or the per-query rows of results files).
 *
 * Input: each system's per-query values, query id → metric → value (the shape of `EvalResult.perQuery` and
 * of a results.json row's `perQuery`). Output (`CompareReport`, printed as JSON by `rbench compare --format
 * json`):
 * - per system and metric: the mean over queries and its 95 % percentile bootstrap interval (`bootstrap.ts`);
 * - per metric and system other than the baseline: the mean difference (system − baseline) with its paired
 *   bootstrap interval, the randomization test's p (`randomization.ts`) and the t-test's p (`ttest.ts`), both
 *   adjusted for multiple comparisons (`corrections.ts`), and wins, losses and ties by query.
 *
 * - **Pairing.** Every system must have a value for every metric on the same set of queries; otherwise the
 *   comparison is refused (UsageError naming the systems and a query), never silently intersected. Queries
 *   are taken in code point order (trec_eval's byte order).
 * - **The family** for a multiple-comparison correction is every comparison against the baseline for one
 *   metric: k systems give k − 1 p-values per metric. Metrics are separate families: they are different
 *   questions about the same runs, and the report is read metric by metric.
 * - `pAdjusted` and `significant` use the chosen test (`test`, randomization by default); both tests'
 *   adjusted p-values are reported too (`pAdjustedRandomization`, `pAdjustedTTest`). Significant means
 *   adjusted p ≤ α.
 * - **Wins, losses, ties:** queries where the system's value is above, below or equal (exactly, as doubles)
 *   to the baseline's.
 * - **Seeds:** every random procedure has its own stream, derived from `seed` and the names of the system(s)
 *   and metric (`seed.ts`), so a number depends only on the seed and its own data.
 */
import { compareCodePoints } from '../data/order.js';
import { UsageError } from '../errors.js';
import { bootstrapMeanCI } from './bootstrap.js';
import { COMPARE_DEFAULTS, CORRECTION_NAMES, TEST_NAMES, type CorrectionName, type TestName } from './choices.js';
import { adjustPValues } from './corrections.js';
import { EXACT_LIMIT, randomizationTest } from './randomization.js';
import { deriveSeed } from './seed.js';
import { pairedTTest } from './ttest.js';

/** The paired tests `--test` chooses between: which p-value `pAdjusted` and `significant` use. */
export const PAIRED_TESTS = {
  randomization: { label: 'paired randomization test' },
  t: { label: 'paired t-test' },
} as const satisfies Record<TestName, { label: string }>;

/** One system's per-query values: query id → metric key → value. */
export interface SystemScores {
  name: string;
  perQuery: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface CompareOptions {
  /** Metric keys, as in the per-query rows; the report keeps this order. */
  metrics: readonly string[];
  /** Index of the baseline in the systems (default 0); see `resolveBaseline`. */
  baseline?: number;
  test?: TestName;
  correction?: CorrectionName;
  /** Significance level for `significant`, in (0, 1). */
  alpha?: number;
  /** Monte Carlo sign patterns of the randomization test when it is not exact. */
  permutations?: number;
  /** Bootstrap resamples of every interval. */
  bootstrap?: number;
  /** Seed of every random stream (an integer in [0, 2^32)). */
  seed?: number;
  /** Largest number of non-zero differences for which the randomization test is exact (default 20). */
  exactLimit?: number;
}

export interface MetricSummary {
  mean: number;
  /** 95 % percentile bootstrap interval of the mean. */
  ci95: [number, number];
}

export interface SystemSummary {
  name: string;
  metrics: Record<string, MetricSummary>;
}

export interface Comparison {
  baseline: string;
  run: string;
  metric: string;
  /** Mean of the per-query differences run − baseline. */
  delta: number;
  /** 95 % paired bootstrap interval of `delta`. */
  ci95: [number, number];
  pRandomization: number;
  /** Whether `pRandomization` enumerated every sign pattern (otherwise Monte Carlo). */
  pRandomizationExact: boolean;
  /** Two-sided paired t-test p; null when undefined (a single query with a non-zero difference). */
  pTTest: number | null;
  /** The chosen test's p, adjusted with the chosen correction over this metric's family. */
  pAdjusted: number | null;
  pAdjustedRandomization: number;
  pAdjustedTTest: number | null;
  /** pAdjusted ≤ alpha. */
  significant: boolean;
  wins: number;
  losses: number;
  ties: number;
}

/** The report; `--format json` prints it as is. */
export interface CompareReport {
  /** Queries every system was scored on. */
  queries: number;
  baseline: string;
  test: TestName;
  correction: CorrectionName;
  alpha: number;
  seed: number;
  /** Bootstrap resamples per interval. */
  bootstrap: number;
  /** Monte Carlo samples of the randomization test where it is not exact. */
  permutations: number;
  metrics: string[];
  runs: SystemSummary[];
  comparisons: Comparison[];
}

/**
 * The index of the baseline among `names`: the one named `spec`, else the `spec`-th (1-based), else, with
 * no `spec`, the first. Throws UsageError for anything else, listing the names.
 */
export function resolveBaseline(names: readonly string[], spec: string | undefined): number {
  if (spec === undefined) return 0;
  const byName = names.indexOf(spec);
  if (byName >= 0) return byName;
  if (/^[1-9][0-9]*$/.test(spec) && Number(spec) <= names.length) return Number(spec) - 1;
  throw new UsageError(`the baseline ${JSON.stringify(spec)} is neither one of the runs nor a position among them.`, {
    hint: `Name a run (${names.map((n) => JSON.stringify(n)).join(', ')}) or give its position, 1 to ${names.length}.`,
  });
}

function examples(ids: string[]): string {
  return `${ids.slice(0, 3).map((q) => JSON.stringify(q)).join(', ')}${ids.length > 3 ? ', …' : ''}`;
}

/**
 * The queries all systems share, in code point order, after checking that they can be paired: the same
 * query set everywhere, and a finite value for every metric on every query. Throws UsageError otherwise.
 */
export function pairedQueries(systems: readonly SystemScores[], metrics: readonly string[]): string[] {
  if (systems.length === 0) throw new UsageError('there are no systems to compare.');
  const first = systems[0];
  const queries = Object.keys(first.perQuery).sort(compareCodePoints);
  if (queries.length === 0) throw new UsageError(`${first.name} has no scored queries, so there is nothing to compare.`);
  const set = new Set(queries);
  for (const s of systems.slice(1)) {
    const own = Object.keys(s.perQuery);
    const extra = own.filter((q) => !set.has(q));
    const ownSet = new Set(own);
    const missing = queries.filter((q) => !ownSet.has(q));
    if (extra.length > 0 || missing.length > 0) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`${missing.length} ${missing.length === 1 ? 'query' : 'queries'} of ${first.name} missing from ${s.name} (${examples(missing)})`);
      if (extra.length > 0) parts.push(`${extra.length} ${extra.length === 1 ? 'query' : 'queries'} of ${s.name} missing from ${first.name} (${examples(extra)})`);
      throw new UsageError(`cannot pair ${first.name} and ${s.name}: ${parts.join('; ')}.`, {
        hint: 'Paired tests need every system scored on the same queries: score them against the same judgments, with every judged query counted.',
      });
    }
  }
  for (const s of systems) {
    for (const q of queries) {
      const row = s.perQuery[q];
      for (const m of metrics) {
        const v = row[m];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new UsageError(`${s.name} has no finite value of ${m} for query ${JSON.stringify(q)} (${String(v)}).`, {
            hint: 'Every system needs a value of every compared metric on every query.',
          });
        }
      }
    }
  }
  return queries;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function checkOptions(o: Required<Omit<CompareOptions, 'exactLimit'>>, systems: number): void {
  const bad = (what: string, hint: string): never => {
    throw new UsageError(what, { hint });
  };
  if (systems < 2) bad(`compare needs at least two systems, got ${systems}.`, 'Give a baseline and at least one system to compare with it.');
  if (!Number.isSafeInteger(o.baseline) || o.baseline < 0 || o.baseline >= systems) bad(`baseline index ${o.baseline} is out of range.`, `Use 0 to ${systems - 1}.`);
  if (!TEST_NAMES.includes(o.test)) bad(`unknown test ${JSON.stringify(o.test)}.`, `Use one of: ${TEST_NAMES.join(', ')}.`);
  if (!CORRECTION_NAMES.includes(o.correction)) bad(`unknown correction ${JSON.stringify(o.correction)}.`, `Use one of: ${CORRECTION_NAMES.join(', ')}.`);
  if (!(o.alpha > 0 && o.alpha < 1)) bad(`alpha (--alpha) must be in (0, 1), got ${o.alpha}.`, 'The usual level is 0.05.');
  if (!Number.isSafeInteger(o.permutations) || o.permutations < 1) bad(`permutations (--permutations) must be a positive integer, got ${o.permutations}.`, 'The default is 100000.');
  if (!Number.isSafeInteger(o.bootstrap) || o.bootstrap < 1) bad(`bootstrap resamples (--bootstrap) must be a positive integer, got ${o.bootstrap}.`, 'The default is 10000.');
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) bad(`the seed (--seed) must be an integer from 0 to 4294967295, got ${o.seed}.`, 'Any fixed seed makes the output reproducible.');
  if (o.metrics.length === 0) bad('no metrics to compare.', 'Name at least one metric.');
  if (new Set(o.metrics).size !== o.metrics.length) bad(`a metric is listed twice (${o.metrics.join(', ')}).`, 'List each metric once.');
}

/** Per-query values of one metric as an array aligned with `queries`. */
function column(s: SystemScores, queries: readonly string[], metric: string): Float64Array {
  const out = new Float64Array(queries.length);
  for (let i = 0; i < queries.length; i++) out[i] = s.perQuery[queries[i]][metric];
  return out;
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** Compares every system with the baseline (see the module comment). Throws UsageError for bad input. */
export function compareSystems(systems: readonly SystemScores[], opts: CompareOptions): CompareReport {
  const o = {
    metrics: [...opts.metrics],
    baseline: opts.baseline ?? 0,
    test: opts.test ?? COMPARE_DEFAULTS.test,
    correction: opts.correction ?? COMPARE_DEFAULTS.correction,
    alpha: opts.alpha ?? COMPARE_DEFAULTS.alpha,
    permutations: opts.permutations ?? COMPARE_DEFAULTS.permutations,
    bootstrap: opts.bootstrap ?? COMPARE_DEFAULTS.bootstrap,
    seed: opts.seed ?? COMPARE_DEFAULTS.seed,
  };
  checkOptions(o, systems.length);
  const names = systems.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`two systems are named ${JSON.stringify(twice)}.`, { hint: 'Every system needs its own name.' });
  const queries = pairedQueries(systems, o.metrics);
  const base = systems[o.baseline];

  const runs: SystemSummary[] = systems.map((s) => {
    const metrics: Record<string, MetricSummary> = {};
    for (const m of o.metrics) {
      const values = column(s, queries, m);
      metrics[m] = { mean: mean(values), ci95: bootstrapMeanCI(values, { resamples: o.bootstrap, seed: deriveSeed(o.seed, 'bootstrap', s.name, m) }) };
    }
    return { name: s.name, metrics };
  });

  const comparisons: Comparison[] = [];
  for (const m of o.metrics) {
    const b = column(base, queries, m);
    const family: Comparison[] = [];
    const pRand: number[] = [];
    const pT: number[] = [];
    for (const s of systems) {
      if (s === base) continue;
      const r = column(s, queries, m);
      const d = new Float64Array(queries.length);
      let wins = 0;
      let losses = 0;
      for (let i = 0; i < d.length; i++) {
        d[i] = r[i] - b[i];
        if (r[i] > b[i]) wins++;
        else if (r[i] < b[i]) losses++;
      }
      const rand = randomizationTest(d, { samples: o.permutations, seed: deriveSeed(o.seed, 'randomization', base.name, s.name, m), exactLimit: opts.exactLimit ?? EXACT_LIMIT });
      const t = pairedTTest(d);
      pRand.push(rand.p);
      pT.push(t.p);
      family.push({
        baseline: base.name,
        run: s.name,
        metric: m,
        delta: mean(d),
        ci95: bootstrapMeanCI(d, { resamples: o.bootstrap, seed: deriveSeed(o.seed, 'bootstrap-delta', base.name, s.name, m) }),
        pRandomization: rand.p,
        pRandomizationExact: rand.exact,
        pTTest: orNull(t.p),
        pAdjusted: null,
        pAdjustedRandomization: NaN,
        pAdjustedTTest: null,
        significant: false,
        wins,
        losses,
        ties: d.length - wins - losses,
      });
    }
    const adjRand = adjustPValues(Float64Array.from(pRand), o.correction);
    const adjT = adjustPValues(Float64Array.from(pT), o.correction);
    family.forEach((c, i) => {
      c.pAdjustedRandomization = adjRand[i];
      c.pAdjustedTTest = orNull(adjT[i]);
      c.pAdjusted = o.test === 'randomization' ? c.pAdjustedRandomization : c.pAdjustedTTest;
      c.significant = c.pAdjusted !== null && c.pAdjusted <= o.alpha;
    });
    comparisons.push(...family);
  }

  return {
    queries: queries.length,
    baseline: base.name,
    test: o.test,
    correction: o.correction,
    alpha: o.alpha,
    seed: o.seed,
    bootstrap: o.bootstrap,
    permutations: o.permutations,
    metrics: o.metrics,
    runs,
    comparisons,
  };
}
