/**
 * Per-dataset view of a results file: which rows go where, and the chart specs. Pure; the HTML (`page.ts`)
 * and the SVG rendering (`render.ts`) work from this.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportComparison, ReportDataset, ReportDecision, ReportResults, ReportRow, ReportSelection } from './input.js';
import {
  datasetNames,
  decisionRoles,
  decisionsOf,
  depthPoints,
  efSearchPoints,
  hasQuality,
  interpolationPoints,
  isStandIn,
  latencyStatOf,
  metricInfos,
  qualityConfigs,
  qualityPoints,
  standInCostPoints,
  throughputPoints,
  pipelineOf as pipeline,
  winLossData,
  winLossTargets,
  type LatencyStat,
  type MetricInfo,
  type QualityConfig,
  type QualityPoint,
  type WinLossComparison,
} from './select.js';
import { depthSpec, efSearchSpec, interpolationSpec, PALETTE, qualityLatencySpec, standInCostSpec, throughputSpec, winLossSpec } from './specs.js';

export interface ChartDef {
  /** Unique in the page: `d<dataset index>-<kind>`. */
  id: string;
  spec: TopLevelSpec;
  /** Text alternative of the chart (aria-label of the static image). */
  alt: string;
}

export type ChartKind = 'winLoss' | 'quality' | 'depth' | 'efSearch' | 'interpolation' | 'throughput' | 'standIn';

export interface DatasetView {
  name: string;
  /** HTML id of the dataset's section. */
  anchor: string;
  summary: ReportDataset | undefined;
  metrics: MetricInfo[];
  /** Rows with quality (never stand-ins), best primary metric first. */
  qualityRows: ReportRow[];
  /** The same grouped by quality configuration (batch sizes folded), best primary metric first. */
  qualityConfigs: QualityConfig[];
  /** Stand-in rows (cost only), in results order. */
  standIns: ReportRow[];
  /** Rows with a timing pass (stand-ins included), in results order. */
  timedRows: ReportRow[];
  /** Every row of the dataset, in results order. */
  rows: ReportRow[];
  /** Points of the quality/latency chart; `frontier` sorted by latency. */
  quality: QualityPoint[];
  frontier: QualityPoint[];
  /** Total latency statistic of the charts and cost columns (the decisions', else p50). */
  latencyStat: LatencyStat;
  /** The baseline's qualityId (`statistics.baselines`), when the file names one. */
  baseline: string | undefined;
  /** This dataset's decisions, budgets ascending, no budget last (empty without decisions). */
  decisions: ReportDecision[];
  /** This dataset's selection estimates, in file order. */
  selection: ReportSelection[];
  /** The decision metric (the primary metric when the file has no decisions). */
  decisionMetric: MetricInfo | undefined;
  /** The per-query comparisons with the baseline behind the wins/losses chart. */
  winLoss: WinLossComparison[];
  /** Set when this split only chooses configurations for another dataset (`selectOn`): that dataset's label. */
  selectionFor: string | undefined;
  charts: Partial<Record<ChartKind, ChartDef>>;
}

const finite = (x: number | undefined | null): x is number => typeof x === 'number' && Number.isFinite(x);

