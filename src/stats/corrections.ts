/**
 * Adjusted p-values for a family of m tests, one table entry per correction. The family is every
 * comparison against the baseline for one metric (see `compare.ts`). An adjusted p-value is the smallest
 * family-wise level (or FDR, for BH) at which that hypothesis would be rejected: reject when adjusted p ≤ α.
 *
 * With p_(1) ≤ … ≤ p_(m) the sorted p-values (ties keep their input order):
 * - `holm` (Holm 1979, step-down): p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)). Controls the family-wise
 *   error rate under any dependence between the tests, and rejects everything Bonferroni rejects.
 * - `bonferroni`: p̃_i = min(1, m·p_i). Same guarantee, less power; kept for comparison with other tools.
 * - `bh` (Benjamini & Hochberg 1995, step-up): p̃_(i) = min_{j ≥ i} min(1, m·p_(j)/j). Controls the false
 *   discovery rate (under independence or positive dependence), not the family-wise error.
 * - `none`: p̃_i = p_i.
 * The running max (Holm) and min (BH) make the adjusted values monotone in p, as R's `p.adjust` does.
 *
 * Undefined p-values (NaN: a t-test over one query) stay NaN and are not part of the family (m counts the
 * defined ones).
 */
import type { CorrectionName } from './choices.js';

export type { CorrectionName } from './choices.js';

export const CORRECTIONS = {
  holm: { label: 'Holm', describe: 'Holm step-down (family-wise error rate, any dependence)', adjust: holm },
  bonferroni: { label: 'Bonferroni', describe: 'Bonferroni (family-wise error rate, any dependence)', adjust: bonferroni },
  bh: { label: 'Benjamini–Hochberg', describe: 'Benjamini–Hochberg step-up (false discovery rate)', adjust: benjaminiHochberg },
  none: { label: 'none', describe: 'no correction', adjust: (p: Float64Array): Float64Array => p.slice() },
} as const satisfies Record<CorrectionName, { label: string; describe: string; adjust: (p: Float64Array) => Float64Array }>;

/** Adjusts `p` with the named correction (a new array, in the input order). */
export function adjustPValues(p: Float64Array, correction: CorrectionName): Float64Array {
  return CORRECTIONS[correction].adjust(p);
}

/** Indices of the defined (non-NaN) p-values, ordered by p ascending, ties in input order. */
function ascending(p: Float64Array): number[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i])) idx.push(i);
  return idx.sort((a, b) => p[a] - p[b] || a - b);
}

/** Holm's step-down adjustment (see the module comment). */
export function holm(p: Float64Array): Float64Array {
  const out = new Float64Array(p.length).fill(NaN);
  const order = ascending(p);
  const m = order.length;
  let running = 0;
  order.forEach((i, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p[i]));
    out[i] = running;
  });
  return out;
}

/** Bonferroni's adjustment (see the module comment). */
export function bonferroni(p: Float64Array): Float64Array {
  const m = ascending(p).length;
  return p.map((x) => (Number.isNaN(x) ? NaN : Math.min(1, m * x)));
}

/** Benjamini–Hochberg's step-up adjustment (see the module comment). */
export function benjaminiHochberg(p: Float64Array): Float64Array {
  const out = new Float64Array(p.length).fill(NaN);
  const order = ascending(p);
  const m = order.length;
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    const i = order[j];
    running = Math.min(running, (m * p[i]) / (j + 1));
    out[i] = running;
  }
  return out;
}
