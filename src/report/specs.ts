/**
 * Vega-Lite specs of the report's charts: small pure functions from chart points (`select.ts`) to a spec
 * with its data inlined. The same spec renders the static SVG (server side) and the interactive chart.
 *
 * Data fields have plain camelCase names; metrics travel as `m0`, `m1`, ... with their label as the
 * tooltip title, because a metric key may contain characters that Vega-Lite reads as field paths (`.`).
 * NaN (a missing measurement) becomes null, which JSON can carry and Vega treats as missing.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CostPoint, DepthPoint, MetricInfo, QualityPoint, ThroughputPoint } from './select.js';
import { CEILING_SERIES, FIRST_STAGE_SERIES } from './select.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
  header: { labelFontSize: 12, titleFontSize: 12 },
} as const;

/** null for non-finite numbers (JSON has no NaN). */
const n = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

const MS = ',.3~r';

/** A colour scale with fixed colours for the labels present (when `colors` knows every one of them). */
function colorScale(labels: readonly string[], colors: ReadonlyMap<string, string> | undefined): { scale?: { domain: string[]; range: string[] } } {
  const domain = [...new Set(labels)].sort();
  if (!colors || !domain.every((l) => colors.has(l))) return {};
  return { scale: { domain, range: domain.map((l) => colors.get(l)!) } };
}

/** Vega's default categorical palette (tableau10), for colours fixed across charts. */
export const PALETTE: readonly string[] = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
const SCORE = '.4f';

/**
 * Quality against latency: total p50 latency per query (log x) vs the primary metric, colour by retriever,
 * shape by reranker; the Pareto frontier as a black staircase (step-after: the best quality reachable
 * within a latency budget), dominated points faded. Scroll/drag zooms in the interactive version.
 */
export function qualityLatencySpec(points: readonly QualityPoint[], metrics: readonly MetricInfo[]): TopLevelSpec {
  const primary = metrics[0]?.label ?? 'quality';
  const values = points.map((p) => ({
    id: p.id,
    retriever: p.retriever,
    reranker: p.reranker,
    candidates: p.candidates,
    batchSize: p.batchSize,
    latency: n(p.latencyP50),
    latencyP95: n(p.latencyP95),
    qps: n(p.queriesPerSec),
    quality: n(p.quality),
    frontier: p.frontier,
    ...Object.fromEntries(p.metrics.map((v, i) => [`m${i}`, n(v)])),
  }));
  const x = { field: 'latency', type: 'quantitative', scale: { type: 'log' }, title: 'total latency per query, p50 (ms, log scale)' } as const;
  const y = { field: 'quality', type: 'quantitative', scale: { zero: false }, title: primary } as const;
  return {
    $schema: SCHEMA,
    title: { text: `${primary} vs latency`, subtitle: 'Black steps: Pareto frontier (nothing else is both faster and better). Faded points are dominated.' },
    width: 640,
    height: 380,
    background: 'white',
    config: CONFIG,
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.frontier' }],
        mark: { type: 'line', interpolate: 'step-after', color: '#222', strokeWidth: 1.5 },
        encoding: { x, y },
      },
      {
        params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          color: { field: 'retriever', type: 'nominal', title: 'retriever' },
          shape: { field: 'reranker', type: 'nominal', title: 'reranker' },
          opacity: { condition: { test: 'datum.frontier', value: 1 }, value: 0.4 },
          tooltip: [
            { field: 'id', type: 'nominal', title: 'configuration' },
            { field: 'latency', type: 'quantitative', title: 'total p50 (ms)', format: MS },
            { field: 'latencyP95', type: 'quantitative', title: 'total p95 (ms)', format: MS },
            { field: 'qps', type: 'quantitative', title: 'queries/s', format: MS },
            ...metrics.map((m, i) => ({ field: `m${i}`, type: 'quantitative' as const, title: m.label, format: SCORE })),
            { field: 'frontier', type: 'nominal', title: 'on the frontier' },
          ],
        },
      },
    ],
  };
}

/**
 * Quality against candidate depth, one panel per retriever: each reranker's primary metric (solid), the
 * first stage at the same depth (dotted), and the candidates' recall@k (dashed), the reranker's ceiling.
 */
export function depthSpec(points: readonly DepthPoint[], metrics: readonly MetricInfo[]): TopLevelSpec {
  const primary = metrics[0]?.label ?? 'quality';
  const values = points.map((p) => ({ retriever: p.retriever, series: p.series, kind: p.kind, candidates: p.candidates, value: n(p.value) }));
  return {
    $schema: SCHEMA,
    title: { text: `${primary} vs candidate depth`, subtitle: `Solid: reranked. Dotted: the first stage at the same depth. Dashed: ${CEILING_SERIES}.` },
    background: 'white',
    config: CONFIG,
    data: { values },
    width: 260,
    height: 240,
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      facet: { field: 'retriever', type: 'nominal', columns: 3, title: null },
      x: { field: 'candidates', type: 'quantitative', title: 'candidates k (first-stage depth)' },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: `${primary} (recall@k for the ceiling)` },
      color: { field: 'series', type: 'nominal', title: 'series' },
      strokeDash: {
        field: 'kind',
        type: 'nominal',
        legend: null,
        scale: { domain: ['reranked', 'first stage', 'candidate recall'], range: [[1, 0], [2, 3], [7, 4]] },
      },
      tooltip: [
        { field: 'retriever', type: 'nominal' },
        { field: 'series', type: 'nominal' },
        { field: 'candidates', type: 'quantitative' },
        { field: 'value', type: 'quantitative', format: SCORE, title: primary },
      ],
    },
  };
}

