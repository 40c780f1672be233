/**
 * From result rows to the few numbers each chart and table needs. Pure functions, no I/O.
 *
 * The rule the whole report keeps: a row whose reranker has random weights (an architecture stand-in) is
 * cost only. `hasQuality` is the one gate every quality view goes through; stand-ins reach only the cost
 * views (throughput, latency, the stand-in section).
 */
import { parseMetrics } from '../metrics/registry.js';
import type { ReportResults, ReportRow } from './input.js';
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

export interface QualityPoint {
  id: string;
  retriever: string;
  reranker: string;
  candidates: number;
  batchSize: number | null;
  /** Total latency per query, p50 and p95 (ms). */
  latencyP50: number;
  latencyP95: number;
  queriesPerSec: number;
  /** The primary metric. */
  quality: number;
  /** Every metric, in `metricInfos` order (NaN where a row lacks one). */
  metrics: number[];
  /** Not dominated in (lower latency, higher quality). */
  frontier: boolean;
}

/**
 * Points of the quality-vs-latency chart: rows with quality and a positive, finite total p50 latency (the
 * x axis is logarithmic) and a finite primary metric. Stand-ins never qualify. `frontier` marks the Pareto
 * frontier over exactly these points.
 */
export function qualityPoints(rows: readonly ReportRow[], metrics: readonly MetricInfo[]): QualityPoint[] {
  const primary = metrics[0];
  if (!primary) return [];
  const points: QualityPoint[] = [];
  for (const r of rows) {
    if (!hasQuality(r) || !r.latencyMs) continue;
    const quality = r.metrics[primary.key];
    const p50 = r.latencyMs.total.p50;
    if (!finite(quality) || !finite(p50) || p50 <= 0) continue;
    points.push({
      id: r.id,
      retriever: retrieverLabel(r),
      reranker: rerankerLabel(r),
      candidates: r.candidates,
      batchSize: r.batchSize,
      latencyP50: p50,
      latencyP95: r.latencyMs.total.p95,
      queriesPerSec: r.throughput?.queriesPerSec ?? Number.NaN,
      quality,
      metrics: metrics.map((m) => r.metrics[m.key] ?? Number.NaN),
      frontier: false,
    });
  }
  for (const i of paretoFrontier(points.map((p) => ({ cost: p.latencyP50, value: p.quality })))) points[i].frontier = true;
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
