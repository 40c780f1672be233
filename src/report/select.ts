/**
 * From result rows to the few numbers each chart and table needs. Pure functions, no I/O.
 *
 * The rule the whole report keeps: a row whose reranker has random weights (an architecture stand-in) is
 * cost only. `hasQuality` is the one gate every quality view goes through; stand-ins reach only the cost
 * views (throughput, latency, the stand-in section).
 */
import { parseMetrics } from '../metrics/registry.js';
import { qualityIdOf, type ReportDecision, type ReportResults, type ReportRow } from './input.js';
import { paretoFrontier } from './pareto.js';

export interface MetricInfo {
  /** Key in `metrics` / `firstStage` (as the config wrote it). */
  key: string;
  /** Display label from the metric registry (`nDCG@10`), or the key when the registry does not know it. */
  label: string;
  /** One sentence from the registry ('' when unknown). */
  description: string;
}

/** An architecture stand-in: exact shape of a real model, random weights; its quality means nothing. */
export function isStandIn(r: ReportRow): boolean {
  return r.reranker?.weights === 'random';
}

/** Rows whose quality may be shown: metrics present and not a stand-in. */
export function hasQuality(r: ReportRow): r is ReportRow & { metrics: Record<string, number> } {
  return r.metrics !== null && !isStandIn(r);
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The metrics of the experiment, in the config's order (`config.metrics`), then any other key found in
 * rows with quality. The first is the primary metric of the charts.
 */
export function metricInfos(results: ReportResults, rows: readonly ReportRow[] = results.results): MetricInfo[] {
  const keys: string[] = [];
  const configured = (results.config as { metrics?: unknown } | null)?.metrics;
  const present = new Set(rows.filter(hasQuality).flatMap((r) => Object.keys(r.metrics)));
  if (Array.isArray(configured)) for (const k of configured) if (typeof k === 'string' && present.has(k) && !keys.includes(k)) keys.push(k);
  for (const k of present) if (!keys.includes(k)) keys.push(k);
  return keys.map((key) => {
    try {
      const [p] = parseMetrics([key]);
      return { key, label: p!.label, description: p!.measure.description };
    } catch {
      return { key, label: key, description: '' };
    }
  });
}

/** The retriever's name, with its ANN recall when it has one (HNSW: recall of its candidates vs exact search). */
export function retrieverLabel(r: ReportRow): string {
  return finite(r.annRecall) ? `${r.retriever.name} (ANN recall ${r.annRecall.toFixed(3)})` : r.retriever.name;
}

/** `none` for the first stage alone; stand-ins say so in their name wherever they appear. */
export function rerankerLabel(r: ReportRow): string {
  if (!r.reranker) return 'none';
  return isStandIn(r) ? `${r.reranker.label} (stand-in)` : r.reranker.label;
}

/** Total latency per query, p50 or p95: the statistic decisions use (`decisions[].latency`), else p50. */
export type LatencyStat = 'p50' | 'p95';

/** The latency statistic of a results file's decisions; p50 (what older reports plotted) without decisions. */
export function latencyStatOf(results: Pick<ReportResults, 'decisions'>): LatencyStat {
  return results.decisions?.[0]?.latency ?? 'p50';
}

/** One batch size of a quality configuration: what it costs. */
export interface BatchCost {
  batchSize: number | null;
  p50: number;
  p95: number;
  queriesPerSec: number;
  pairsPerSec: number;
}

/**
 * A quality configuration: (dataset, retriever, candidates, reranker), whatever the batch size. Its rows (one
 * per batch size) share quality, intervals and tests, and differ only in cost.
 */
export interface QualityConfig {
  /** `qualityId`: the row id without `/b<N>`. */
  id: string;
  /** Its first row, for quality (`metrics`, `ci95`, `vsBaseline`, `firstStage`, ...). */
  head: ReportRow & { metrics: Record<string, number> };
  rows: ReportRow[];
  /** Timed rows' costs, by batch size ascending (the first stage alone, batch null, first). */
  costs: BatchCost[];
}

/** Rows with quality grouped by quality configuration, in the order of their first row. */
export function qualityConfigs(rows: readonly ReportRow[]): QualityConfig[] {
  const groups = new Map<string, QualityConfig>();
  for (const r of rows) {
    if (!hasQuality(r)) continue;
    const id = qualityIdOf(r);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, head: r, rows: [], costs: [] }));
    g.rows.push(r);
    if (r.latencyMs) {
      g.costs.push({
        batchSize: r.batchSize,
        p50: r.latencyMs.total.p50,
        p95: r.latencyMs.total.p95,
        queriesPerSec: r.throughput?.queriesPerSec ?? Number.NaN,
        pairsPerSec: r.throughput?.pairsPerSec ?? Number.NaN,
      });
    }
  }
  for (const g of groups.values()) g.costs.sort((a, b) => (a.batchSize ?? 0) - (b.batchSize ?? 0));
  return [...groups.values()];
}

