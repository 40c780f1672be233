/**
 * Decisions on hand-worked examples: the cross-validated selection estimate (folds, tie-break by latency),
 * the recommended configuration per budget (cheapest not significantly below the best, exact randomization
 * p-values by hand, Holm), stand-ins within a budget, the default baseline, and the rows' intervals.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/experiment/config.js';
import type { ResultRow } from '../../src/experiment/results.js';
import { decide } from '../../src/experiment/stages/decide.js';

const stats = (p95: number) => ({ p50: p95 / 2, p95, p99: p95, mean: p95 / 2, n: 10 });

/** A result row of dataset `d` with per-query values of one metric `m` (and its mean). */
function row(id: string, values: number[] | null, p95: number | null, extra: Partial<ResultRow> = {}): ResultRow {
  const [dataset, retriever, k, reranker, b] = id.split('/');
  const perQuery = values ? Object.fromEntries(values.map((v, i) => [`q${i}`, { m: v }])) : null;
  return {
    id,
    qualityId: [dataset, retriever, k, reranker].join('/'),
    dataset,
    retriever: { name: retriever, type: 'bm25' },
    candidates: Number(k.slice(1)),
    reranker: reranker === 'none' ? null : { name: reranker, backend: 'test', source: reranker, weights: values ? 'built' : 'random', label: reranker, interpolate: null },
    batchSize: b ? Number(b.slice(1)) : null,
    metrics: values ? { m: values.reduce((a, x) => a + x, 0) / values.length } : null,
    perQuery,
    firstStage: null,
    candidateRecall: 1,
    context: { topN: 5, meanDocs: 5, meanWords: 100, meanTokensEstimate: 130 },
    latencyMs: p95 === null ? null : { retrieve: stats(p95 / 10), rerank: null, total: stats(p95) },
    throughput: null,
    run: null,
    ...extra,
  };
}

function config(extra = ''): ReturnType<typeof parseConfig> {
  return parseConfig(`name: t\ndatasets: [{name: d}]\nretrievers: [{type: bm25}]\ncandidates: [10]\nmetrics: [m]\n${extra}`, 't.yaml');
}

describe('cross-validated selection', () => {
  it('chooses on four folds, scores on the fifth, and breaks a tie by the lower p95 latency', () => {
    // Queries q0..q9 (byte order); fold f holds q_f and q_{f+5}.
    const a = row('d/bm25/k10/none', [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], 2); // mean 0.5
    const b = row('d/bm25/k10/fast', [0, 0, 0, 0, 0.4, 1, 1, 1, 1, 0.2], 1); // mean 0.46, faster
    const x = config();
    const { selection } = decide([a, b], x.datasets, x.config, 'bm25');
    // Folds 0-3: A's training mean 4/8 = 0.5 beats B's 3.6/8 = 0.45; A scores 1 + 0 on each held-out fold.
    // Fold 4 (q4, q9): both train to 4/8 = 0.5; B is faster, so B; it scores 0.4 + 0.2.
    expect(selection).toHaveLength(1);
    const [sel] = selection;
    expect(sel).toMatchObject({
      dataset: 'd',
      metric: 'm',
      method: 'cross-validation',
      folds: 5,
      queries: 10,
      naiveBest: { id: 'd/bm25/k10/none', mean: 0.5 },
      chosen: { 'd/bm25/k10/none': 4, 'd/bm25/k10/fast': 1 },
      tiesByLatency: 1,
    });
    expect(sel.estimate).toBeCloseTo((4 * 1 + 0.6) / 10, 15);
    expect(sel.gap).toBeCloseTo(0.04, 15);
  });
});