/**
 * Rerank-stage throughput against batch size (both log scales), one panel per retriever; one line per
 * reranker × candidate count, colour by reranker, point shape by candidate count. Stand-ins included: cost.
 * `rerankerColors` fixes the colour of each reranker label (shared with the stand-in chart).
 */
export function throughputSpec(points: readonly ThroughputPoint[], rerankerColors?: ReadonlyMap<string, string>): TopLevelSpec {
  const values = points.map((p) => ({
    retriever: p.retriever,
    reranker: p.reranker,
    candidates: p.candidates,
    batchSize: p.batchSize,
    pairsPerSec: n(p.pairsPerSec),
    rerankP50: n(p.rerankP50),
  }));
  const batchSizes = [...new Set(points.map((p) => p.batchSize))].sort((a, b) => a - b);
  return {
    $schema: SCHEMA,
    title: { text: 'Rerank throughput vs batch size', subtitle: 'Pairs per second of the rerank stage, one query at a time. Stand-ins (random weights) measure cost only; "a = b": variants sharing one measurement.' },
    background: 'white',
    config: CONFIG,
    data: { values },
    width: 260,
    height: 240,
    mark: { type: 'line', point: { filled: true, size: 60 } },
    encoding: {
      facet: { field: 'retriever', type: 'nominal', columns: 3, title: null },
      x: { field: 'batchSize', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: batchSizes, format: 'd' }, title: 'batch size (pairs per forward pass)' },
      y: { field: 'pairsPerSec', type: 'quantitative', scale: { type: 'log' }, title: 'pairs/s (log scale)' },
      color: { field: 'reranker', type: 'nominal', title: 'reranker', ...colorScale(points.map((p) => p.reranker), rerankerColors) },
      shape: { field: 'candidates', type: 'nominal', title: 'candidates' },
      detail: { field: 'candidates', type: 'nominal' },
      tooltip: [
        { field: 'retriever', type: 'nominal' },
        { field: 'reranker', type: 'nominal' },
        { field: 'candidates', type: 'quantitative' },
        { field: 'batchSize', type: 'quantitative', title: 'batch size' },
        { field: 'pairsPerSec', type: 'quantitative', title: 'pairs/s', format: MS },
        { field: 'rerankP50', type: 'quantitative', title: 'rerank p50 (ms)', format: MS },
      ],
    },
  };
}

export const STAND_IN_TITLE = 'architecture stand-in, random weights: cost only';

/** Stand-ins' total latency per query: bar at p50, whisker to p95. No quality axis anywhere. `rerankerColors` as in `throughputSpec`. */
export function standInCostSpec(points: readonly CostPoint[], rerankerColors?: ReadonlyMap<string, string>): TopLevelSpec {
  const values = points.map((p) => ({
    id: p.id,
    reranker: p.reranker,
    candidates: p.candidates,
    batchSize: p.batchSize,
    totalP50: n(p.totalP50),
    totalP95: n(p.totalP95),
    rerankP50: n(p.rerankP50),
    pairsPerSec: n(p.pairsPerSec),
  }));
  const y = { field: 'id', type: 'nominal', sort: { field: 'totalP50', op: 'min', order: 'ascending' }, title: null, axis: { labelLimit: 360 } } as const;
  return {
    $schema: SCHEMA,
    title: { text: STAND_IN_TITLE, subtitle: 'Total latency per query (ms): bar at p50, whisker to p95. Their quality is not measured.' },
    background: 'white',
    config: CONFIG,
    data: { values },
    width: 480,
    height: { step: 22 },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y,
          x: { field: 'totalP50', type: 'quantitative', title: 'total latency per query (ms)' },
          color: { field: 'reranker', type: 'nominal', title: 'reranker', ...colorScale(points.map((p) => p.reranker), rerankerColors) },
          tooltip: [
            { field: 'id', type: 'nominal', title: 'configuration' },
            { field: 'totalP50', type: 'quantitative', title: 'total p50 (ms)', format: MS },
            { field: 'totalP95', type: 'quantitative', title: 'total p95 (ms)', format: MS },
            { field: 'rerankP50', type: 'quantitative', title: 'rerank p50 (ms)', format: MS },
            { field: 'pairsPerSec', type: 'quantitative', title: 'pairs/s', format: MS },
          ],
        },
      },
      {
        mark: { type: 'rule', color: '#222' },
        encoding: { y, x: { field: 'totalP50', type: 'quantitative' }, x2: { field: 'totalP95' } },
      },
    ],
  };
}

/** Series names that are not rerankers (for tests and legends). */
export const NON_RERANKER_SERIES: readonly string[] = [FIRST_STAGE_SERIES, CEILING_SERIES];
