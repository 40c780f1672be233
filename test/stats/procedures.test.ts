/**
 * The statistical procedures of src/stats on hand-worked examples: percentiles (numpy's rule), the
 * percentile bootstrap, the exact and Monte Carlo randomization test, the paired t-test against closed
 * forms of Student's t, and Holm / Bonferroni / Benjamini–Hochberg on a textbook family (values as R's
 * `p.adjust` gives them).
 */
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, bonferroni, bootstrapMeanCI, bootstrapMeans, deriveSeed, holm, pairedTTest, quantileSorted, randomizationTest } from '../../src/stats/index.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('quantileSorted (numpy linear rule)', () => {
  it('interpolates between order statistics as np.percentile does', () => {
    const x = f64(1, 2, 3, 4);
    expect(quantileSorted(x, 0)).toBe(1);
    expect(quantileSorted(x, 1)).toBe(4);
    expect(quantileSorted(x, 0.5)).toBe(2.5);
    expect(quantileSorted(x, 0.25)).toBe(1.75); // h = 3·0.25 = 0.75: 1 + 0.75·(2 − 1)
    // np.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925]
    expect(quantileSorted(x, 0.025)).toBeCloseTo(1.075, 12);
    expect(quantileSorted(x, 0.975)).toBeCloseTo(3.925, 12);
    expect(quantileSorted(f64(7), 0.3)).toBe(7);
    expect(quantileSorted(f64(), 0.5)).toBeNaN();
  });
});

describe('bootstrapMeanCI', () => {
  it('gives the percentiles of the resampled means: a hand-worked two-point sample', () => {
    // Means of 2 draws from {0, 1}: 0 w.p. 1/4, 0.5 w.p. 1/2, 1 w.p. 1/4, so the 2.5 % and 97.5 %
    // percentiles of 10,000 resampled means are 0 and 1 (about 2,500 of each sit at either end).
    expect(bootstrapMeanCI(f64(0, 1), { resamples: 10_000, seed: 1 })).toEqual([0, 1]);
    // Means of 4 draws from {0, 0, 0, 1}: k/4 with k ~ Binomial(4, 1/4); P(k = 0) = 0.316 and
    // P(k ≤ 2) = 0.949 < 0.975 ≤ P(k ≤ 3) = 0.996, so the interval is [0, 0.75].
    expect(bootstrapMeanCI(f64(0, 0, 0, 1), { resamples: 10_000, seed: 2 })).toEqual([0, 0.75]);
  });

  it('is [x, x] for one query and for equal values', () => {
    expect(bootstrapMeanCI(f64(0.25), { resamples: 100, seed: 3 })).toEqual([0.25, 0.25]);
    expect(bootstrapMeanCI(f64(0.5, 0.5, 0.5), { resamples: 100, seed: 3 })).toEqual([0.5, 0.5]);
  });

  it('is reproducible for a seed, differs between seeds, and resamples uniformly', () => {
    const values = f64(0.1, 0.7, 0.3, 0.9, 0.45, 0.2, 0.65, 0.8);
    const a = bootstrapMeans(values, { resamples: 2_000, seed: 11 });
    expect(bootstrapMeans(values, { resamples: 2_000, seed: 11 })).toEqual(a);
    expect(bootstrapMeans(values, { resamples: 2_000, seed: 12 })).not.toEqual(a);
    // The resampled means centre on the sample mean (0.5125) with sd ≈ σ/√n = 0.2655/√8 = 0.0939.
    let sum = 0;
    for (const m of a) sum += m;
    expect(Math.abs(sum / a.length - 0.5125)).toBeLessThan(0.01);
  });

  it('refuses an empty sample and a bad number of resamples', () => {
    expect(() => bootstrapMeanCI(f64(), { resamples: 10, seed: 1 })).toThrow(/empty/);
    expect(() => bootstrapMeanCI(f64(1), { resamples: 0, seed: 1 })).toThrow(/resamples/);
  });
});

