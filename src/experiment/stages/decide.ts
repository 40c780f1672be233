/**
 * Stage 6, deciding: what the numbers let a team defend, computed from the rows of every dataset.
 *
 * - **Intervals and tests.** Quality is a property of a quality configuration (dataset, retriever, candidates,
 *   reranker): batch size changes only speed. Per quality configuration and metric: the mean over every judged
 *   query with its 95 % percentile bootstrap interval, and the paired comparison with the dataset's baseline
 *   (delta with its paired bootstrap interval, randomization test, Holm-adjusted p over every configuration of
 *   the dataset for that metric, wins/losses/ties). src/stats does the statistics.
 * - **Honest selection.** The best of many configurations measured on the same queries overstates what
 *   choosing it gives. k-fold cross-validated selection: queries sorted by id in byte order, query i in fold
 *   i mod k; for each fold choose the configuration with the best mean on the other folds (ties: lower p95
 *   latency, then id) and score it on the fold; the query-weighted mean is the estimate. With `selectOn`, the
 *   configuration is chosen on another split and scored on this one.
 * - **Which to ship.** Per latency budget: the best configuration within it, and the recommended one: the
 *   cheapest whose quality is not significantly below the best (paired randomization test against the best,
 *   Holm-corrected), at its fastest batch size. The Holm family is the same size in every budget:
 *   every other quality configuration of the dataset, those outside the budget entering with p = 1. Which
 *   configurations fit a budget is decided by timings, and timings are noisy (one quick-start run timed
 *   hybrid/k30 at 13.7 ms p95 and hybrid/k50 at 6.4 ms); a family that shrank with them pushed BM25's adjusted
 *   p under α within 10 ms and changed the recommendation between two runs on identical quality data. Padding
 *   with p = 1 keeps Holm's guarantee (it is conservative) and makes a smaller budget's test no easier than a
 *   larger one's against the same best.
 */
import { compareCodePoints } from '../../data/order.js';
import { adjustPValues, compareSystems, deriveSeed, randomizationTest } from '../../stats/index.js';
import type { Config, DatasetPlan } from '../config.js';
import type { BaselineComparison, Decision, DecisionPick, ResultRow, Selection, StatisticsSettings } from '../results.js';

/** The rows of one quality configuration, with what a decision needs to know about it. */
interface QualityConfig {
  id: string;
  rows: ResultRow[];
  perQuery: Record<string, Record<string, number>>;
  metrics: Record<string, number>;
  /** Fastest batch size's total latency per statistic (Infinity when untimed). */
  cost: Record<'p50' | 'p95', { ms: number; batchSize: number | null }>;
}

export interface Decided {
  statistics: StatisticsSettings;
  selection: Selection[];
  decisions: Decision[];
}

function fastest(rows: readonly ResultRow[], stat: 'p50' | 'p95'): { ms: number; batchSize: number | null } {
  let best = { ms: Infinity, batchSize: null as number | null };
  for (const r of rows) {
    const ms = r.latencyMs?.total[stat];
    if (ms !== undefined && Number.isFinite(ms) && ms < best.ms) best = { ms, batchSize: r.batchSize };
  }
  return best;
}

/** Quality configurations of a dataset (rows with quality), in row order. */
function qualityConfigs(rows: readonly ResultRow[]): QualityConfig[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) if (r.metrics && r.perQuery) groups.set(r.qualityId, [...(groups.get(r.qualityId) ?? []), r]);
  return [...groups].map(([id, group]) => ({
    id,
    rows: group,
    perQuery: group[0].perQuery!,
    metrics: group[0].metrics!,
    cost: { p50: fastest(group, 'p50'), p95: fastest(group, 'p95') },
  }));
}

/** The baseline's qualityId: configured, or the first retriever without a reranker at its deepest depth. */
export function baselineOf(config: Config, label: string, qcs: readonly QualityConfig[], firstRetriever: string): string | undefined {
  const b = config.baseline;
  const retriever = b?.retriever ?? firstRetriever;
  const reranker = b?.reranker ?? 'none';
  const prefix = `${label}/${retriever}/k`;
  const matching = qcs.filter((q) => q.id.startsWith(prefix) && q.id.endsWith(`/${reranker}`) && /^\d+$/.test(q.id.slice(prefix.length, -reranker.length - 1)));
  const depth = (q: QualityConfig) => Number(q.id.slice(prefix.length, -reranker.length - 1));
  if (b?.candidates !== undefined) return matching.find((q) => depth(q) === b.candidates)?.id;
  return matching.sort((x, y) => depth(y) - depth(x))[0]?.id;
}

