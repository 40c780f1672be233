/**
 * Vega-Lite specs of the report's charts: small pure functions from chart points (`select.ts`) to a spec
 * with its data inlined. The same spec renders the static SVG (server side) and the interactive chart.
 *
 * Data fields have plain camelCase names; metrics travel as `m0`, `m1`, ... with their label as the
 * tooltip title, because a metric key may contain characters that Vega-Lite reads as field paths (`.`).
 * NaN (a missing measurement) becomes null, which JSON can carry and Vega treats as missing.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CostPoint, DepthPoint, EfSearchPoint, InterpolationPoint, LatencyStat, MetricInfo, QualityPoint, ThroughputPoint, WinLossPoint } from './select.js';
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
 * Quality against latency: total latency per query (log x; the decisions' statistic, else p50) of each
 * quality configuration at its fastest batch size vs the primary metric with its 95 % interval as an error
 * bar, colour by retriever, shape by reranker; the Pareto frontier as a black staircase (step-after: the best
 * quality reachable within a latency budget), dominated points faded, the baseline and the recommended
 * configurations labelled. Scroll/drag zooms in the interactive version.
 */
export function qualityLatencySpec(points: readonly QualityPoint[], metrics: readonly MetricInfo[], stat: LatencyStat = 'p50'): TopLevelSpec {
  const primary = metrics[0]?.label ?? 'quality';
  const values = points.map((p) => ({
    id: p.id,
    retriever: p.retriever,
    reranker: p.reranker,
    candidates: p.candidates,
    batchSize: p.batchSize,
    latency: n(p.latency),
    latencyP50: n(p.latencyP50),
    latencyP95: n(p.latencyP95),
    qps: n(p.queriesPerSec),
    quality: n(p.quality),
    ciLow: n(p.ciLow),
    ciHigh: n(p.ciHigh),
    frontier: p.frontier,
    role: p.role,
    ...Object.fromEntries(p.metrics.map((v, i) => [`m${i}`, n(v)])),
  }));
  const hasCi = points.some((p) => Number.isFinite(p.ciLow) && Number.isFinite(p.ciHigh));
  const x = { field: 'latency', type: 'quantitative', scale: { type: 'log' }, title: `total latency per query, ${stat} (ms, log scale; fastest batch size)` } as const;
  const y = { field: 'quality', type: 'quantitative', scale: { zero: false }, title: primary } as const;
  const color = { field: 'retriever', type: 'nominal', title: 'retriever' } as const;
  const opacity = { condition: { test: 'datum.frontier', value: 1 }, value: 0.4 };
  return {
    $schema: SCHEMA,
    title: {
      text: `${primary} vs latency`,
      subtitle: `Black steps: Pareto frontier (nothing else is both faster and better). Faded points are dominated.${hasCi ? ' Bars: 95 % bootstrap interval.' : ''}`,
    },
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
      ...(hasCi
        ? [
            {
              transform: [{ filter: 'isValid(datum.ciLow) && isValid(datum.ciHigh)' }],
              mark: { type: 'rule' as const, strokeWidth: 1.5 },
              encoding: { x, y: { field: 'ciLow', type: 'quantitative' as const }, y2: { field: 'ciHigh' }, color, opacity },
            },
          ]
        : []),
      {
        params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          color,
          shape: { field: 'reranker', type: 'nominal', title: 'reranker' },
          opacity,
          tooltip: [
            { field: 'id', type: 'nominal', title: 'configuration' },
            { field: 'batchSize', type: 'nominal', title: 'fastest batch size' },
            { field: 'latencyP50', type: 'quantitative', title: 'total p50 (ms)', format: MS },
            { field: 'latencyP95', type: 'quantitative', title: 'total p95 (ms)', format: MS },
            { field: 'qps', type: 'quantitative', title: 'queries/s', format: MS },
            ...metrics.map((m, i) => ({ field: `m${i}`, type: 'quantitative' as const, title: m.label, format: SCORE })),
            ...(hasCi
              ? [
                  { field: 'ciLow', type: 'quantitative' as const, title: `${primary} 95 % CI low`, format: SCORE },
                  { field: 'ciHigh', type: 'quantitative' as const, title: `${primary} 95 % CI high`, format: SCORE },
                ]
              : []),
            { field: 'frontier', type: 'nominal', title: 'on the frontier' },
            { field: 'role', type: 'nominal', title: 'decision' },
          ],
        },
      },
      // Decision labels: the baseline's below its point, the others above (they are often neighbours).
      {
        transform: [{ filter: "datum.role != null && indexof(datum.role, 'baseline') != 0" }],
        mark: { type: 'text', align: 'left', dx: 7, dy: -8, fontSize: 11, color: '#222' },
        encoding: { x, y, text: { field: 'role', type: 'nominal' } },
      },
      {
        transform: [{ filter: "datum.role != null && indexof(datum.role, 'baseline') == 0" }],
        mark: { type: 'text', align: 'left', dx: 7, dy: 12, fontSize: 11, color: '#222' },
        encoding: { x, y, text: { field: 'role', type: 'nominal' } },
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

/** Colours of per-query outcomes: wins green, ties grey, losses red. */
const OUTCOME_SCALE = { domain: ['win', 'tie', 'loss'], range: ['#54a24b', '#bab0ac', '#e45756'] };

/**
 * Per-query wins and losses against the baseline: for each compared configuration (one row of panels), the
 * per-query difference of `metric` (configuration − baseline), sorted from the largest win to the largest loss.
 */
export function winLossSpec(points: readonly WinLossPoint[], metric: string, baseline: string, sampled: boolean): TopLevelSpec {
  const values = points.map((p) => ({ comparison: p.comparison, rank: p.rank, delta: n(p.delta), outcome: p.outcome, query: p.query }));
  return {
    $schema: SCHEMA,
    title: {
      text: `Per-query ${metric} against the baseline`,
      subtitle: [`Each bar is one query: ${metric} of the configuration minus the baseline's (${baseline}), sorted.`, sampled ? 'More queries than bars: bars are evenly spaced quantiles of the sorted differences; the counts are exact.' : 'Ties have no height.'],
    },
    background: 'white',
    config: { ...CONFIG, header: { ...CONFIG.header, labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelLimit: 0, labelFontWeight: 'bold' } },
    data: { values },
    facet: { row: { field: 'comparison', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 640,
      height: 110,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'rank', type: 'ordinal', axis: null, title: null },
            y: { field: 'delta', type: 'quantitative', title: `Δ ${metric}` },
            color: { field: 'outcome', type: 'nominal', title: 'query', scale: OUTCOME_SCALE },
            tooltip: [
              { field: 'query', type: 'nominal', title: 'query' },
              { field: 'delta', type: 'quantitative', title: `Δ ${metric}`, format: SCORE },
              { field: 'outcome', type: 'nominal' },
            ],
          },
        },
        { mark: { type: 'rule', color: '#222', strokeWidth: 1 }, encoding: { y: { datum: 0 } } },
      ],
    },
  };
}

