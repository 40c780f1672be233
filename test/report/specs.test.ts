/**
 * Chart data and specs: every spec compiles with Vega-Lite without a warning and renders to SVG; quality
 * charts hold no stand-in row; the frontier, the depth series and the throughput points carry the right rows.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, renderSvg } from '../../src/report/render.js';
import {
  CEILING_SERIES,
  decisionRoles,
  decisionsOf,
  depthPoints,
  FIRST_STAGE_SERIES,
  hasQuality,
  isStandIn,
  metricInfos,
  qualityPoints,
  standInCostPoints,
  throughputPoints,
} from '../../src/report/select.js';
import { depthSpec, qualityLatencySpec, STAND_IN_TITLE, standInCostSpec, throughputSpec } from '../../src/report/specs.js';
import { buildViews } from '../../src/report/view.js';
import { BASELINE, DATASET, decidedResults, RECOMMENDED, syntheticResults } from './fixture.js';

const results = syntheticResults();
const rows = results.results;
const metrics = metricInfos(results);
const standInIds = rows.filter(isStandIn).map((r) => r.id);

/** The id fixture.ts gives a row. */
const rowId = (retriever: string, k: number, reranker: string, b?: number): string => `${DATASET}/${retriever}/k${k}/${reranker}${b === undefined ? '' : `/b${b}`}`;
const byJson = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
/** The value with every number rounded to 9 decimals, so figures computed by hand compare with toEqual. */
function rounded(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? Math.round(x * 1e9) / 1e9 : x)));
}

/** The parts of a spec the tests read. */
interface SpecParts {
  title: { text: string };
  encoding: Record<string, Record<string, unknown>>;
  layer: Array<{ transform?: unknown; mark: unknown; encoding: Record<string, unknown> }>;
}
const parts = (spec: unknown): SpecParts => spec as SpecParts;

/** The inline data of a spec (every spec here carries `data.values`). */
function values(spec: unknown): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}