export function decide(rows: readonly ResultRow[], plans: readonly DatasetPlan[], config: Config, firstRetriever: string): Decided {
  const s = config.statistics;
  const statistics: StatisticsSettings = { test: 'randomization', correction: s.correction, alpha: s.alpha, bootstrap: s.bootstrap, permutations: s.permutations, seed: s.seed, baselines: {} };
  const metric = config.decision.metric ?? config.metrics[0];
  const byDataset = new Map<string, QualityConfig[]>();
  for (const p of plans) {
    const qcs = qualityConfigs(rows.filter((r) => r.dataset === p.label));
    byDataset.set(p.label, qcs);
    const baseline = baselineOf(config, p.label, qcs, firstRetriever);
    if (baseline === undefined || qcs.length < 2) continue;
    statistics.baselines[p.label] = baseline;
    annotate(qcs, baseline, config);
  }
  const selection: Selection[] = [];
  const decisions: Decision[] = [];
  const standInRows = rows.filter((r) => r.reranker?.weights === 'random');
  for (const p of plans) {
    if (p.selectionFor !== undefined) continue;
    const qcs = byDataset.get(p.label) ?? [];
    if (qcs.length === 0) continue;
    const companion = plans.find((q) => q.selectionFor === p.label);
    for (const m of config.metrics) {
      selection.push(companion ? selectOnSplit(qcs, byDataset.get(companion.label) ?? [], p.label, companion, m) : crossValidatedSelection(qcs, p.label, m, s.folds));
    }
    const baseline = statistics.baselines[p.label];
    const standIns = standInRows.filter((r) => r.dataset === p.label);
    const tests = new PairTests(config.statistics);
    // Budgets from the smallest up: a configuration shown significantly below the best within a smaller budget
    // fits every larger one too, and is not recommended there either (the evidence does not go away).
    const shownBelow = new Set<string>();
    const budgets = [...[...config.decision.budgetsMs].sort((a, b) => a - b), null];
    for (const budget of budgets) decisions.push(decideBudget(qcs, standIns, p.label, metric, budget, config, baseline, tests, shownBelow));
  }
  return { statistics, selection, decisions };
}

/** Intervals on every quality row, and the comparison with the baseline on every other one. */
function annotate(qcs: readonly QualityConfig[], baseline: string, config: Config): void {
  const s = config.statistics;
  const report = compareSystems(
    qcs.map((q) => ({ name: q.id, perQuery: q.perQuery })),
    { metrics: config.metrics, baseline: qcs.findIndex((q) => q.id === baseline), correction: s.correction, alpha: s.alpha, bootstrap: s.bootstrap, permutations: s.permutations, seed: s.seed },
  );
  const cis = new Map(report.runs.map((r) => [r.name, Object.fromEntries(Object.entries(r.metrics).map(([m, v]) => [m, v.ci95]))]));
  const versus = new Map<string, Record<string, BaselineComparison>>();
  for (const c of report.comparisons) {
    const entry: BaselineComparison = {
      baseline,
      delta: c.delta,
      ci95: c.ci95,
      p: c.pRandomization,
      pExact: c.pRandomizationExact,
      pTTest: c.pTTest,
      pAdjusted: c.pAdjustedRandomization,
      significant: c.significant,
      wins: c.wins,
      losses: c.losses,
      ties: c.ties,
    };
    versus.set(c.run, { ...versus.get(c.run), [c.metric]: entry });
  }
  for (const q of qcs) {
    for (const row of q.rows) {
      row.ci95 = cis.get(q.id);
      const vs = versus.get(q.id);
      if (vs) row.vsBaseline = vs;
    }
  }
}

/** Better first: higher mean, then lower p95 latency, then id (byte order). */
function better(metric: string, means: (q: QualityConfig) => number) {
  return (a: QualityConfig, b: QualityConfig): number => means(b) - means(a) || a.cost.p95.ms - b.cost.p95.ms || compareCodePoints(a.id, b.id);
}

function meanOver(q: QualityConfig, metric: string, queries: readonly string[]): number {
  let sum = 0;
  for (const id of queries) sum += q.perQuery[id][metric];
  return queries.length > 0 ? sum / queries.length : Number.NaN;
}

/** k-fold cross-validated selection (see the module comment). */
export function crossValidatedSelection(qcs: readonly QualityConfig[], dataset: string, metric: string, k: number): Selection {
  const queries = Object.keys(qcs[0].perQuery).sort(compareCodePoints);
  const folds = Array.from({ length: Math.min(k, queries.length) }, (_, f) => queries.filter((_, i) => i % k === f));
  const naive = [...qcs].sort(better(metric, (q) => q.metrics[metric]))[0];
  const chosen: Record<string, number> = {};
  let sum = 0;
  let byLatency = 0;
  for (const fold of folds) {
    const held = new Set(fold);
    const train = queries.filter((q) => !held.has(q));
    const [pick, next] = [...qcs].sort(better(metric, (q) => meanOver(q, metric, train)));
    if (next && meanOver(next, metric, train) === meanOver(pick, metric, train) && next.cost.p95.ms !== pick.cost.p95.ms) byLatency++;
    chosen[pick.id] = (chosen[pick.id] ?? 0) + 1;
    for (const id of fold) sum += pick.perQuery[id][metric];
  }
  const estimate = sum / queries.length;
  return { dataset, metric, method: 'cross-validation', folds: folds.length, queries: queries.length, naiveBest: { id: naive.id, mean: naive.metrics[metric] }, estimate, gap: naive.metrics[metric] - estimate, chosen, tiesByLatency: byLatency };
}