/** The batch size with the lowest `stat` (finite); ties to the smaller batch. undefined when none was timed. */
export function fastestCost(q: QualityConfig, stat: LatencyStat): BatchCost | undefined {
  let best: BatchCost | undefined;
  for (const c of q.costs) if (finite(c[stat]) && (!best || c[stat] < best[stat])) best = c;
  return best;
}

/** `tech-qa/bm25/k10/none` → `bm25/k10/none`: an id without its dataset label (the section names the dataset). */
export function pipelineOf(id: string, dataset: string): string {
  return id.startsWith(`${dataset}/`) ? id.slice(dataset.length + 1) : id;
}

/** How each multiple-comparison correction of `statistics.correction` is called in prose. */
export const CORRECTION_NAMES: Readonly<Record<'holm' | 'bonferroni' | 'bh' | 'none', string>> = { holm: 'Holm', bonferroni: 'Bonferroni', bh: 'Benjamini–Hochberg', none: 'no correction' };

/** `≤ 10 ms` for a budget, `no budget` for null. */
export function budgetLabel(budgetMs: number | null): string {
  return budgetMs === null ? 'no budget' : `≤ ${budgetMs} ms`;
}

/** The decisions of one dataset, budgets ascending, no budget last. */
export function decisionsOf(results: Pick<ReportResults, 'decisions'>, dataset: string): ReportDecision[] {
  return (results.decisions ?? []).filter((d) => d.dataset === dataset).sort((a, b) => (a.budgetMs ?? Infinity) - (b.budgetMs ?? Infinity));
}

/**
 * What the decisions say about each quality configuration of a dataset, for chart labels: `baseline`,
 * `recommended (≤ 10 ms, no budget)` (or `(every budget)`), joined by `; `.
 */
export function decisionRoles(decisions: readonly ReportDecision[], baseline: string | undefined): Map<string, string> {
  const budgets = new Map<string, string[]>();
  for (const d of decisions) if (d.recommended) budgets.set(d.recommended.id, [...(budgets.get(d.recommended.id) ?? []), budgetLabel(d.budgetMs)]);
  const roles = new Map<string, string[]>();
  const add = (id: string, role: string): void => void roles.set(id, [...(roles.get(id) ?? []), role]);
  if (baseline !== undefined) add(baseline, 'baseline');
  for (const [id, b] of budgets) add(id, `recommended (${b.length === decisions.length && b.length > 1 ? 'every budget' : b.join(', ')})`);
  return new Map([...roles].map(([id, r]) => [id, r.join('; ')]));
}

export interface QualityPoint {
  /** The quality configuration (`qualityId`). */
  id: string;
  retriever: string;
  reranker: string;
  candidates: number;
  /** The fastest batch size (by the chart's latency statistic); null for the first stage alone. */
  batchSize: number | null;
  /** The chart's x: total latency per query at the fastest batch size, by the chart's statistic (ms). */
  latency: number;
  /** Total latency per query of that batch size, p50 and p95 (ms). */
  latencyP50: number;
  latencyP95: number;
  queriesPerSec: number;
  /** The primary metric, and its 95 % interval (NaN when the file has none). */
  quality: number;
  ciLow: number;
  ciHigh: number;
  /** Every metric, in `metricInfos` order (NaN where a row lacks one). */
  metrics: number[];
  /** Not dominated in (lower latency, higher quality). */
  frontier: boolean;
  /** What the decisions say about it (`decisionRoles`), or null. */
  role: string | null;
}

/**
 * Points of the quality-vs-latency chart: one per quality configuration, at its fastest batch size by `stat`
 * (batch size never changes quality, so slower batch sizes could only be dominated copies), when that
 * latency is positive and finite (the x axis is logarithmic) and the primary metric is finite. Stand-ins
 * never qualify. `frontier` marks the Pareto frontier over exactly these points.
 */
