/**
 * Percentiles of a sample, by numpy's default rule (`np.percentile(x, q)`, method "linear", R's type 7):
 * for sorted values x[0] ≤ … ≤ x[n−1] and a fraction q in [0, 1], let h = (n − 1)·q; the percentile is
 * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]), i.e. linear interpolation between the two nearest order
 * statistics. Worked example: x = [1, 2, 3, 4], q = 0.25 → h = 0.75 → 1 + 0.75·(2 − 1) = 1.75.
 */

/** The q-quantile (0 ≤ q ≤ 1) of values already sorted ascending; NaN for an empty array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile fraction must be in [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1];
  const frac = h - lo;
  // x + 0·(y − x) must be x exactly, also when y is far larger.
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}