/** The pipeline of a quality configuration: its id without the dataset label. */
const pipelineOf = (id: string, label: string): string => id.slice(label.length + 1);

/** Chosen on the companion split, scored on this one (see `selectOn`). */
function selectOnSplit(qcs: readonly QualityConfig[], on: readonly QualityConfig[], dataset: string, companion: DatasetPlan, metric: string): Selection {
  const naive = [...qcs].sort(better(metric, (q) => q.metrics[metric]))[0];
  const here = new Map(qcs.map((q) => [pipelineOf(q.id, dataset), q]));
  const pick = [...on].filter((q) => here.has(pipelineOf(q.id, companion.label))).sort(better(metric, (q) => q.metrics[metric]))[0];
  const mine = pick ? here.get(pipelineOf(pick.id, companion.label))! : naive;
  const queries = Object.keys(qcs[0].perQuery).length;
  return {
    dataset,
    metric,
    method: 'split',
    selectedOn: companion.entry.split,
    queries,
    naiveBest: { id: naive.id, mean: naive.metrics[metric] },
    estimate: mine.metrics[metric],
    gap: naive.metrics[metric] - mine.metrics[metric],
    chosen: { [mine.id]: 1 },
  };
}

function pick(q: QualityConfig, metric: string, stat: 'p50' | 'p95'): DecisionPick {
  const vs = q.rows[0].vsBaseline?.[metric];
  return {
    id: q.id,
    batchSize: q.cost[stat].batchSize,
    mean: q.metrics[metric],
    ci95: q.rows[0].ci95?.[metric] ?? [Number.NaN, Number.NaN],
    latencyMs: q.cost[stat].ms,
    ...(vs ? { vsBaseline: { delta: vs.delta, pAdjusted: vs.pAdjusted, significant: vs.significant } } : {}),
  };
}

/** Best and recommended configuration within one budget (see the module comment). */
function decideBudget(qcs: readonly QualityConfig[], standIns: readonly ResultRow[], dataset: string, metric: string, budget: number | null, config: Config, baseline: string | undefined, tests: PairTests, shownBelow: Set<string>): Decision {
  const stat = config.decision.latency;
  const fits = (ms: number) => budget === null || ms <= budget;
  const within = qcs.filter((q) => fits(q.cost[stat].ms)).sort(better(metric, (q) => q.metrics[metric]));
  const cheapStandIns = [...new Set(standIns.map((r) => r.qualityId))]
    .map((id) => ({ id, ...fastest(standIns.filter((r) => r.qualityId === id), stat) }))
    .filter((x) => Number.isFinite(x.ms) && fits(x.ms))
    .map((x) => ({ id: x.id, batchSize: x.batchSize, latencyMs: x.ms }));
  const base: Omit<Decision, 'best' | 'recommended' | 'reason'> = { dataset, metric, latency: stat, budgetMs: budget, standIns: cheapStandIns };
  const best = within[0];
  if (!best) return { ...base, best: null, recommended: null, reason: reasonNone(budget, stat, cheapStandIns, qcs.some((q) => Number.isFinite(q.cost[stat].ms))) };
  // Each candidate against the best, two-sided; Holm over a family of every other quality configuration of the
  // dataset, whatever fits this budget (see the module comment): those outside it count as p = 1.
  const others = within.slice(1).map((q) => ({ q, ...tests.vs(best, q, metric) }));
  const family = Float64Array.from({ length: qcs.length - 1 }, (_, i) => (i < others.length ? others[i].p : 1));
  const adjusted = adjustPValues(family, 'holm');
  const vsBest = new Map(others.map((o, i) => [o.q.id, { delta: o.delta, pAdjusted: adjusted[i] }]));
  const below = new Set(others.filter((o) => vsBest.get(o.q.id)!.pAdjusted <= config.statistics.alpha && o.delta < 0).map((o) => o.q.id));
  const carried = new Set([...shownBelow].filter((id) => id !== best.id && within.some((q) => q.id === id) && !below.has(id)));
  for (const id of carried) below.add(id);
  for (const id of below) shownBelow.add(id);
  const cost = (q: QualityConfig) => (budget === null && !Number.isFinite(q.cost[stat].ms) ? 0 : q.cost[stat].ms);
  const rec = within.filter((q) => !below.has(q.id)).sort((a, b) => cost(a) - cost(b) || b.metrics[metric] - a.metrics[metric] || compareCodePoints(a.id, b.id))[0];
  const recommended = { ...pick(rec, metric, stat), vsBest: vsBest.get(rec.id) ?? { delta: 0, pAdjusted: null } };
  const cheaper = within.filter((q) => cost(q) < cost(rec)).length;
  const cheaperCarried = within.filter((q) => cost(q) < cost(rec) && carried.has(q.id)).length;
  return { ...base, best: pick(best, metric, stat), recommended, reason: reasonFor(recommended, pick(best, metric, stat), within.length, cheaper, cheaperCarried, budget, stat, metric, baseline, cheapStandIns) };
}