describe('randomizationTest', () => {
  const opts = { samples: 100_000, seed: 5 };

  it('counts sign patterns exactly for n = 3 (hand-worked)', () => {
    // ±1 ± 2 ± 3 takes the values 6, 0, 2, −4, 4, −2, 0, −6: two of eight reach |6|.
    expect(randomizationTest(f64(1, 2, 3), opts)).toEqual({ p: 0.25, exact: true, nonZero: 3, samples: 0 });
    // ±1 ± 2 ± 4 has |sums| 7, 1, 3, 5, 5, 3, 1, 7: six of eight reach |1 − 2 + 4| = 3.
    expect(randomizationTest(f64(1, -2, 4), opts).p).toBe(0.75);
    // The sign of every difference flipped: the same p.
    expect(randomizationTest(f64(-1, 2, -4), opts).p).toBe(0.75);
  });

  it('counts the observed pattern itself although floating-point addition order changes its sum', () => {
    // (0.1 + 0.2) + 0.3 = 0.6000000000000001 but 0.1 + (0.2 + 0.3) = 0.6: without the tie tolerance neither
    // the observed pattern nor its mirror image would reach the observed statistic (p = 0).
    expect(0.1 + 0.2 + 0.3).toBeGreaterThan(0.1 + (0.2 + 0.3));
    expect(randomizationTest(f64(0.1, 0.2, 0.3), opts).p).toBe(0.25);
    // P@10-like differences: patterns with mathematically equal sums all count.
    // |±0.1 ± 0.1 ± 0.2| ≥ 0.4 only for the two all-same-sign patterns.
    expect(randomizationTest(f64(0.1, 0.1, 0.2), opts).p).toBe(0.25);
    // |±0.1 ± 0.1 ± 0.2| ≥ |0.1 + 0.1 − 0.2| = 0: every pattern.
    expect(randomizationTest(f64(0.1, 0.1, -0.2), opts).p).toBe(1);
  });

  it('drops zero differences: the share over 2^m patterns is the share over 2^n', () => {
    expect(randomizationTest(f64(1, 0, 2, 0, 3), opts)).toEqual({ p: 0.25, exact: true, nonZero: 3, samples: 0 });
    // 25 queries, 3 of them different: still exact.
    const d = new Float64Array(25);
    d.set([1, 2, 3]);
    expect(randomizationTest(d, opts)).toEqual({ p: 0.25, exact: true, nonZero: 3, samples: 0 });
    expect(randomizationTest(new Float64Array(30), opts)).toEqual({ p: 1, exact: true, nonZero: 0, samples: 0 });
  });

  it('is exact up to 20 non-zero differences, and fast there', () => {
    // 20 positive differences: only the all-plus and all-minus patterns reach the observed sum.
    const d = Float64Array.from({ length: 20 }, (_, i) => 0.01 * (i + 1));
    const start = performance.now();
    const r = randomizationTest(d, opts);
    const ms = performance.now() - start;
    expect(r).toEqual({ p: 2 / 2 ** 20, exact: true, nonZero: 20, samples: 0 });
    expect(ms).toBeLessThan(250);
  });

  it('uses Monte Carlo beyond the limit: (hits + 1)/(N + 1), seeded', () => {
    // 30 positive differences: exact p = 2/2^30, so 1,000 random patterns find no hit and p = 1/1001.
    const all = Float64Array.from({ length: 30 }, (_, i) => 1 + i);
    expect(randomizationTest(all, { samples: 1000, seed: 1 })).toEqual({ p: 1 / 1001, exact: false, nonZero: 30, samples: 1000 });
    // Mixed signs: Monte Carlo agrees with full enumeration (exactLimit raised to 24) within its error.
    const d = Float64Array.from({ length: 24 }, (_, i) => ((i * 7919) % 13) / 10 - 0.45);
    const exact = randomizationTest(d, { ...opts, exactLimit: 24 });
    expect(exact.exact).toBe(true);
    const mc = randomizationTest(d, { samples: 100_000, seed: 9 });
    expect(mc.exact).toBe(false);
    expect(exact.p).toBeGreaterThan(0.01);
    expect(exact.p).toBeLessThan(0.99);
    expect(Math.abs(mc.p - exact.p)).toBeLessThan(0.005); // ~3 standard errors at N = 100,000
    expect(randomizationTest(d, { samples: 100_000, seed: 9 })).toEqual(mc);
    expect(randomizationTest(d, { samples: 100_000, seed: 10 }).p).not.toBe(mc.p);
  });
});