describe('chart points', () => {
  it('metrics come in the config order with registry labels', () => {
    expect(metrics.map((m) => [m.key, m.label])).toEqual([
      ['ndcg@10', 'nDCG@10'],
      ['recall@10', 'Recall@10'],
    ]);
  });

  it('the fixture has stand-ins, and they carry (meaningless) metrics the report must ignore', () => {
    expect(standInIds.length).toBe(4);
    expect(rows.filter(isStandIn).every((r) => r.metrics !== null && !hasQuality(r))).toBe(true);
  });

  it('quality points: one per quality configuration at its fastest batch size, no stand-in; the frontier is the non-dominated set', () => {
    const q = qualityPoints(rows, metrics);
    // Batch sizes are folded: 2 retrievers x 2 depths x (none, ce, ce-interp).
    expect(q.map((p) => p.id).sort()).toEqual([...new Set(rows.filter(hasQuality).map((r) => r.id.replace(/\/b\d+$/, '')))].sort());
    expect(q).toHaveLength(12);
    expect(q.some((p) => standInIds.some((id) => id.startsWith(`${p.id}/`)))).toBe(false);
    const frontier = q.filter((p) => p.frontier).sort((a, b) => a.latency - b.latency);
    for (const p of q) {
      const dominated = q.some((o) => o.latency <= p.latency && o.quality >= p.quality && (o.latency < p.latency || o.quality > p.quality));
      expect(p.frontier).toBe(!dominated);
    }
    // bm25 k5 and k10 without reranker cost the same: only k10 (better) is on the frontier. bm25/k10/ce (0.62 +
    // 0.06) is the best, at batch size 4 (1.5 ms per candidate instead of 2: fixture.ts).
    expect(frontier[0].id).toBe(rowId('bm25', 10, 'none'));
    expect(frontier.map((p) => p.id)).not.toContain(rowId('bm25', 5, 'none'));
    const best = q.reduce((a, b) => (b.quality > a.quality ? b : a));
    expect(best.frontier).toBe(true);
    expect([best.id, best.batchSize, best.latency]).toEqual([rowId('bm25', 10, 'ce'), 4, 0.1 + 10 * 1.5]);
  });

  it('quality points take the latency statistic asked for, and carry the interval and the decision role', () => {
    const decided = decidedResults();
    const dm = metricInfos(decided);
    const q = qualityPoints(decided.results, dm, 'p95', decisionRoles(decisionsOf(decided, DATASET), BASELINE));
    const byId = new Map(q.map((p) => [p.id, p]));
    // p95 = 1.5 x p50 (fixture.ts): bm25/k5/ce at b4 = 1.5 x (0.1 + 5 x 1.5).
    expect(byId.get(RECOMMENDED)!.latency).toBeCloseTo(11.4, 12);
    expect([byId.get(RECOMMENDED)!.ciLow, byId.get(RECOMMENDED)!.ciHigh].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([0.6, 0.7]);
    expect(byId.get(BASELINE)!.role).toBe('baseline; recommended (≤ 10 ms)');
    expect(byId.get(RECOMMENDED)!.role).toBe('recommended (≤ 100 ms, ≤ 1000 ms, no budget)');
    expect([...byId.values()].filter((p) => p.role !== null).map((p) => p.id).sort()).toEqual([BASELINE, RECOMMENDED].sort());
  });

  it('depth points: reranked lines, the first stage at the same depth, and candidate recall; no stand-in', () => {
    const d = depthPoints(rows, metrics);
    const series = new Set(d.map((p) => p.series));
    expect([...series].sort()).toEqual([CEILING_SERIES, FIRST_STAGE_SERIES, 'ce', 'ce-interp'].sort());
    // One point per (retriever, series, depth): batch size does not change quality.
    expect(d.filter((p) => p.series === 'ce').length).toBe(4);
    const none = rows.find((r) => r.retriever.name === 'dense' && r.candidates === 10 && !r.reranker)!;
    const retr = d.filter((p) => p.retriever.startsWith('dense') && p.candidates === 10);
    expect(retr.find((p) => p.series === FIRST_STAGE_SERIES)!.value).toBe(none.metrics!['ndcg@10']);
    expect(retr.find((p) => p.series === CEILING_SERIES)!.value).toBe(none.candidateRecall);
  });

  it('HNSW retrievers carry their ANN recall in their label', () => {
    const d = depthPoints(rows, metrics);
    expect(new Set(d.map((p) => p.retriever))).toEqual(new Set(['bm25', 'dense (ANN recall 0.987)']));
  });

  it('throughput points: stand-ins included (cost), interpolated variants sharing a timing block merged', () => {
    const t = throughputPoints(rows);
    expect(t.some((p) => p.standIn && p.reranker === 'big-standin (stand-in)')).toBe(true);
    expect(new Set(t.map((p) => p.reranker))).toEqual(new Set(['ce = ce-interp', 'big-standin (stand-in)']));
    // 2 retrievers x 2 depths x 2 batch sizes for ce, 1 x 2 x 2 for the stand-in.
    expect(t.length).toBe(8 + 4);
  });

  it('stand-in cost points are exactly the stand-in rows', () => {
    expect(standInCostPoints(rows).map((p) => p.id)).toEqual(standInIds);
  });
});

describe('specs', () => {
  const q = qualityPoints(rows, metrics);
  const specs = {
    quality: qualityLatencySpec(q, metrics),
    depth: depthSpec(depthPoints(rows, metrics), metrics),
    throughput: throughputSpec(throughputPoints(rows)),
    standIn: standInCostSpec(standInCostPoints(rows)),
  };

  for (const [name, spec] of Object.entries(specs)) {
    it(`${name}: compiles with vega-lite without warnings and renders a static SVG`, async () => {
      const { vega, warnings } = await compileSpec(spec);
      expect(warnings).toEqual([]);
      expect((vega as { $schema: string }).$schema).toMatch(/vega\/v6/);
      const svg = await renderSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      // Marks were drawn (not an empty frame): the SVG names its data in aria labels.
      expect(svg).toMatch(/role="graphics-symbol"|aria-roledescription="(point|line|bar)"/);
    });
  }

  it('the warning check is live: a spec Vega-Lite has to repair reports it', async () => {
    const { warnings } = await compileSpec({ data: { values: [{ a: 'x' }] }, mark: 'bar', encoding: { shape: { field: 'a', type: 'nominal' } } });
    expect(warnings.join(' ')).toMatch(/shape/);
  });

  it('the quality/latency spec carries each point with its figures, the frontier flag, and every metric for the tooltip', () => {
    const v = values(specs.quality);
    // 2 retrievers x 2 depths x (first stage alone, ce, ce-interp), each at its fastest batch size; no stand-in.
    expect(v).toHaveLength(12);
    const byId = new Map(v.map((d) => [d.id, d]));
    // bm25 k10 ce, fastest at b4 (fixture.ts): total p50 = 0.1 ms retrieval + 10 x 1.5 ms rerank = 15.1, p95 =
    // 1.5 x p50, queries/s = 1000 / (1.1 x p50); nDCG@10 = 0.62 + 0.05 + 0.01, recall@10 = the candidates' 0.8.
    expect(rounded(byId.get(rowId('bm25', 10, 'ce')))).toEqual(
      rounded({ id: rowId('bm25', 10, 'ce'), retriever: 'bm25', reranker: 'ce', candidates: 10, batchSize: 4, latency: 15.1, latencyP50: 15.1, latencyP95: 22.65, qps: 1000 / 16.61, quality: 0.68, ciLow: null, ciHigh: null, frontier: true, role: null, m0: 0.68, m1: 0.8 }),
    );
    // dense k5 first stage alone: 0.5 ms, nDCG@10 0.55, recall@10 0.65; the HNSW retriever's label carries its ANN recall.
    expect(rounded(byId.get(rowId('dense', 5, 'none')))).toEqual(
      rounded({ id: rowId('dense', 5, 'none'), retriever: 'dense (ANN recall 0.987)', reranker: 'none', candidates: 5, batchSize: null, latency: 0.5, latencyP50: 0.5, latencyP95: 0.75, qps: 1000 / 0.55, quality: 0.55, ciLow: null, ciHigh: null, frontier: false, role: null, m0: 0.55, m1: 0.65 }),
    );
    // The frontier worked out by hand: bm25 k10 alone (0.1 ms, 0.62), bm25 k5 ce b4 (7.6 ms, 0.65), bm25 k10 ce b4 (15.1 ms, 0.68).
    expect(v.filter((d) => d.frontier).map((d) => d.id)).toEqual([rowId('bm25', 5, 'ce'), rowId('bm25', 10, 'none'), rowId('bm25', 10, 'ce')]);
  });

  it('the quality/latency spec: frontier steps, log latency against the primary metric, colour by retriever, shape by reranker, decision labels', () => {
    const spec = parts(specs.quality);
    expect(spec.title.text).toBe('nDCG@10 vs latency');
    // No interval in this file: no error-bar layer.
    expect(spec.layer).toHaveLength(4);
    const [steps, points, above, below] = spec.layer;
    expect(steps.transform).toEqual([{ filter: 'datum.frontier' }]);
    expect(steps.mark).toMatchObject({ type: 'line', interpolate: 'step-after' });
    expect(points.encoding.x).toEqual({ field: 'latency', type: 'quantitative', scale: { type: 'log' }, title: 'total latency per query, p50 (ms, log scale; fastest batch size)' });
    expect(points.encoding.y).toEqual({ field: 'quality', type: 'quantitative', scale: { zero: false }, title: 'nDCG@10' });
    expect(points.encoding.color).toMatchObject({ field: 'retriever', type: 'nominal' });
    expect(points.encoding.shape).toMatchObject({ field: 'reranker', type: 'nominal' });
    const tooltip = points.encoding.tooltip as Array<{ field: string; title: string }>;
    expect(tooltip.map((t) => [t.field, t.title])).toEqual([
      ['id', 'configuration'],
      ['batchSize', 'fastest batch size'],
      ['latencyP50', 'total p50 (ms)'],
      ['latencyP95', 'total p95 (ms)'],
      ['qps', 'queries/s'],
      ['m0', 'nDCG@10'],
      ['m1', 'Recall@10'],
      ['frontier', 'on the frontier'],
      ['role', 'decision'],
    ]);
    expect([above.mark, below.mark]).toMatchObject([{ type: 'text' }, { type: 'text' }]);
  });

  it('with intervals, the quality/latency spec draws them as error bars from ciLow to ciHigh, and the x axis says p95', async () => {
    const decided = decidedResults();
    const view = buildViews(decided)[0];
    const spec = parts(view.charts.quality!.spec);
    expect(spec.layer).toHaveLength(5);
    const bars = spec.layer[1];
    expect(bars.mark).toMatchObject({ type: 'rule' });
    expect(bars.encoding.y).toEqual({ field: 'ciLow', type: 'quantitative' });
    expect(bars.encoding.y2).toEqual({ field: 'ciHigh' });
    expect((spec.layer[2].encoding.x as { title: string }).title).toMatch(/p95/);
    const { warnings } = await compileSpec(view.charts.quality!.spec);
    expect(warnings).toEqual([]);
    // One error bar per configuration with quality and latency (12), drawn as SVG lines.
    const svg = await renderSvg(view.charts.quality!.spec);
    const rules = /<g class="mark-rule role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    expect((rules.match(/<line /g) ?? []).length).toBe(12);
  });

  it('the depth spec: one value per retriever, series and depth, faceted by retriever', () => {
    const spec = parts(specs.depth);
    expect(Object.fromEntries(['facet', 'x', 'y', 'color', 'strokeDash'].map((k) => [k, spec.encoding[k].field]))).toEqual({ facet: 'retriever', x: 'candidates', y: 'value', color: 'series', strokeDash: 'kind' });
    const dense = 'dense (ANN recall 0.987)';
    // fixture.ts: first stage nDCG@10 bm25 0.6/0.62, dense 0.55/0.58 at k 5/10; ce adds 0.05 (+0.01 at k10), ce-interp 0.03;
    // candidate recall bm25 0.7/0.8, dense 0.65/0.85.
    const want: Array<[string, string, string, number, number]> = [];
    for (const [retriever, first, recall] of [['bm25', [0.6, 0.62], [0.7, 0.8]], [dense, [0.55, 0.58], [0.65, 0.85]]] as const) {
      [5, 10].forEach((k, i) => {
        want.push([retriever, 'ce', 'reranked', k, first[i] + 0.05 + 0.01 * i]);
        want.push([retriever, 'ce-interp', 'reranked', k, first[i] + 0.03]);
        want.push([retriever, FIRST_STAGE_SERIES, 'first stage', k, first[i]]);
        want.push([retriever, CEILING_SERIES, 'candidate recall', k, recall[i]]);
      });
    }
    const got = values(specs.depth).map((d) => [d.retriever, d.series, d.kind, d.candidates, d.value]);
    expect(rounded(got.sort(byJson))).toEqual(rounded(want.sort(byJson)));
  });

  it('the throughput spec: pairs/s per batch size, variants sharing a timing merged, stand-ins included', () => {
    const v = values(specs.throughput);
    // bm25 k5 b1: rerank p50 = 5 x 2 ms; pairs/s = 5 x 1000 / (1.1 x 10). The stand-in: 5 x 40 ms.
    expect(rounded(v.find((d) => d.retriever === 'bm25' && d.reranker === 'ce = ce-interp' && d.candidates === 5 && d.batchSize === 1))).toEqual(
      rounded({ retriever: 'bm25', reranker: 'ce = ce-interp', candidates: 5, batchSize: 1, pairsPerSec: 5000 / 11, rerankP50: 10 }),
    );
    expect(rounded(v.filter((d) => d.reranker === 'big-standin (stand-in)').map((d) => [d.candidates, d.batchSize, d.pairsPerSec, d.rerankP50]))).toEqual(
      rounded([[5, 1, 5000 / 220, 200], [5, 4, 5000 / 220, 200], [10, 1, 10000 / 440, 400], [10, 4, 10000 / 440, 400]]),
    );
    const spec = parts(specs.throughput);
    expect(spec.encoding.x).toMatchObject({ field: 'batchSize', scale: { type: 'log', base: 2 }, axis: { values: [1, 4] } });
    expect(spec.encoding.y).toMatchObject({ field: 'pairsPerSec', scale: { type: 'log' } });
  });

  it('quality charts of the whole report hold no stand-in, in data or labels', () => {
    for (const view of buildViews(results)) {
      for (const kind of ['quality', 'depth'] as const) {
        const spec = view.charts[kind]!.spec;
        const text = JSON.stringify(spec);
        for (const id of standInIds) expect(text.includes(JSON.stringify(id).slice(1, -1))).toBe(false);
        expect(text).not.toContain('big-standin');
        expect(text).not.toContain('987654321');
      }
      // The cost charts do show them.
      expect(JSON.stringify(view.charts.throughput!.spec)).toContain('big-standin');
      expect(JSON.stringify(view.charts.standIn!.spec)).toContain('big-standin');
    }
  });

  it('a results file with only stand-ins gets no quality chart; its cost chart holds the four stand-in rows', () => {
    const only = { ...results, results: rows.filter((r) => isStandIn(r)) };
    const views = buildViews(only);
    expect(views).toHaveLength(1);
    const { charts } = views[0];
    expect(Object.keys(charts).sort()).toEqual(['standIn', 'throughput']);
    const spec = parts(charts.standIn?.spec);
    expect(spec.title.text).toBe(STAND_IN_TITLE);
    // bm25 + 40 ms per candidate: total p50 = 0.1 + 40k, p95 = 1.5 x p50, pairs/s = k x 1000 / (1.1 x 40k).
    const want = [[5, 1], [5, 4], [10, 1], [10, 4]].map(([k, b]) => ({
      id: rowId('bm25', k, 'big-standin', b),
      reranker: 'big-standin (stand-in)',
      candidates: k,
      batchSize: b,
      totalP50: 0.1 + 40 * k,
      totalP95: 1.5 * (0.1 + 40 * k),
      rerankP50: 40 * k,
      pairsPerSec: 1000 / 44,
    }));
    expect(rounded(values(spec))).toEqual(rounded(want));
    expect(standInIds).toEqual(want.map((w) => w.id));
    // One colour per reranker label, the first of the palette for the only one.
    expect(spec.layer[0].encoding.color).toEqual({ field: 'reranker', type: 'nominal', title: 'reranker', scale: { domain: ['big-standin (stand-in)'], range: ['#4c78a8'] } });
  });
});