export function qualityPoints(rows: readonly ReportRow[], metrics: readonly MetricInfo[], stat: LatencyStat = 'p50', roles: ReadonlyMap<string, string> = new Map()): QualityPoint[] {
  const primary = metrics[0];
  if (!primary) return [];
  const points: QualityPoint[] = [];
  for (const q of qualityConfigs(rows)) {
    const r = q.head;
    const cost = fastestCost(q, stat);
    const quality = r.metrics[primary.key];
    if (!cost || !finite(quality) || !(cost[stat] > 0)) continue;
    const ci = r.ci95?.[primary.key];
    points.push({
      id: q.id,
      retriever: retrieverLabel(r),
      reranker: rerankerLabel(r),
      candidates: r.candidates,
      batchSize: cost.batchSize,
      latency: cost[stat],
      latencyP50: cost.p50,
      latencyP95: cost.p95,
      queriesPerSec: cost.queriesPerSec,
      quality,
      ciLow: ci?.[0] ?? Number.NaN,
      ciHigh: ci?.[1] ?? Number.NaN,
      metrics: metrics.map((m) => r.metrics[m.key] ?? Number.NaN),
      frontier: false,
      role: roles.get(q.id) ?? null,
    });
  }
  for (const i of paretoFrontier(points.map((p) => ({ cost: p.latency, value: p.quality })))) points[i].frontier = true;
  return points;
}

export type DepthKind = 'reranked' | 'first stage' | 'candidate recall';

export interface DepthPoint {
  retriever: string;
  /** A reranker's label, `first stage` or `candidate recall@k (ceiling)`. */
  series: string;
  kind: DepthKind;
  candidates: number;
  value: number;
}

export const FIRST_STAGE_SERIES = 'first stage (no reranker)';
export const CEILING_SERIES = 'candidate recall@k (ceiling)';

/**
 * Points of the quality-vs-depth chart, from rows with quality only: each reranker's primary metric per
 * (retriever, candidates) (batch size does not change quality, so one point per depth), the first stage's
 * primary metric at the same depth (the `none` rows, or the `firstStage` figures of reranked rows), and
 * the candidates' recall@k, the best any reranker can reach with those candidates.
 */
export function depthPoints(rows: readonly ReportRow[], metrics: readonly MetricInfo[]): DepthPoint[] {
  const primary = metrics[0];
  if (!primary) return [];
  const out = new Map<string, DepthPoint>();
  const add = (p: DepthPoint): void => {
    const key = JSON.stringify([p.retriever, p.series, p.candidates]);
    if (!out.has(key) && finite(p.value)) out.set(key, p);
  };
  for (const r of rows) {
    if (!hasQuality(r)) continue;
    const retriever = retrieverLabel(r);
    const k = r.candidates;
    if (r.reranker) {
      add({ retriever, series: rerankerLabel(r), kind: 'reranked', candidates: k, value: r.metrics[primary.key] ?? Number.NaN });
      add({ retriever, series: FIRST_STAGE_SERIES, kind: 'first stage', candidates: k, value: r.firstStage?.[primary.key] ?? Number.NaN });
    } else {
      add({ retriever, series: FIRST_STAGE_SERIES, kind: 'first stage', candidates: k, value: r.metrics[primary.key] ?? Number.NaN });
    }
    add({ retriever, series: CEILING_SERIES, kind: 'candidate recall', candidates: k, value: r.candidateRecall });
  }
  return [...out.values()];
}

export interface ThroughputPoint {
  retriever: string;
  /** Reranker labels sharing this measurement (interpolated variants of a model share its timing), joined. */
  reranker: string;
  standIn: boolean;
  candidates: number;
  batchSize: number;
  pairsPerSec: number;
  rerankP50: number;
}

/**
 * Points of the throughput-vs-batch-size chart: every reranked row with a measured pairs/s, stand-ins
 * included (this is cost). Variants of one model that share a timing block (same retriever, model, depth,
 * batch size) become one point whose label names them all.
 */
