/**
 * Two-sided paired randomization test (sign flip; Fisher 1935, Smucker, Allan & Carterette 2007).
 *
 * Null hypothesis: the two systems are exchangeable on every query, so each per-query difference
 * d_i = run_i − baseline_i is as likely to have come out with the opposite sign. The statistic is the
 * absolute sum |Σ d_i| (equivalently the absolute mean difference: n is fixed). The p-value is the share
 * of the 2^n sign patterns s ∈ {−1, +1}^n with |Σ s_i·d_i| ≥ |Σ d_i|.
 *
 * - **Zero differences are dropped first.** Flipping the sign of a 0 changes no sum, so each pattern of
 *   the m non-zero differences stands for exactly 2^(n−m) patterns of all n with the same sum: the share
 *   over 2^m patterns is the share over 2^n, exactly (in floating point too: adding +0 or −0 changes no
 *   sum). All differences 0 (m = 0) gives p = 1.
 * - **Exact when m ≤ `exactLimit` (20):** every pattern is counted. Rather than walk 2^m patterns, the
 *   differences are split into halves A and B; the 2^|A| and 2^|B| partial sums are listed, B's sorted,
 *   and for each partial sum a of A the B sums with a + b ≥ T or a + b ≤ −T are counted by binary search:
 *   O(2^(m/2)·m) work (about 40,000 steps for m = 20, a fraction of a millisecond), and each pattern's sum comes from
 *   at most m/2 + 1 additions, so rounding stays near one ulp. Since every n ≤ 20 has m ≤ 20, the test is
 *   exact for every comparison over at most 20 queries, and for larger ones with at most 20 non-zero
 *   differences (ties are common with P@k and recall@k).
 * - **Monte Carlo otherwise:** N sign patterns drawn uniformly (32 signs per draw of the seeded mulberry32
 *   stream), p = (hits + 1)/(N + 1), which counts the observed pattern and is never 0 (Phipson & Smyth
 *   2010); its standard error is about √(p(1 − p)/N), 0.0007 at p = 0.05 with N = 100,000.
 * - **Ties with the observed statistic:** "≥" is taken with a tolerance, |sum| ≥ T − 1e-9·Σ|d_i|, because
 *   patterns whose sums are mathematically equal to T (e.g. swapping two differences of equal size, common
 *   with P@10's multiples of 0.1) come out of floating-point addition a few ulps apart. Rounding error is
 *   about n·2^−53·Σ|d_i|; 1e-9 of the largest possible sum is far above it and far below any real gap
 *   between sums of per-query metric values.
 */
import { mulberry32 } from '../random.js';

/** Relative tolerance of "≥ the observed statistic" (see the module comment). */
export const TIE_TOLERANCE = 1e-9;

/** Default largest number of non-zero differences for which the test enumerates every sign pattern. */
export const EXACT_LIMIT = 20;

export interface RandomizationOptions {
  /** Monte Carlo sign patterns when the test is not exact (N ≥ 1). */
  samples: number;
  /** Seed of the Monte Carlo stream. */
  seed: number;
  /** Enumerate every pattern when at most this many differences are non-zero (default 20; at most 40). */
  exactLimit?: number;
}

export interface RandomizationResult {
  /** Two-sided p-value. */
  p: number;
  /** Whether every sign pattern was enumerated (otherwise Monte Carlo). */
  exact: boolean;
  /** Number of non-zero differences the test flipped. */
  nonZero: number;
  /** Monte Carlo samples drawn (0 when exact). */
  samples: number;
}

/** Two-sided paired randomization test of the per-query differences `diffs` (see the module comment). */
export function randomizationTest(diffs: Float64Array, opts: RandomizationOptions): RandomizationResult {
  const limit = opts.exactLimit ?? EXACT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > 40) throw new RangeError(`exactLimit must be an integer in [0, 40], got ${limit}`);
  if (diffs.some((x) => Number.isNaN(x))) throw new RangeError('randomization test of a NaN difference');
  const d = diffs.filter((x) => x !== 0);
  const m = d.length;
  let observed = 0;
  let scale = 0;
  for (let i = 0; i < m; i++) {
    observed += d[i];
    scale += Math.abs(d[i]);
  }
  const threshold = Math.abs(observed) - TIE_TOLERANCE * scale;
  // Every pattern reaches a threshold ≤ 0, so p = 1 exactly (this includes m = 0: one, empty, pattern).
  if (threshold <= 0) return { p: 1, exact: true, nonZero: m, samples: 0 };
  if (m <= limit) return { p: exactP(d, threshold), exact: true, nonZero: m, samples: 0 };
  if (!Number.isSafeInteger(opts.samples) || opts.samples < 1) throw new RangeError(`randomization samples must be a positive integer, got ${opts.samples}`);
  return { p: monteCarloP(d, threshold, opts.samples, opts.seed), exact: false, nonZero: m, samples: opts.samples };
}

/** Every signed sum of `d[from..to)`: entry `mask` gives +d[from + j] where bit j of mask is set, −d otherwise. */
function signedSums(d: Float64Array, from: number, to: number): Float64Array {
  const k = to - from;
  const sums = new Float64Array(2 ** k);
  for (let mask = 0; mask < sums.length; mask++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += mask & (1 << j) ? d[from + j] : -d[from + j];
    sums[mask] = s;
  }
  return sums;
}

/** Index of the first element ≥ x in ascending `a` (a.length when none). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element > x in ascending `a` (a.length when none). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Share of all 2^m sign patterns of `d` whose |sum| ≥ threshold (> 0), by meet in the middle. */
function exactP(d: Float64Array, threshold: number): number {
  const half = d.length >>> 1;
  const left = signedSums(d, 0, half);
  const right = signedSums(d, half, d.length).sort();
  let hits = 0;
  for (const a of left) {
    // a + b ≥ T  ⇔  b ≥ T − a;   a + b ≤ −T  ⇔  b ≤ −T − a. Disjoint because T > 0.
    hits += right.length - lowerBound(right, threshold - a);
    hits += upperBound(right, -threshold - a);
  }
  return hits / (left.length * right.length);
}

/** (hits + 1)/(N + 1) over N seeded random sign patterns of `d`. */
function monteCarloP(d: Float64Array, threshold: number, samples: number, seed: number): number {
  const rng = mulberry32(seed);
  const m = d.length;
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    let bits = 0;
    for (let i = 0; i < m; i++) {
      // mulberry32 returns a uint32 divided by 2^32: multiplying back recovers all 32 bits exactly.
      if ((i & 31) === 0) bits = (rng() * 4294967296) >>> 0;
      sum += d[i] * ((bits & 1) * 2 - 1); // branchless: random signs defeat branch prediction
      bits >>>= 1;
    }
    if (Math.abs(sum) >= threshold) hits++;
  }
  return (hits + 1) / (samples + 1);
}
