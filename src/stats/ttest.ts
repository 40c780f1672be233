/**
 * Two-sided paired t-test (Student 1908), as `scipy.stats.ttest_rel(run, baseline)`.
 *
 * For the n per-query differences d_i = run_i − baseline_i: mean d̄, sample standard deviation
 * s = √(Σ(d_i − d̄)²/(n − 1)), t = d̄/(s/√n), and p = 2·F(−|t|; n − 1) with F the CDF of Student's t
 * distribution with n − 1 degrees of freedom (from @stdlib/stats-base-dists-t-cdf: it agrees with scipy
 * to about 1e-15 relative, far into the tail, where 2·(1 − F(|t|)) would lose every digit).
 *
 * Edge cases (scipy returns NaN for the first two; the project's contract fixes them):
 * - every difference 0: no evidence of any difference, p = 1 (t reported as 0);
 * - all differences equal and non-zero (s = 0): the difference is the same on every query, t = ±∞,
 *   p = 0;
 * - a single query (n = 1): no variance estimate, p is undefined (NaN; `null` in JSON) unless the
 *   difference is 0 (p = 1).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface TTestResult {
  /** The t statistic (±Infinity when the differences are all equal and non-zero; NaN for n = 1). */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value (NaN when undefined: a single non-zero difference). */
  p: number;
}

/** The paired t-test of per-query differences `diffs` (see the module comment). */
export function pairedTTest(diffs: Float64Array): TTestResult {
  const n = diffs.length;
  if (n === 0) throw new RangeError('t-test of an empty sample');
  const df = n - 1;
  if (diffs.every((x) => x === 0)) return { t: 0, df, p: 1 };
  if (n === 1) return { t: NaN, df, p: NaN };
  // Tested on the values, not on s = 0: the mean of equal values can be an ulp off them, leaving s > 0.
  if (diffs.every((x) => x === diffs[0])) return { t: diffs[0] > 0 ? Infinity : -Infinity, df, p: 0 };
  let sum = 0;
  for (const x of diffs) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of diffs) ss += (x - mean) * (x - mean);
  const t = mean / Math.sqrt(ss / df / n);
  return { t, df, p: Math.min(1, 2 * tCdf(-Math.abs(t), df)) };
}
