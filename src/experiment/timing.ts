import { mulberry32 } from '../random.js';

/**
 * Latency statistics. Per-query latencies are wall-clock spans from `process.hrtime.bigint()` (tinybench
 * is for component micro-benchmarks, `rbench bench`; a per-query span in a pipeline is a plain timer).
 */

export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Number of timed samples (sampled queries × repetitions). */
  n: number;
}

/** Milliseconds since `start` (from `now()`). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const now = (): bigint => process.hrtime.bigint();

/**
 * Percentile with linear interpolation between closest ranks (numpy's default, "type 7"):
 * position h = (n − 1)·p, value = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). With few samples p99 is
 * close to the maximum; the sample count is reported next to it.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.length === 0 ? Number.NaN : s.reduce((a, b) => a + b, 0) / s.length;
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99), mean, n: s.length };
}

/**
 * Deterministic sample of `n` items (seeded Fisher-Yates on a copy), so the timing pass measures the same
 * queries on every run of a config.
 */
export function seededSample<T>(items: readonly T[], n: number, seed: number): T[] {
  const a = [...items];
  const rand = mulberry32(seed >>> 0 || 1);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, Math.min(n, a.length));
}