export function throughputPoints(rows: readonly ReportRow[]): ThroughputPoint[] {
  const out = new Map<string, ThroughputPoint & { labels: string[] }>();
  for (const r of rows) {
    const pps = r.throughput?.pairsPerSec;
    if (!r.reranker || r.batchSize === null || !finite(pps) || pps <= 0) continue;
    const model = JSON.stringify([r.retriever.name, r.reranker.name, r.reranker.source, r.reranker.sha256 ?? null, r.candidates, r.batchSize]);
    const existing = out.get(model);
    if (existing) {
      if (!existing.labels.includes(r.reranker.label)) existing.labels.push(r.reranker.label);
      continue;
    }
    out.set(model, {
      retriever: retrieverLabel(r),
      reranker: '',
      labels: [r.reranker.label],
      standIn: isStandIn(r),
      candidates: r.candidates,
      batchSize: r.batchSize,
      pairsPerSec: pps,
      rerankP50: r.latencyMs?.rerank?.p50 ?? Number.NaN,
    });
  }
  return [...out.values()].map(({ labels, ...p }) => ({ ...p, reranker: `${labels.join(' = ')}${p.standIn ? ' (stand-in)' : ''}` }));
}

export interface CostPoint {
  id: string;
  reranker: string;
  candidates: number;
  batchSize: number | null;
  totalP50: number;
  totalP95: number;
  rerankP50: number;
  pairsPerSec: number;
}

/** The stand-in rows' cost (total latency p50/p95, rerank p50, pairs/s); rows without timing are left out. */
export function standInCostPoints(rows: readonly ReportRow[]): CostPoint[] {
  return rows
    .filter((r) => isStandIn(r) && r.latencyMs && finite(r.latencyMs.total.p50))
    .map((r) => ({
      id: r.id,
      reranker: rerankerLabel(r),
      candidates: r.candidates,
      batchSize: r.batchSize,
      totalP50: r.latencyMs!.total.p50,
      totalP95: r.latencyMs!.total.p95,
      rerankP50: r.latencyMs!.rerank?.p50 ?? Number.NaN,
      pairsPerSec: r.throughput?.pairsPerSec ?? Number.NaN,
    }));
}

/** Dataset names in the order of `datasets`, then any that only rows mention. */
export function datasetNames(results: ReportResults): string[] {
  const names = results.datasets.map((d) => d.name);
  for (const r of results.results) if (!names.includes(r.dataset)) names.push(r.dataset);
  return names;
}

// ----- sweeps -----

export interface EfSearchPoint {
  /** The swept retriever: its name before `@`, with any other swept value (`glove-hnsw M=32`). */
  series: string;
  /** The variant's own name (`glove-hnsw@efSearch=50`). */
  retriever: string;
  efSearch: number;
  annRecall: number;
  /** The fastest timed retrieve stage of the variant (ms; NaN when untimed), by the report's statistic. */
  retrieveMs: number;
}

const EF_KEYS = ['efSearch', 'hnsw.efSearch'];

/** The efSearch of an HNSW retriever: `hnsw.efSearch`, else the swept value. */
function efSearchOf(r: ReportRow): number | undefined {
  const hnsw = r.retriever.hnsw as { efSearch?: unknown } | undefined;
  if (hnsw && typeof hnsw.efSearch === 'number') return hnsw.efSearch;
  const swept = r.retriever.swept as Record<string, unknown> | undefined;
  for (const k of EF_KEYS) if (swept && typeof swept[k] === 'number') return swept[k];
  return undefined;
}

/**
 * Points of the ANN-recall-vs-efSearch chart: one per HNSW retriever variant whose efSearch was swept
 * (`retriever.swept` has `efSearch` or `hnsw.efSearch`) and whose ANN recall was measured. A series (the
 * swept retriever, other swept values fixed) is kept when it has at least two efSearch values.
 */
