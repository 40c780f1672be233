/**
 * The statistics in the report: the decision section first, significance markers in the one-row-per-quality-
 * configuration table, per-query wins and losses, the sweeps' charts, the cross-dataset table, and the
 * per-query values kept on reading (only the rows the wins/losses chart compares). Hand-made results files
 * of exactly the shapes of src/experiment/results.ts (fixture.ts), with figures worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/report/html.js';
import { qualityIdOf, validateResults } from '../../src/report/input.js';
import { compileSpec, renderReport } from '../../src/report/render.js';
import { efSearchPoints, interpolationPoints, mergedDecisions, metricInfos, winLossData, winLossTargets } from '../../src/report/select.js';
import { buildViews, crossDataset } from '../../src/report/view.js';
import { UsageError } from '../../src/errors.js';
import { BASELINE, BEST, DATASET, DATASET_B, decidedResults, EVIL, EVIL_QUERY, RECOMMENDED, STAND_IN_SENTINELS, sweptResults, syntheticResults, twoDatasetResults } from './fixture.js';

const round = (x: number): number => Math.round(x * 1e9) / 1e9;
/** The results file as `rbench report` reads it: through JSON and the schema. */
const fromJson = (r: unknown) => validateResults(JSON.parse(JSON.stringify(r)), 'results.json');

/** The `<section>` elements of a page, in order, by id. */
const sections = (page: string): string[] => [...page.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);

/** The rows of the "All configurations with quality" table: pipeline, significance markers, baseline badge. */
function resultRows(page: string): { pipeline: string; markers: string[]; baseline: boolean }[] {
  const table = page.slice(page.indexOf('<h3>All configurations with quality</h3>'));
  const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => ({
    pipeline: /<code>([^<]*)<\/code>/.exec(m[1])![1],
    markers: [...m[1].matchAll(/<span class="sig (?:up|down)"[^>]*>([▲▼])<\/span>/g)].map((x) => x[1]),
    baseline: m[0].startsWith('<tr class="baseline"'),
  }));
}

