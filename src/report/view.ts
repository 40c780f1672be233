/**
 * Per-dataset view of a results file: which rows go where, and the chart specs. Pure; the HTML (`page.ts`)
 * and the SVG rendering (`render.ts`) work from this.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportDataset, ReportResults, ReportRow } from './input.js';
import {
  datasetNames,
  depthPoints,
  hasQuality,
  isStandIn,
  metricInfos,
  qualityPoints,
  standInCostPoints,
  throughputPoints,
  type MetricInfo,
  type QualityPoint,
} from './select.js';
import { depthSpec, PALETTE, qualityLatencySpec, standInCostSpec, throughputSpec } from './specs.js';

export interface ChartDef {
  /** Unique in the page: `d<dataset index>-<kind>`. */
  id: string;
  spec: TopLevelSpec;
  /** Text alternative of the chart (aria-label of the static image). */
  alt: string;
}

export type ChartKind = 'quality' | 'depth' | 'throughput' | 'standIn';

export interface DatasetView {
  name: string;
  /** HTML id of the dataset's section. */
  anchor: string;
  summary: ReportDataset | undefined;
  metrics: MetricInfo[];
  /** Rows with quality (never stand-ins), best primary metric first. */
  qualityRows: ReportRow[];
  /** Stand-in rows (cost only), in results order. */
  standIns: ReportRow[];
  /** Rows with a timing pass (stand-ins included), in results order. */
  timedRows: ReportRow[];
  /** Every row of the dataset, in results order. */
  rows: ReportRow[];
  /** Points of the quality/latency chart; `frontier` sorted by latency. */
  quality: QualityPoint[];
  frontier: QualityPoint[];
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
  const standIns = rows.filter(isStandIn);
  const timedRows = rows.filter((r) => r.latencyMs !== null);
  const quality = qualityPoints(rows, metrics);
  const frontier = quality.filter((p) => p.frontier).sort((a, b) => a.latencyP50 - b.latencyP50 || b.quality - a.quality);
  const charts: Partial<Record<ChartKind, ChartDef>> = {};
  const id = (kind: string) => `d${index}-${kind}`;
  if (primary && quality.length > 0) {
    charts.quality = {
      id: id('quality'),
      spec: qualityLatencySpec(quality, metrics),
      alt: `${primary.label} against total p50 latency per query for ${quality.length} configurations of ${name}; ${frontier.length} on the Pareto frontier (listed in the table below).`,
    };
  }
  const depth = depthPoints(rows, metrics);
  if (primary && depth.length > 0) {
    charts.depth = { id: id('depth'), spec: depthSpec(depth, metrics), alt: `${primary.label} against candidate depth per retriever and reranker on ${name}, with the first stage and the candidates' recall.` };
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
    standIns,
    timedRows,
    rows,
    quality,
    frontier,
    charts,
  };
}

export function buildViews(results: ReportResults): DatasetView[] {
  return datasetNames(results).map((name, i) => datasetView(results, name, i));
}

/** Every chart of the report, in page order. */
export function allCharts(views: readonly DatasetView[]): ChartDef[] {
  const kinds: ChartKind[] = ['quality', 'depth', 'throughput', 'standIn'];
  return views.flatMap((v) => kinds.flatMap((k) => (v.charts[k] ? [v.charts[k]] : [])));
}