export function efSearchPoints(rows: readonly ReportRow[], stat: LatencyStat = 'p50'): EfSearchPoint[] {
  const byVariant = new Map<string, EfSearchPoint>();
  for (const r of rows) {
    const swept = r.retriever.swept as Record<string, unknown> | undefined;
    const ef = efSearchOf(r);
    if (!swept || !EF_KEYS.some((k) => k in swept) || ef === undefined || !finite(r.annRecall)) continue;
    const retrieve = r.latencyMs?.retrieve[stat];
    const p = byVariant.get(r.retriever.name);
    if (p) {
      if (finite(retrieve) && !(p.retrieveMs <= retrieve)) p.retrieveMs = retrieve;
      continue;
    }
    const at = r.retriever.name.lastIndexOf('@');
    const others = Object.entries(swept).filter(([k]) => !EF_KEYS.includes(k)).map(([k, v]) => `${k.split('.').pop()}=${String(v)}`);
    byVariant.set(r.retriever.name, {
      series: [at > 0 ? r.retriever.name.slice(0, at) : r.retriever.name, ...others].join(' '),
      retriever: r.retriever.name,
      efSearch: ef,
      annRecall: r.annRecall,
      retrieveMs: finite(retrieve) ? retrieve : Number.NaN,
    });
  }
  const points = [...byVariant.values()];
  const swept = new Set([...new Set(points.map((p) => p.series))].filter((s) => new Set(points.filter((p) => p.series === s).map((p) => p.efSearch)).size >= 2));
  return points.filter((p) => swept.has(p.series)).sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.efSearch - b.efSearch));
}

export type InterpolationKind = 'first stage' | 'interpolated' | 'reranker alone';

export interface InterpolationPoint {
  retriever: string;
  /** The reranker model (its identity's name). */
  model: string;
  candidates: number;
  /** Weight on the reranker: final = (1 − w)·first stage + w·reranker; 0 is the first stage, 1 the reranker alone. */
  weight: number;
  kind: InterpolationKind;
  /** The primary metric. */
  value: number;
  /** The configuration the point is (its qualityId); for w = 0, the interpolated configurations' first stage. */
  id: string;
}

/**
 * Points of the interpolation-weight curves, from rows with quality: per (retriever, candidates, reranker
 * model) whose interpolation weight was swept (at least two weights), the primary metric at each weight, with
 * the first stage on the same candidates at w = 0 and the reranker alone at w = 1 when the sweep has it.
 */
export function interpolationPoints(rows: readonly ReportRow[], metrics: readonly MetricInfo[]): InterpolationPoint[] {
  const primary = metrics[0];
  if (!primary) return [];
  const groupKey = (r: ReportRow) => JSON.stringify([r.dataset, r.retriever.name, r.candidates, r.reranker?.name, r.reranker?.source, r.reranker?.sha256 ?? null]);
  const groups = new Map<string, { interpolated: Map<number, ReportRow>; alone?: ReportRow }>();
  for (const r of rows) {
    if (!hasQuality(r) || !r.reranker) continue;
    const key = groupKey(r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { interpolated: new Map() }));
    if (r.reranker.interpolate === null) g.alone ??= r;
    else if (!g.interpolated.has(r.reranker.interpolate)) g.interpolated.set(r.reranker.interpolate, r);
  }
  const out: InterpolationPoint[] = [];
  for (const g of groups.values()) {
    if (g.interpolated.size < 2) continue;
    const [first] = g.interpolated.values();
    const base = { retriever: retrieverLabel(first), model: first.reranker!.name, candidates: first.candidates };
    const push = (weight: number, kind: InterpolationKind, value: number | undefined, id: string): void => {
      if (finite(value)) out.push({ ...base, weight, kind, value, id });
    };
    push(0, 'first stage', first.firstStage?.[primary.key], `${qualityIdOf(first)} (first stage)`);
    for (const [w, r] of [...g.interpolated].sort((a, b) => a[0] - b[0])) push(w, 'interpolated', r.metrics![primary.key], qualityIdOf(r));
    if (g.alone) push(1, 'reranker alone', g.alone.metrics![primary.key], qualityIdOf(g.alone));
  }
  return out;
}

// ----- per-query wins and losses against the baseline -----

export type Outcome = 'win' | 'tie' | 'loss';

export interface WinLossComparison {
  /** The compared quality configuration. */
  id: string;
  /** Why it is compared: `recommended (≤ 10 ms, ...)`, `best with no budget`. */
  role: string;
  wins: number;
  losses: number;
  ties: number;
  meanDelta: number;
  queries: number;
  /** True when the bars are quantiles of the sorted differences (more queries than bars). */
  sampled: boolean;
}

export interface WinLossPoint {
  /** The facet label: the comparison and its counts. */
  comparison: string;
  /** Position in the sorted differences, 1 = the largest win. */
  rank: number;
  delta: number;
  outcome: Outcome;
  /** The query id; null when the bar is a quantile of many queries. */
  query: string | null;
}