describe('reading a results file with statistics', () => {
  it('parses statistics, selection and decisions, and keeps per-query values only where the wins/losses chart needs them', () => {
    const r = fromJson(decidedResults());
    expect(r.statistics?.baselines[DATASET]).toBe(BASELINE);
    expect(r.decisions).toHaveLength(4);
    expect(r.selection?.[0].estimate).toBe(0.655);
    const kept = r.results.filter((x) => x.perQuery).map((x) => qualityIdOf(x));
    // The first row of each: the baseline, the recommended (every budget but 10 ms) and the best with no budget.
    expect(kept.sort()).toEqual([BASELINE, BEST, RECOMMENDED].sort());
    expect(r.results.find((x) => qualityIdOf(x) === RECOMMENDED && x.perQuery)!.perQuery![EVIL_QUERY]['ndcg@10']).toBe(0.5);
  });

  it('reads the rows it does not need without looking at their per-query values; a bad one it needs is a UsageError naming it', () => {
    const raw = JSON.parse(JSON.stringify(decidedResults())) as { results: { id: string; perQuery: unknown }[] };
    const other = raw.results.findIndex((x) => x.id === `${DATASET}/dense/k5/none`);
    raw.results[other].perQuery = 'not read';
    expect(() => validateResults(raw, 'results.json')).not.toThrow();
    const needed = raw.results.findIndex((x) => x.id === `${RECOMMENDED}/b1`);
    raw.results[needed].perQuery = { q1: { 'ndcg@10': 'high' } };
    const error = (() => {
      try {
        validateResults(raw, 'results.json');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`field \`results[${needed}].perQuery.q1.ndcg@10\`: expected number`);
  });

  it('derives the quality configuration of rows from files without qualityId', () => {
    expect(qualityIdOf({ id: 'd/bm25/k10/ce/b16', batchSize: 16 })).toBe('d/bm25/k10/ce');
    expect(qualityIdOf({ id: 'd/bm25/k10/none', batchSize: null })).toBe('d/bm25/k10/none');
    expect(qualityIdOf({ id: 'd/x/k10/ce/b4', qualityId: 'given', batchSize: 4 })).toBe('given');
  });
});

describe('wins and losses against the baseline', () => {
  const r = decidedResults();
  const decisions = r.decisions!;

  it('compares the recommended configurations (distinct, not the baseline) and the best with no budget', () => {
    expect(winLossTargets(decisions, BASELINE)).toEqual([
      { id: RECOMMENDED, role: 'recommended (≤ 100 ms, ≤ 1000 ms, no budget)' },
      { id: BEST, role: 'best with no budget' },
    ]);
  });

  it('per-query differences, largest win first, with the counts worked out by hand (fixture PER_QUERY_NDCG)', () => {
    const { comparisons, points } = winLossData(r.results, winLossTargets(decisions, BASELINE), BASELINE, 'ndcg@10', DATASET);
    expect(comparisons.map((c) => [c.id, c.wins, c.losses, c.ties, round(c.meanDelta), c.queries, c.sampled])).toEqual([
      [RECOMMENDED, 1, 2, 3, 0.03, 6, false],
      [BEST, 2, 1, 3, 0.06, 6, false],
    ]);
    const of = (id: string) => points.filter((p) => p.comparison.startsWith(`${id.slice(DATASET.length + 1)},`));
    // Ties in query-id order (q1, q3, then "q6 <script>…", which sorts after "q5").
    expect(of(RECOMMENDED).map((p) => [p.rank, round(p.delta), p.outcome, p.query])).toEqual([
      [1, 0.3, 'win', 'q2'],
      [2, 0, 'tie', 'q1'],
      [3, 0, 'tie', 'q3'],
      [4, 0, 'tie', EVIL_QUERY],
      [5, -0.02, 'loss', 'q5'],
      [6, -0.1, 'loss', 'q4'],
    ]);
    expect(of(BEST).map((p) => round(p.delta))).toEqual([0.4, 0.08, 0, 0, 0, -0.12]);
    expect(of(BEST)[0].comparison).toBe('bm25/k10/ce, best with no budget: 2 wins, 1 losses, 3 ties');
  });

  it('with more queries than bars, the bars are evenly spaced quantiles and the counts stay exact', () => {
    const { comparisons, points } = winLossData(r.results, [{ id: RECOMMENDED, role: 'x' }], BASELINE, 'ndcg@10', DATASET, 3);
    expect(comparisons[0]).toMatchObject({ wins: 1, losses: 2, ties: 3, sampled: true });
    // Sorted differences [0.3, 0, 0, 0, −0.02, −0.1]; positions round(j × 5 / 2) = 0, 3, 5.
    expect(points.map((p) => [round(p.delta), p.query])).toEqual([
      [0.3, null],
      [0, null],
      [-0.1, null],
    ]);
  });

  it('nothing to compare when the baseline has no per-query values (a file written without them)', () => {
    const bare = decidedResults();
    for (const row of bare.results) row.perQuery = null;
    expect(winLossData(bare.results, winLossTargets(decisions, BASELINE), BASELINE, 'ndcg@10', DATASET).points).toEqual([]);
    expect(buildViews(bare)[0].charts.winLoss).toBeUndefined();
  });
});

describe('decisions merged by budget', () => {
  it('consecutive budgets naming the same configurations share one row', () => {
    expect(mergedDecisions(decidedResults().decisions!).map((m) => [m.budgets, m.decision.recommended!.id])).toEqual([
      ['≤ 10 ms', BASELINE],
      ['≤ 100 ms, ≤ 1000 ms, no budget', RECOMMENDED],
    ]);
    const same = decidedResults().decisions!.slice(1);
    expect(mergedDecisions(same).map((m) => m.budgets)).toEqual(['every budget']);
  });
});

describe('the page of a run with statistics', async () => {
  const results = decidedResults();
  const page = await renderReport(results);

  it('opens with the decision: the first section, before any dataset', () => {
    expect(sections(page)).toEqual(['decision', 'dataset-1', 'run']);
    const decision = page.slice(page.indexOf('<section id="decision">'), page.indexOf('</section>'));
    expect(decision).toContain('<h2>Decision: which configuration to ship</h2>');
    // The recommended configuration per budget, with mean, interval, Δ vs baseline and latency.
    expect(decision).toContain(
      '<td><span class="nw">≤ 100 ms</span><span class="nw">≤ 1000 ms</span><span class="nw">no budget</span></td><td><code>bm25/k5/ce</code> <span class="muted">b4</span> <span class="badge rec">recommended</span></td>',
    );
    expect(decision).toContain(
      '<td class="num" data-v="0.65">0.6500<span class="sub">[0.6000, 0.7000]</span></td><td class="num" data-v="0.030000000000000027">+0.0300<span class="sub">adj. p 0.600</span></td><td class="num" data-v="11.4">11.4</td>',
    );
    // The best within those budgets, and how far the recommended one is below it.
    expect(decision).toContain(
      '<td><code>bm25/k10/ce</code> <span class="muted">b4</span></td><td class="num" data-v="0.68">0.6800<span class="sub">[0.6300, 0.7300]</span></td><td class="num" data-v="-0.03">−0.0300<span class="sub">Holm-adj. p 0.300</span></td>',
    );
    // Each budget's reason, escaped.
    for (const d of results.decisions!) expect(decision).toContain(escapeHtml(d.reason));
    // The selection estimate beside the naive best.
    expect(decision).toMatch(/<td>nDCG@10<\/td><td class="num" data-v="0.68">0.6800<\/td><td><code>bm25\/k10\/ce<\/code><\/td><td class="num best" data-v="0.655">0.6550<\/td>/);
    // Stand-ins: their cost, never a quality figure.
    expect(decision).toContain('<code>bm25/k5/big-standin</code> 300 ms p95 (b1), fits ≤ 1000 ms');
    for (const v of STAND_IN_SENTINELS) expect(page).not.toContain(v.toFixed(4));
    // The wins/losses chart is in the decision section.
    expect(decision).toContain('<figure class="chart" id="d0-winloss"');
    expect(decision).toContain('<code>bm25/k5/ce</code>, recommended (≤ 100 ms, ≤ 1000 ms, no budget), wins 1, loses 2 and ties 3 of 6 queries (mean Δ +0.0300).');
  });

  it('one table row per quality configuration, with ▲/▼ exactly where the baseline comparison is significant', () => {
    const rows = resultRows(page);
    const qualityIds = [...new Set(results.results.filter((x) => x.reranker?.weights !== 'random').map((x) => x.qualityId))];
    expect(rows.map((x) => `${DATASET}/${x.pipeline}`).sort()).toEqual(qualityIds.sort());
    expect(rows.filter((x) => x.markers.length > 0).map((x) => [x.pipeline, x.markers])).toEqual([
      ['bm25/k10/ce', ['▲']],
      ['dense/k5/none', ['▼']],
    ]);
    expect(rows.filter((x) => x.baseline).map((x) => x.pipeline)).toEqual(['bm25/k10/none']);
    expect(page).toContain(
      'significantly worse than the baseline <code>bm25/k10/none</code> (paired randomization test, 1,000 permutations; significant when the p-value adjusted by Holm over the dataset&#39;s configurations is ≤ α = 0.05)',
    );
  });

  it('folds batch sizes into the cost columns: the fastest, and under the decisions\' statistic every batch size', () => {
    // bm25/k10/ce (fixture.ts): total p50 0.1 + 10 × 2 = 20.1 ms at b1, 0.1 + 10 × 1.5 = 15.1 ms at b4; p95 = 1.5 × p50,
    // 30.15 and 22.65 (to 3 significant digits 30.2 and 22.6: as doubles, 1.5 × 20.1 lands just above 30.15 and
    // 1.5 × 15.1 on 22.65, whose binary value is just below).
    const row = /<tr><td><code>bm25\/k10\/ce<\/code><\/td>[\s\S]*?<\/tr>/.exec(page.slice(page.indexOf('All configurations with quality')))![0];
    expect(row).toMatch(/<td class="num" data-v="22\.6\d*">22\.6 <span class="muted">b4<\/span><span class="sub">b1 30\.2 · b4 22\.6<\/span><\/td><td class="num" data-v="15\.1">15\.1 <span class="muted">b4<\/span><\/td>/);
  });

  it('the intervals are below each mean, and the page still holds no raw injected string', () => {
    expect(page).toContain('0.6800<span class="sig up"');
    expect(page).toContain('<span class="ci" title="95 % CI [0.6300, 0.7300]">0.630–0.730</span>');
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain(EVIL_QUERY);
  });

  it('the wins/losses spec carries the per-query data, the query ids escaped for the script element', () => {
    const json = /<script type="application\/json" id="spec-d0-winloss">([\s\S]*?)<\/script>/.exec(page)![1];
    expect(json).toContain('q6 \\u003cscript\\u003e');
    const spec = JSON.parse(json) as { data: { values: { query: string }[] } };
    expect(spec.data.values.map((v) => v.query)).toContain(EVIL_QUERY);
  });

  it('renders the same from memory and from the file (which keeps only the needed per-query values)', async () => {
    expect(await renderReport(fromJson(results))).toBe(page);
  });
});

describe('a results file without statistics (older files)', async () => {
  const page = await renderReport(syntheticResults());

  it('still opens with the decision section, saying there is none and naming the best configuration', () => {
    expect(sections(page)[0]).toBe('decision');
    expect(page).toContain('This results file has no decisions');
    expect(page).toMatch(/best nDCG@10 <b>0\.6800<\/b> with <code>bm25\/k10\/ce<\/code>, total p50 15\.1 ms per query \(batch 4\)/);
    expect(page).not.toContain('class="sig');
    expect(page).not.toContain('id="d0-winloss"');
  });
});

describe('sweeps', () => {
  const r = sweptResults();
  const metrics = metricInfos(r);

  it('ANN recall per efSearch of the swept HNSW retriever; the unswept one is not a sweep', () => {
    expect(efSearchPoints(r.results).map((p) => [p.series, p.retriever, p.efSearch, p.annRecall])).toEqual([
      ['dense-hnsw', 'dense-hnsw@efSearch=16', 16, 0.8],
      ['dense-hnsw', 'dense-hnsw@efSearch=32', 32, 0.9],
      ['dense-hnsw', 'dense-hnsw@efSearch=64', 64, 0.97],
    ]);
    expect(efSearchPoints(decidedResults().results)).toEqual([]);
  });

  it('the interpolation curve runs from the first stage (w = 0) through the swept weights to the reranker alone (w = 1)', () => {
    const pts = interpolationPoints(r.results, metrics);
    // Only bm25/k10 has two or more weights (0.1, 0.3, 0.5); bm25/k5 and dense have 0.3 alone.
    expect(pts.map((p) => [p.retriever, p.candidates, p.weight, p.kind, round(p.value)])).toEqual([
      ['bm25', 10, 0, 'first stage', 0.62],
      ['bm25', 10, 0.1, 'interpolated', 0.63],
      ['bm25', 10, 0.3, 'interpolated', 0.65],
      ['bm25', 10, 0.5, 'interpolated', 0.66],
      ['bm25', 10, 1, 'reranker alone', 0.68],
    ]);
    expect(interpolationPoints(decidedResults().results, metrics)).toEqual([]);
  });

  it('their charts are in the dataset section, and compile without warnings', async () => {
    const view = buildViews(r)[0];
    for (const kind of ['efSearch', 'interpolation'] as const) {
      const { warnings } = await compileSpec(view.charts[kind]!.spec);
      expect(warnings).toEqual([]);
    }
    const page = await renderReport(r);
    expect([...page.matchAll(/<figure class="chart" id="([^"]+)"/g)].map((m) => m[1])).toEqual(['d0-winloss', 'd0-quality', 'd0-depth', 'd0-efsearch', 'd0-interpolation', 'd0-throughput', 'd0-standin']);
  });
});

describe('across datasets', async () => {
  const r = twoDatasetResults();

  it('pipelines × datasets with the mean, as BEIR and MTEB publish; a pipeline missing from a dataset has no mean', () => {
    const t = crossDataset(buildViews(r))!;
    expect(t.metric.label).toBe('nDCG@10');
    expect(t.datasets).toEqual([DATASET, DATASET_B]);
    const row = (p: string) => t.rows.find((x) => x.pipeline === p)!;
    // Dataset B is A with nDCG@10 lowered by 0.1, BM25 only (fixture.ts).
    expect([round(row('bm25/k10/ce').cells[0]!.value), round(row('bm25/k10/ce').cells[1]!.value), round(row('bm25/k10/ce').mean!)]).toEqual([0.68, 0.58, 0.63]);
    expect(t.rows[0].pipeline).toBe('bm25/k10/ce');
    expect(row('dense/k10/ce').cells[1]).toBeUndefined();
    expect(row('dense/k10/ce').mean).toBeUndefined();
    // Complete rows (means) first.
    const firstIncomplete = t.rows.findIndex((x) => x.mean === undefined);
    expect(t.rows.slice(firstIncomplete).every((x) => x.mean === undefined)).toBe(true);
    expect(row('bm25/k10/none').cells.every((c) => c!.baseline)).toBe(true);
  });

  it('the section follows the decision; one dataset has none', async () => {
    const page = await renderReport(r);
    expect(sections(page)).toEqual(['decision', 'cross-dataset', 'dataset-1', 'dataset-2', 'run']);
    const cross = page.slice(page.indexOf('<section id="cross-dataset">'), page.indexOf('<section id="dataset-1">'));
    expect(cross).toContain(`<th class="num">${escapeHtml(DATASET)}</th><th class="num">${DATASET_B}</th><th class="num">mean</th>`);
    expect(cross).toMatch(/<td><code>bm25\/k10\/ce<\/code><\/td><td class="num best" data-v="0.68">0.6800<span class="sig up"[^>]*>▲<\/span><\/td>/);
    expect(crossDataset(buildViews(decidedResults()))).toBeUndefined();
  });
});