describe('which to ship', () => {
  // 12 queries. big: 1 everywhere (50 ms); small: 1 but 0.9 on q3 (5 ms); none: 0.5 everywhere (1 ms, the baseline).
  const big = Array(12).fill(1);
  const small = big.map((v, i) => (i === 3 ? 0.9 : v));
  const half = Array(12).fill(0.5);
  const rows = [
    row('d/bm25/k10/none', half, 1),
    row('d/bm25/k10/small/b1', small, 7),
    row('d/bm25/k10/small/b4', small, 5),
    row('d/bm25/k10/big/b4', big, 50),
    row('d/bm25/k10/standin/b4', null, 3),
  ];
  const x = config('decision: {budgetsMs: [0.5, 2, 10, 100]}\n');
  const { decisions, statistics } = decide(rows, x.datasets, x.config, 'bm25');
  const at = (budget: number | null) => decisions.find((d) => d.budgetMs === budget)!;

  it('uses the first retriever without a reranker as the baseline', () => {
    expect(statistics.baselines).toEqual({ d: 'd/bm25/k10/none' });
  });

  it('recommends the cheapest configuration not significantly below the best, at its fastest batch size', () => {
    // Within 100 ms: best is big. small vs big differs on one query only: exact p = 1 (both sign patterns are
    // as extreme). none vs big: 12 differences of -0.5, exact p = 2 / 2^12; Holm over two: 2 * 2/4096.
    const d = at(100);
    expect(d.best?.id).toBe('d/bm25/k10/big');
    expect(d.recommended).toMatchObject({ id: 'd/bm25/k10/small', batchSize: 4, latencyMs: 5, mean: 11.9 / 12, vsBest: { pAdjusted: 1 } });
    expect(d.recommended!.vsBest.delta).toBeCloseTo(-0.1 / 12, 15);
    expect(d.recommended!.vsBaseline).toMatchObject({ significant: true });
    expect(d.reason).toMatch(/^d\/bm25\/k10\/small is the cheapest configuration within 100 ms p95 per query \(5\.0 ms p95, batch 4\) whose m is not significantly below the best there, d\/bm25\/k10\/big/);
    expect(d.standIns).toEqual([{ id: 'd/bm25/k10/standin', batchSize: 4, latencyMs: 3 }]);
    expect(d.reason).toMatch(/stand-ins: bm25\/k10\/standin \(3\.0 ms\); what they would cost is measured, their quality is unknown offline\.$/);
  });

  it('keeps a budget honest: within 10 ms big does not fit; within 2 ms only the baseline does; within 0.5 ms nothing', () => {
    expect(at(10).best?.id).toBe('d/bm25/k10/small');
    // none vs small: 12 non-zero differences, all negative: exact p = 2 / 4096, significant, so small stays.
    expect(at(10).recommended?.id).toBe('d/bm25/k10/small');
    expect(at(10).reason).toMatch(/has the best m within 10 ms p95 per query \(5\.0 ms p95, batch 4\); each of the 1 cheaper configurations is significantly below it\./);
    expect(at(2).recommended?.id).toBe('d/bm25/k10/none');
    expect(at(2).reason).toMatch(/It is the baseline\.$/);
    expect(at(2).standIns).toEqual([]);
    expect(at(0.5)).toMatchObject({ best: null, recommended: null, reason: 'No configuration with quality figures runs within 0.5 ms p95 per query.' });
    expect(at(null).best?.id).toBe('d/bm25/k10/big');
  });

  it('gives every quality row its interval and its comparison with the baseline (shared by batch sizes)', () => {
    const [b1, b4] = rows.filter((r) => r.qualityId === 'd/bm25/k10/small');
    expect(b1.ci95).toEqual(b4.ci95);
    expect(b1.vsBaseline).toEqual(b4.vsBaseline);
    // small - none: 11 queries +0.5, one +0.4: all 12 positive, exact p = 2 / 4096; Holm over 2 comparisons.
    expect(b1.vsBaseline!.m).toMatchObject({ baseline: 'd/bm25/k10/none', pExact: true, p: 2 / 4096, pAdjusted: (2 * 2) / 4096, significant: true, wins: 12, losses: 0, ties: 0 });
    expect(b1.vsBaseline!.m.delta).toBeCloseTo((11 * 0.5 + 0.4) / 12, 15);
    expect(rows[0].vsBaseline).toBeUndefined(); // the baseline itself
    expect(rows[0].ci95).toEqual({ m: [0.5, 0.5] });
    expect(rows[4].ci95).toBeUndefined(); // a stand-in has no quality
  });
});

describe('budgets from the smallest up', () => {
  it('does not recommend, in a larger budget, what a smaller budget showed significantly below its best', () => {
    // 7 queries. none (1 ms): 0.5; small (1.5 ms): 0.6; big (50 ms): 1 but 0.4 on q5 and q6; mid (60 ms): 0.8.
    const rows = [
      row('d/bm25/k10/none', Array(7).fill(0.5), 1),
      row('d/bm25/k10/small', Array(7).fill(0.6), 1.5),
      row('d/bm25/k10/big', [1, 1, 1, 1, 1, 0.4, 0.4], 50),
      row('d/bm25/k10/mid', Array(7).fill(0.8), 60),
    ];
    const x = config('decision: {budgetsMs: [100, 2]}\n');
    const { decisions } = decide(rows, x.datasets, x.config, 'bm25');
    expect(decisions.map((d) => d.budgetMs)).toEqual([2, 100, null]);
    // Within 2 ms: best small; none vs small has seven differences of -0.1: exact p = 2 / 128; Holm over the
    // dataset's three other configurations (big and mid, outside the budget, count as p = 1): 3 * 2/128 = 0.047.
    expect(decisions[0].recommended?.id).toBe('d/bm25/k10/small');
    // Within 100 ms the best is big (mean 5.8/7). none vs big: five -0.5 and two +0.1; the patterns at least as
    // extreme are the 8 with all five -0.5 signs alike: p = 8/128, not significant on its own. But none was
    // shown below the best within 2 ms: small is recommended.
    const d = decisions[1];
    expect(d.best?.id).toBe('d/bm25/k10/big');
    expect(d.recommended?.id).toBe('d/bm25/k10/small');
    expect(d.reason).toMatch(/; 1 cheaper one was shown significantly below the best within a smaller budget\./);
  });

  it('corrects over every configuration of the dataset in every budget, so noisy timings cannot move the family', () => {
    // 6 queries. none (1 ms): 0.5; small (1.5 ms): 1 but 0.9 on q5; big (50 ms): 1; mid (60 ms): 0.8.
    const rows = [
      row('d/bm25/k10/none', Array(6).fill(0.5), 1),
      row('d/bm25/k10/small', [1, 1, 1, 1, 1, 0.9], 1.5),
      row('d/bm25/k10/big', Array(6).fill(1), 50),
      row('d/bm25/k10/mid', Array(6).fill(0.8), 60),
    ];
    const x = config('decision: {budgetsMs: [100, 2]}\n');
    const { decisions } = decide(rows, x.datasets, x.config, 'bm25');
    // Within 2 ms only none and small fit. none vs small: six negative differences, exact p = 2/64 = 0.031,
    // below α on its own; but the family is all three other configurations: 3 * 2/64 = 0.094, not significant,
    // so the cheapest, none, is recommended (a family of the one candidate that fits would have said small).
    expect(decisions[0].best?.id).toBe('d/bm25/k10/small');
    expect(decisions[0].recommended).toMatchObject({ id: 'd/bm25/k10/none', vsBest: { pAdjusted: (3 * 2) / 64 } });
    // Within 100 ms the best is big; none vs big, 3 * 2/64 again: none is recommended there too.
    expect(decisions[1].recommended?.id).toBe('d/bm25/k10/none');
  });
});