/**
 * The configurations the wins/losses chart sets against the baseline: the recommended one of every budget
 * (distinct, in budget order) and the best with no budget, leaving out the baseline itself.
 */
export function winLossTargets(decisions: readonly ReportDecision[], baseline: string): { id: string; role: string }[] {
  const roles = decisionRoles(decisions, undefined);
  const out: { id: string; role: string }[] = [];
  for (const d of decisions) if (d.recommended && d.recommended.id !== baseline && !out.some((o) => o.id === d.recommended!.id)) out.push({ id: d.recommended.id, role: roles.get(d.recommended.id)! });
  const best = decisions.find((d) => d.budgetMs === null)?.best;
  if (best && best.id !== baseline && !out.some((o) => o.id === best.id)) out.push({ id: best.id, role: 'best with no budget' });
  return out;
}

/**
 * Per-query differences (configuration − baseline) on `metric`, over the queries both have, largest win
 * first; a win is a positive difference, a loss a negative one, a tie exactly zero. With more than `maxBars`
 * queries the bars are `maxBars` evenly spaced quantiles of the sorted differences (the counts stay exact).
 */
export function winLossData(rows: readonly ReportRow[], targets: readonly { id: string; role: string }[], baseline: string, metric: string, dataset: string, maxBars = 300): { comparisons: WinLossComparison[]; points: WinLossPoint[] } {
  const perQuery = (id: string) => rows.find((r) => qualityIdOf(r) === id && r.perQuery)?.perQuery ?? undefined;
  const base = perQuery(baseline);
  const comparisons: WinLossComparison[] = [];
  const points: WinLossPoint[] = [];
  if (!base) return { comparisons, points };
  for (const t of targets) {
    const mine = perQuery(t.id);
    if (!mine) continue;
    const diffs: { query: string; delta: number }[] = [];
    for (const [q, values] of Object.entries(base)) {
      const a = mine[q]?.[metric];
      const b = values[metric];
      if (finite(a) && finite(b)) diffs.push({ query: q, delta: a - b });
    }
    if (diffs.length === 0) continue;
    diffs.sort((x, y) => y.delta - x.delta || (x.query < y.query ? -1 : x.query > y.query ? 1 : 0));
    const wins = diffs.filter((d) => d.delta > 0).length;
    const losses = diffs.filter((d) => d.delta < 0).length;
    const c: WinLossComparison = {
      id: t.id,
      role: t.role,
      wins,
      losses,
      ties: diffs.length - wins - losses,
      meanDelta: diffs.reduce((s, d) => s + d.delta, 0) / diffs.length,
      queries: diffs.length,
      sampled: diffs.length > maxBars,
    };
    comparisons.push(c);
    const label = `${pipelineOf(t.id, dataset)}, ${t.role}: ${c.wins} wins, ${c.losses} losses, ${c.ties} ties`;
    const bars = c.sampled ? Array.from({ length: maxBars }, (_, j) => diffs[Math.round((j * (diffs.length - 1)) / (maxBars - 1))]) : diffs;
    bars.forEach((d, i) => points.push({ comparison: label, rank: i + 1, delta: d.delta, outcome: d.delta > 0 ? 'win' : d.delta < 0 ? 'loss' : 'tie', query: c.sampled ? null : d.query }));
  }
  return { comparisons, points };
}

/**
 * Decisions of consecutive budgets that name the same configurations, merged: `labels` are their budgets,
 * `budgets` the same in one string (`every budget` when one group holds them all).
 */
export function mergedDecisions(decisions: readonly ReportDecision[]): { budgets: string; labels: string[]; decision: ReportDecision }[] {
  const key = (d: ReportDecision) => JSON.stringify([d.recommended?.id, d.recommended?.batchSize, d.best?.id, d.best?.batchSize]);
  const out: { labels: string[]; decision: ReportDecision; key: string }[] = [];
  for (const d of decisions) {
    const last = out[out.length - 1];
    if (last && last.key === key(d)) last.labels.push(budgetLabel(d.budgetMs));
    else out.push({ labels: [budgetLabel(d.budgetMs)], decision: d, key: key(d) });
  }
  return out.map((g) => ({ budgets: out.length === 1 && g.labels.length > 1 ? 'every budget' : g.labels.join(', '), labels: g.labels, decision: g.decision }));
}
