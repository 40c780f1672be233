/**
 * Latency comparisons between results files, for `rbench gate`.
 *
 * - **Samples**: the raw per-query total times a run kept (`latencyMs.samples.total`), without those taken
 *   while a remote server asked to wait (`retryAfter`), as the run's own statistics leave them out.
 * - **Ratio of medians** current/baseline with a 95 % percentile bootstrap interval: each resample draws
 *   the baseline's n and the current's m samples with replacement, independently (the two runs are
 *   separate samples, not pairs: their timed queries need not be the same), from seeded mulberry32 streams,
 *   and takes the ratio of the two medians (numpy's linear rule, as the runs' p50). The bounds are the
 *   2.5th and 97.5th percentiles of the resampled ratios.
 * - **Same hardware**: timings are comparable only when both were taken on the same CPU model, core count,
 *   thread settings and versions of Node and the inference libraries (`environment`); `hardwareDifferences`
 *   lists what differs.
 */
import { mulberry32 } from '../random.js';
import { quantileSorted } from '../stats/percentile.js';
import type { ResultsRow } from './results-file.js';

/** The `environment` fields that must agree for timings to be compared. */
export const HARDWARE_FIELDS = ['cpu', 'cores', 'arch', 'threads.intraOp', 'threads.interOp', 'node', 'onnxruntime', 'transformers', 'hnswlib'] as const;

function field(env: Record<string, unknown>, key: string): unknown {
  let v: unknown = env;
  for (const k of key.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** What differs between two environments among `HARDWARE_FIELDS`, as `cpu: "A" vs "B"` (empty: same hardware). */
export function hardwareDifferences(baseline: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of HARDWARE_FIELDS) {
    const a = field(baseline, key);
    const b = field(current, key);
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${key} ${JSON.stringify(a) ?? 'unknown'} vs ${JSON.stringify(b) ?? 'unknown'}`);
  }
  return out;
}

/**
 * The total-time samples of a row that count (see the module comment), or null when the row kept none
 * (not timed, or a results file from before samples were kept).
 */
export function timedSamples(row: ResultsRow): Float64Array | null {
  const s = row.latencyMs?.samples;
  if (!s || s.total.length === 0) return null;
  const waited = s.retryAfter;
  const kept = waited && waited.length === s.total.length && waited.some((w) => !w) ? s.total.filter((_, i) => !waited[i]) : s.total;
  return Float64Array.from(kept);
}

function median(sorted: Float64Array): number {
  return quantileSorted(sorted, 0.5);
}

export interface MedianRatio {
  baselineMedian: number;
  currentMedian: number;
  /** currentMedian / baselineMedian. */
  ratio: number;
  /** 95 % percentile bootstrap interval of the ratio. */
  ci95: [number, number];
}

/** The ratio of medians current/baseline with its bootstrap interval (see the module comment). */
export function medianRatio(baseline: Float64Array, current: Float64Array, opts: { resamples: number; seed: number; level?: number }): MedianRatio {
  if (baseline.length === 0 || current.length === 0) throw new RangeError('median ratio of an empty sample');
  const level = opts.level ?? 0.95;
  const sa = Float64Array.from(baseline).sort();
  const sb = Float64Array.from(current).sort();
  const baselineMedian = median(sa);
  const currentMedian = median(sb);
  // Two independent streams from one seed: the baseline's from the seed, the current's from the seed plus
  // the golden-ratio constant (any fixed offset would do; this one is the usual choice for splitting seeds).
  const ra = mulberry32(opts.seed);
  const rb = mulberry32((opts.seed + 0x9e3779b9) >>> 0);
  const ratios = new Float64Array(opts.resamples);
  const ba = new Float64Array(baseline.length);
  const bb = new Float64Array(current.length);
  for (let i = 0; i < opts.resamples; i++) {
    for (let j = 0; j < ba.length; j++) ba[j] = baseline[(ra() * baseline.length) | 0];
    for (let j = 0; j < bb.length; j++) bb[j] = current[(rb() * current.length) | 0];
    ratios[i] = median(bb.sort()) / median(ba.sort());
  }
  ratios.sort();
  return { baselineMedian, currentMedian, ratio: currentMedian / baselineMedian, ci95: [quantileSorted(ratios, (1 - level) / 2), quantileSorted(ratios, (1 + level) / 2)] };
}
