/**
 * Chart data and specs: every spec compiles with Vega-Lite without a warning and renders to SVG; quality
 * charts hold no stand-in row; the frontier, the depth series and the throughput points carry the right rows.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, renderSvg } from '../../src/report/render.js';
import {
  CEILING_SERIES,
  depthPoints,
  FIRST_STAGE_SERIES,
  hasQuality,
  isStandIn,
  metricInfos,
  qualityPoints,
  standInCostPoints,
  throughputPoints,
} from '../../src/report/select.js';
import { depthSpec, qualityLatencySpec, standInCostSpec, throughputSpec } from '../../src/report/specs.js';
import { buildViews } from '../../src/report/view.js';
import { syntheticResults } from './fixture.js';

const results = syntheticResults();
const rows = results.results;
const metrics = metricInfos(results);
const standInIds = rows.filter(isStandIn).map((r) => r.id);

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

  it('quality points: every row with quality and latency, no stand-in; the frontier is the non-dominated set', () => {
    const q = qualityPoints(rows, metrics);
    expect(q.map((p) => p.id).sort()).toEqual(rows.filter(hasQuality).map((r) => r.id).sort());
    expect(q.some((p) => standInIds.includes(p.id))).toBe(false);
    const frontier = q.filter((p) => p.frontier).sort((a, b) => a.latencyP50 - b.latencyP50);
    for (const p of q) {
      const dominated = q.some((o) => o.latencyP50 <= p.latencyP50 && o.quality >= p.quality && (o.latencyP50 < p.latencyP50 || o.quality > p.quality));
      expect(p.frontier).toBe(!dominated);
    }
    // bm25 k5 and k10 without reranker cost the same: only k10 (better) is on the frontier. bm25/k10/ce/b4
    // (0.62 + 0.06, the faster batch size) is the best.
    const first = (k: number) => rows.find((r) => r.retriever.name === 'bm25' && r.candidates === k && !r.reranker)!.id;
    expect(frontier[0].id).toBe(first(10));
    expect(frontier.map((p) => p.id)).not.toContain(first(5));
    const best = q.reduce((a, b) => (b.quality > a.quality || (b.quality === a.quality && b.latencyP50 < a.latencyP50) ? b : a));
    expect(best.frontier).toBe(true);
    expect(best.id).toMatch(/bm25\/k10\/ce\/b4$/);
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

  it('the quality/latency spec carries one datum per point, the frontier flag, and every metric for the tooltip', () => {
    const v = values(specs.quality);
    expect(v.length).toBe(q.length);
    expect(v.filter((d) => d.frontier).length).toBe(q.filter((p) => p.frontier).length);
    expect(v[0]).toHaveProperty('m0');
    expect(v[0]).toHaveProperty('m1');
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

  it('a results file with only stand-ins gets no quality chart', () => {
    const only = { ...results, results: rows.filter((r) => isStandIn(r)) };
    const [view] = buildViews(only);
    expect(view!.charts.quality).toBeUndefined();
    expect(view!.charts.depth).toBeUndefined();
    expect(view!.charts.standIn).toBeDefined();
  });
});