/** ANN recall of HNSW retrievers against their efSearch (log 2 scale), one line per swept retriever. */
export function efSearchSpec(points: readonly EfSearchPoint[]): TopLevelSpec {
  const values = points.map((p) => ({ series: p.series, retriever: p.retriever, efSearch: p.efSearch, annRecall: n(p.annRecall), retrieveMs: n(p.retrieveMs) }));
  const efs = [...new Set(points.map((p) => p.efSearch))].sort((a, b) => a - b);
  return {
    $schema: SCHEMA,
    title: { text: 'HNSW recall vs efSearch', subtitle: "Recall of the HNSW index's candidates against exact search with the same embeddings." },
    background: 'white',
    config: CONFIG,
    data: { values },
    width: 480,
    height: 280,
    mark: { type: 'line', point: { filled: true, size: 60 } },
    encoding: {
      x: { field: 'efSearch', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: efs, format: 'd' }, title: 'efSearch (log scale)' },
      y: { field: 'annRecall', type: 'quantitative', scale: { zero: false }, title: 'ANN recall vs exact search' },
      color: { field: 'series', type: 'nominal', title: 'retriever' },
      tooltip: [
        { field: 'retriever', type: 'nominal' },
        { field: 'efSearch', type: 'quantitative' },
        { field: 'annRecall', type: 'quantitative', title: 'ANN recall', format: '.4f' },
        { field: 'retrieveMs', type: 'quantitative', title: 'retrieve (ms, fastest)', format: MS },
      ],
    },
  };
}

/**
 * Quality against the interpolation weight (0: the first stage, 1: the reranker alone), one panel per
 * retriever, one line per candidate depth (and model, when several were interpolated).
 */