/** Best primary metric first; ties by lower total p50 latency, then id (deterministic). */
function byQuality(primary: string | undefined): (a: ReportRow, b: ReportRow) => number {
  const q = (r: ReportRow) => (primary && r.metrics && finite(r.metrics[primary]) ? r.metrics[primary] : -Infinity);
  const lat = (r: ReportRow) => (r.latencyMs && finite(r.latencyMs.total.p50) ? r.latencyMs.total.p50 : Infinity);
  return (a, b) => q(b) - q(a) || lat(a) - lat(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function datasetView(results: ReportResults, name: string, index: number): DatasetView {
  const rows = results.results.filter((r) => r.dataset === name);
  const metrics = metricInfos(results, rows);
  const primary = metrics[0];
  const qualityRows = rows.filter(hasQuality).sort(byQuality(primary?.key));
  const order = new Map(qualityRows.map((r, i) => [r, i]));
  const configs = qualityConfigs(qualityRows).sort((a, b) => order.get(a.head)! - order.get(b.head)!);
  const standIns = rows.filter(isStandIn);
  const timedRows = rows.filter((r) => r.latencyMs !== null);
  const stat = latencyStatOf(results);
  const baseline = results.statistics?.baselines[name];
  const decisions = decisionsOf(results, name);
  const selection = (results.selection ?? []).filter((s) => s.dataset === name);
  const decisionKey = decisions[0]?.metric;
  const decisionMetric = decisionKey === undefined ? primary : (metrics.find((m) => m.key === decisionKey) ?? { key: decisionKey, label: decisionKey, description: '' });
  const quality = qualityPoints(rows, metrics, stat, decisionRoles(decisions, baseline));
  const frontier = quality.filter((p) => p.frontier).sort((a, b) => a.latency - b.latency || b.quality - a.quality);
  const charts: Partial<Record<ChartKind, ChartDef>> = {};
  const id = (kind: string) => `d${index}-${kind}`;
  let winLoss: WinLossComparison[] = [];
  if (baseline !== undefined && decisionMetric) {
    const data = winLossData(rows, winLossTargets(decisions, baseline), baseline, decisionMetric.key, name);
    winLoss = data.comparisons;
    if (data.points.length > 0) {
      charts.winLoss = {
        id: id('winloss'),
        spec: winLossSpec(data.points, decisionMetric.label, pipeline(baseline, name), winLoss.some((c) => c.sampled)),
        alt: `Per-query ${decisionMetric.label} differences against the baseline on ${name}: ${winLoss.map((c) => `${pipeline(c.id, name)} ${c.wins} wins, ${c.losses} losses, ${c.ties} ties`).join('; ')}.`,
      };
    }
  }
  if (primary && quality.length > 0) {
    charts.quality = {
      id: id('quality'),
      spec: qualityLatencySpec(quality, metrics, stat),
      alt: `${primary.label} against total ${stat} latency per query for ${quality.length} configurations of ${name}; ${frontier.length} on the Pareto frontier (listed in the table below).`,
    };
  }
  const depth = depthPoints(rows, metrics);
  if (primary && depth.length > 0) {
    charts.depth = { id: id('depth'), spec: depthSpec(depth, metrics), alt: `${primary.label} against candidate depth per retriever and reranker on ${name}, with the first stage and the candidates' recall.` };
  }
  const ef = efSearchPoints(rows, stat);
  if (ef.length > 0) {
    charts.efSearch = { id: id('efsearch'), spec: efSearchSpec(ef), alt: `ANN recall against efSearch for ${new Set(ef.map((p) => p.series)).size} swept HNSW retrievers on ${name}.` };
  }
  const interp = interpolationPoints(rows, metrics);
  if (primary && interp.length > 0) {
    charts.interpolation = { id: id('interpolation'), spec: interpolationSpec(interp, metrics), alt: `${primary.label} against the interpolation weight on ${name}, from the first stage (w = 0) to the reranker alone (w = 1).` };
  }
  const tp = throughputPoints(rows);
  const cost = standInCostPoints(rows);
  // One colour per reranker label across the two cost charts.
  const rerankerColors = new Map([...new Set([...tp.map((p) => p.reranker), ...cost.map((p) => p.reranker)])].sort().map((l, i) => [l, PALETTE[i % PALETTE.length]]));
  if (tp.length > 0) {
    charts.throughput = { id: id('throughput'), spec: throughputSpec(tp, rerankerColors), alt: `Rerank pairs per second against batch size on ${name} (figures in the latency table below).` };
  }
  if (cost.length > 0) {
    charts.standIn = { id: id('standin'), spec: standInCostSpec(cost, rerankerColors), alt: `Total latency of architecture stand-ins (random weights, cost only) on ${name} (figures in the table below).` };
  }
  return {
    name,
    anchor: `dataset-${index + 1}`,
    summary: results.datasets.find((d) => d.name === name),
    metrics,
    qualityRows,
    qualityConfigs: configs,
    standIns,
    timedRows,
    rows,
    quality,
    frontier,
    latencyStat: stat,
    baseline,
    decisions,
    selection,
    decisionMetric,
    winLoss,
    selectionFor: results.datasets.find((d) => d.name === name)?.selectionFor,
    charts,
  };
}



export function buildViews(results: ReportResults): DatasetView[] {
  return datasetNames(results).map((name, i) => datasetView(results, name, i));
}

/** The charts of a dataset's own section, in page order. */
export const DATASET_CHARTS: readonly ChartKind[] = ['quality', 'depth', 'efSearch', 'interpolation', 'throughput', 'standIn'];

/** Every chart of the report, in page order: the decision section's (wins/losses per dataset), then each dataset's. */
export function allCharts(views: readonly DatasetView[]): ChartDef[] {
  const of = (v: DatasetView, kinds: readonly ChartKind[]) => kinds.flatMap((k) => (v.charts[k] ? [v.charts[k]] : []));
  return [...views.flatMap((v) => of(v, ['winLoss'])), ...views.flatMap((v) => of(v, DATASET_CHARTS))];
}

export interface CrossDatasetCell {
  value: number;
  /** Its comparison with that dataset's baseline, on the table's metric. */
  comparison: ReportComparison | undefined;
  baseline: boolean;
}

export interface CrossDatasetTable {
  metric: MetricInfo;
  datasets: string[];
  /** Pipelines (ids without the dataset label), by mean descending; those missing a dataset last, by name. */
  rows: { pipeline: string; cells: (CrossDatasetCell | undefined)[]; mean: number | undefined }[];
}

/**
 * Pipelines × datasets on the decision metric (the primary metric without decisions), with the mean over
 * datasets, as BEIR and MTEB publish: for two or more datasets with quality (a split that only chooses for
 * another dataset, `selectionFor`, is not one). The mean is over every dataset, so a pipeline missing from one
 * has none.
 */
export function crossDataset(views: readonly DatasetView[]): CrossDatasetTable | undefined {
  const used = views.filter((v) => v.qualityConfigs.length > 0 && v.selectionFor === undefined);
  const metric = used[0]?.decisionMetric;
  if (used.length < 2 || !metric) return undefined;
  const byPipeline = new Map<string, (CrossDatasetCell | undefined)[]>();
  used.forEach((v, i) => {
    for (const q of v.qualityConfigs) {
      const value = q.head.metrics[metric.key];
      if (!finite(value)) continue;
      const p = pipeline(q.id, v.name);
      if (!byPipeline.has(p)) byPipeline.set(p, new Array<CrossDatasetCell | undefined>(used.length).fill(undefined));
      byPipeline.get(p)![i] = { value, comparison: q.head.vsBaseline?.[metric.key], baseline: q.id === v.baseline };
    }
  });
  const rows = [...byPipeline].map(([p, cells]) => ({
    pipeline: p,
    cells,
    mean: cells.every((c) => c !== undefined) ? cells.reduce((s, c) => s + c!.value, 0) / cells.length : undefined,
  }));
  rows.sort((a, b) => (a.mean === undefined ? 1 : 0) - (b.mean === undefined ? 1 : 0) || (b.mean ?? 0) - (a.mean ?? 0) || (a.pipeline < b.pipeline ? -1 : a.pipeline > b.pipeline ? 1 : 0));
  return { metric, datasets: used.map((v) => v.name), rows };
}