/**
 * Paired randomization tests of a configuration against another, memoised: budgets share most pairs (the
 * best within 100 ms is often the best within 1000 ms), and only the correction depends on the budget.
 */
class PairTests {
  private readonly memo = new Map<string, { delta: number; p: number }>();
  constructor(private readonly s: Config['statistics']) {}

  vs(base: QualityConfig, other: QualityConfig, metric: string): { delta: number; p: number } {
    const key = JSON.stringify([base.id, other.id, metric]);
    let r = this.memo.get(key);
    if (!r) {
      const queries = Object.keys(base.perQuery);
      const d = Float64Array.from(queries, (q) => other.perQuery[q][metric] - base.perQuery[q][metric]);
      const p = randomizationTest(d, { samples: this.s.permutations, seed: deriveSeed(this.s.seed, 'randomization', base.id, other.id, metric) }).p;
      r = { delta: d.reduce((a, x) => a + x, 0) / d.length, p };
      this.memo.set(key, r);
    }
    return r;
  }
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2));
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const pv = (p: number | null): string => (p === null ? 'n/a' : p < 0.001 ? '< 0.001' : p.toFixed(3));

function budgetText(budget: number | null, stat: string): string {
  return budget === null ? 'with no latency budget' : `within ${budget} ms ${stat} per query`;
}

function standInText(standIns: Decision['standIns'], budget: number | null): string {
  if (standIns.length === 0) return '';
  const list = standIns.map((x) => `${x.id.split('/').slice(1).join('/')} (${ms(x.latencyMs)} ms)`).join(', ');
  return ` ${budget === null ? 'Architecture stand-ins' : 'Also within budget, as architecture stand-ins'}: ${list}; what they would cost is measured, their quality is unknown offline.`;
}

function reasonNone(budget: number | null, stat: string, standIns: Decision['standIns'], timed: boolean): string {
  if (!timed && budget !== null) return 'No configuration was timed (latency: skip), so no budget can be checked.';
  const head = `No configuration with quality figures runs ${budgetText(budget, stat)}.`;
  return standIns.length > 0 ? `${head}${standInText(standIns, budget).replace(' Also within budget, as architecture stand-ins:', ' Only architecture stand-ins fit:')}` : head;
}

function reasonFor(rec: DecisionPick & { vsBest: { delta: number; pAdjusted: number | null } }, best: DecisionPick, n: number, cheaper: number, cheaperCarried: number, budget: number | null, stat: string, metric: string, baseline: string | undefined, standIns: Decision['standIns']): string {
  const cost = Number.isFinite(rec.latencyMs) ? ` (${ms(rec.latencyMs)} ms ${stat}${rec.batchSize !== null ? `, batch ${rec.batchSize}` : ''})` : '';
  const why =
    rec.id === best.id
      ? `${rec.id} has the best ${metric} ${budgetText(budget, stat)}${cost}${cheaper > 0 ? `; each of the ${cheaper} cheaper configurations is significantly below it${cheaperCarried > 0 ? ` (${cheaperCarried} of them shown below the best within a smaller budget)` : ''}` : n > 1 ? ' and is also the cheapest there' : ''}.`
      : `${rec.id} is the cheapest configuration ${budgetText(budget, stat)}${cost} whose ${metric} is not significantly below the best there, ${best.id} (Δ ${signed(rec.vsBest.delta)}, Holm-adjusted p ${pv(rec.vsBest.pAdjusted)})${cheaperCarried > 0 ? `; ${cheaperCarried} cheaper ${cheaperCarried === 1 ? 'one was' : 'ones were'} shown significantly below the best within a smaller budget` : ''}.`;
  const vs = rec.vsBaseline;
  const against =
    rec.id === baseline
      ? ' It is the baseline.'
      : vs && baseline
        ? ` Against the baseline ${baseline}: ${signed(vs.delta)} (adjusted p ${pv(vs.pAdjusted)}, ${vs.significant ? 'significant' : 'not significant'}).`
        : '';
  return `${why}${against}${standInText(standIns, budget)}`;
}