export function interpolationSpec(points: readonly InterpolationPoint[], metrics: readonly MetricInfo[]): TopLevelSpec {
  const primary = metrics[0]?.label ?? 'quality';
  const models = new Set(points.map((p) => p.model)).size;
  const values = points.map((p) => ({
    retriever: p.retriever,
    series: models > 1 ? `${p.model} k${p.candidates}` : `k${p.candidates}`,
    candidates: p.candidates,
    weight: p.weight,
    kind: p.kind,
    value: n(p.value),
    id: p.id,
  }));
  return {
    $schema: SCHEMA,
    title: { text: `${primary} vs interpolation weight`, subtitle: 'final = (1 − w)·first stage + w·reranker (min-max normalised per query); w = 0 is the first stage, w = 1 the reranker alone.' },
    background: 'white',
    config: CONFIG,
    data: { values },
    width: 260,
    height: 240,
    mark: { type: 'line', point: { filled: true, size: 50 } },
    encoding: {
      facet: { field: 'retriever', type: 'nominal', columns: 3, title: null },
      x: { field: 'weight', type: 'quantitative', scale: { domain: [0, 1] }, title: 'weight on the reranker (w)' },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: primary },
      color: { field: 'series', type: 'nominal', title: models > 1 ? 'model, candidates' : 'candidates' },
      tooltip: [
        { field: 'id', type: 'nominal', title: 'configuration' },
        { field: 'kind', type: 'nominal' },
        { field: 'weight', type: 'quantitative', title: 'w' },
        { field: 'value', type: 'quantitative', format: SCORE, title: primary },
      ],
    },
  };
}

export interface SummaryPoint {
  dataset: string;
  /** The id without the dataset label. */
  pipeline: string;
  latency: number;
  quality: number;
  ciLow: number;
  ciHigh: number;
  frontier: boolean;
  /** The colour: `recommended`, else `best` (with no budget), else `baseline`, else `other`. */
  kind: 'recommended' | 'best' | 'baseline' | 'other';
  /** Drawn beside the point: the pipeline and every role it has (`bm25/k50/none (baseline, recommended)`); '' for others. */
  label: string;
}

const KINDS = { recommended: '#f58518', best: '#e45756', baseline: '#4c78a8', other: '#bab0ac' } as const;

/**
 * The chart of summary.md: quality vs latency of every quality configuration (fastest batch size), 95 %
 * intervals as bars, the Pareto frontier, the baseline and the recommended configurations coloured and
 * labelled; one panel per dataset. Static only: no tooltips or zoom, no ARIA per mark (the file stays small).
 */
export function summarySpec(points: readonly SummaryPoint[], metric: string, stat: LatencyStat): TopLevelSpec {
  const values = points.map((p) => ({ ...p, latency: n(p.latency), quality: n(p.quality), ciLow: n(p.ciLow), ciHigh: n(p.ciHigh) }));
  const x = { field: 'latency', type: 'quantitative', scale: { type: 'log' }, title: `total latency per query, ${stat} (ms, log scale)` } as const;
  const y = { field: 'quality', type: 'quantitative', scale: { zero: false }, title: metric } as const;
  const kinds = (Object.keys(KINDS) as SummaryPoint['kind'][]).filter((k) => points.some((p) => p.kind === k));
  const color = { field: 'kind', type: 'nominal', title: null, scale: { domain: kinds, range: kinds.map((k) => KINDS[k]) } } as const;
  const layer = [
    { transform: [{ filter: 'datum.frontier' }], mark: { type: 'line' as const, interpolate: 'step-after' as const, color: '#222', strokeWidth: 1 }, encoding: { x, y } },
    { transform: [{ filter: 'isValid(datum.ciLow) && isValid(datum.ciHigh)' }], mark: { type: 'rule' as const }, encoding: { x, y: { field: 'ciLow', type: 'quantitative' as const }, y2: { field: 'ciHigh' }, color } },
    { mark: { type: 'point' as const, filled: true, size: 50 }, encoding: { x, y, color } },
    // Labels: the baseline's below its point, the others above (they are often neighbours).
    { transform: [{ filter: "datum.kind != 'baseline' && datum.label != ''" }], mark: { type: 'text' as const, align: 'left' as const, dx: 6, dy: -7, fontSize: 10 }, encoding: { x, y, text: { field: 'label', type: 'nominal' as const } } },
    { transform: [{ filter: "datum.kind == 'baseline'" }], mark: { type: 'text' as const, align: 'left' as const, dx: 6, dy: 11, fontSize: 10 }, encoding: { x, y, text: { field: 'label', type: 'nominal' as const } } },
  ];
  const datasets = new Set(points.map((p) => p.dataset));
  const common = {
    $schema: SCHEMA,
    title: { text: `${metric} vs latency`, subtitle: 'One point per configuration at its fastest batch size; bars: 95 % bootstrap interval; black steps: Pareto frontier.' },
    background: 'white',
    config: { ...CONFIG, aria: false, legend: { ...CONFIG.legend, orient: 'bottom' as const } },
    data: { values },
  };
  if (datasets.size <= 1) return { ...common, width: 560, height: 320, layer };
  return {
    ...common,
    facet: { field: 'dataset', type: 'nominal', title: null, sort: null },
    columns: 2,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: { width: 360, height: 240, layer },
  };
}