describe('pairedTTest', () => {
  it('matches the closed forms of Student t with 1 and 2 degrees of freedom', () => {
    // d = (1, 2, 3): mean 2, s = 1, t = 2√3, df = 2; F(t; 2) = 1/2 + t/(2√(t² + 2)), so p = 1 − √(12/14).
    const a = pairedTTest(f64(1, 2, 3));
    expect(a.t).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(a.df).toBe(2);
    expect(a.p).toBeCloseTo(1 - Math.sqrt(12 / 14), 12);
    // d = (1, 3): mean 2, s = √2, t = 2, df = 1 (Cauchy): p = 1 − 2·atan(2)/π.
    const b = pairedTTest(f64(1, 3));
    expect(b.t).toBeCloseTo(2, 12);
    expect(b.p).toBeCloseTo(1 - (2 * Math.atan(2)) / Math.PI, 12);
    // Negated differences: same p, negated t.
    const c = pairedTTest(f64(-1, -2, -3));
    expect(c.t).toBeCloseTo(-a.t, 12);
    expect(c.p).toBeCloseTo(a.p, 14);
  });

  it('keeps precision in the far tail', () => {
    // df = 2: p = 1 − t/√(t² + 2) = 2/(√(t² + 2)·(√(t² + 2) + t)), computed without cancellation.
    const r = pairedTTest(f64(1, 1 + 1e-9, 1 - 1e-9));
    const root = Math.sqrt(r.t * r.t + 2);
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(1e-17); // 2·(1 − F(t)) would round to 0 here
    expect(Math.abs(r.p / (2 / (root * (root + r.t))) - 1)).toBeLessThan(1e-9);
  });

  it('gives p = 1 when every difference is 0 and p = 0 when all are equal and non-zero', () => {
    expect(pairedTTest(f64(0, 0, 0, 0))).toEqual({ t: 0, df: 3, p: 1 });
    expect(pairedTTest(f64(0.1, 0.1, 0.1))).toEqual({ t: Infinity, df: 2, p: 0 });
    expect(pairedTTest(f64(-0.25, -0.25))).toEqual({ t: -Infinity, df: 1, p: 0 });
  });

  it('is undefined (NaN) for a single non-zero difference', () => {
    expect(pairedTTest(f64(0.3)).p).toBeNaN();
    expect(pairedTTest(f64(0)).p).toBe(1);
  });
});

describe('multiple-comparison corrections (textbook family; values as R p.adjust)', () => {
  const p = f64(0.01, 0.04, 0.03, 0.005);

  it('Holm: step-down, monotone', () => {
    // sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06
    expect(Array.from(holm(p))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(Array.from(holm(f64(0.02, 0.03)))).toEqual([0.04, 0.04]);
  });

  it('Bonferroni: m·p, capped at 1', () => {
    expect(Array.from(bonferroni(p))).toEqual([0.04, 0.16, 0.12, 0.02]);
    expect(Array.from(bonferroni(f64(0.3, 0.6)))).toEqual([0.6, 1]);
  });

  it('Benjamini–Hochberg: step-up, monotone', () => {
    // sorted m·p/j: 0.02, 0.02, 0.04, 0.04 → running min from the top
    expect(Array.from(benjaminiHochberg(p))).toEqual([0.02, 0.04, 0.04, 0.02]);
    // 0.04·2/1 = 0.08 would exceed 0.05·2/2 = 0.05: the step-up minimum makes it 0.05.
    expect(Array.from(benjaminiHochberg(f64(0.04, 0.05)))).toEqual([0.05, 0.05]);
  });

  it('caps Holm at 1 and leaves undefined p-values out of the family', () => {
    expect(Array.from(holm(f64(0.6, 0.7)))).toEqual([1, 1]);
    const r = holm(f64(NaN, 0.01, 0.04));
    expect(r[0]).toBeNaN();
    expect(Array.from(r.slice(1))).toEqual([0.02, 0.04]);
  });
});

describe('deriveSeed', () => {
  it('separates streams by seed and by every part', () => {
    const s = deriveSeed(42, 'bootstrap', 'bm25', 'ndcg@10');
    expect(deriveSeed(42, 'bootstrap', 'bm25', 'ndcg@10')).toBe(s);
    expect(new Set([s, deriveSeed(43, 'bootstrap', 'bm25', 'ndcg@10'), deriveSeed(42, 'bootstrap', 'bm2', '5ndcg@10'), deriveSeed(42, 'randomization', 'bm25', 'ndcg@10')]).size).toBe(4);
  });
});
