/** The Pareto frontier on hand-made points: dominance, ties, equal latency, missing values. */
import { describe, expect, it } from 'vitest';
import { paretoFrontier, type ParetoPoint } from '../../src/report/pareto.js';

const pts = (...xs: [number, number][]): ParetoPoint[] => xs.map(([cost, value]) => ({ cost, value }));

/** The definition, applied literally: p is kept when no q is at least as good on both and better on one. */
function bruteForce(points: readonly ParetoPoint[]): Set<number> {
  const ok = (p: ParetoPoint) => Number.isFinite(p.cost) && Number.isFinite(p.value);
  const out = new Set<number>();
  points.forEach((p, i) => {
    if (!ok(p)) return;
    const dominated = points.some((q) => ok(q) && q.cost <= p.cost && q.value >= p.value && (q.cost < p.cost || q.value > p.value));
    if (!dominated) out.add(i);
  });
  return out;
}

describe('paretoFrontier', () => {
  it('keeps the points nothing beats on both axes, cheapest first', () => {
    // 0: (1 ms, 0.50)  1: (2 ms, 0.60)  2: (3 ms, 0.55) dominated by 1  3: (0.5 ms, 0.40)  4: (10 ms, 0.70)
    expect(paretoFrontier(pts([1, 0.5], [2, 0.6], [3, 0.55], [0.5, 0.4], [10, 0.7]))).toEqual([3, 0, 1, 4]);
  });

  it('equal latency: only the best quality at that latency survives', () => {
    expect(paretoFrontier(pts([1, 0.5], [1, 0.6], [1, 0.55]))).toEqual([1]);
  });

  it('equal quality: only the cheapest survives', () => {
    expect(paretoFrontier(pts([2, 0.5], [1, 0.5], [3, 0.5]))).toEqual([1]);
  });

  it('exact duplicates do not dominate each other: both are kept', () => {
    expect(paretoFrontier(pts([1, 0.5], [1, 0.5], [2, 0.7]))).toEqual([0, 1, 2]);
  });

  it('duplicates dominated by a third point are both dropped', () => {
    expect(paretoFrontier(pts([1, 0.5], [1, 0.5], [0.5, 0.6]))).toEqual([2]);
  });

  it('a point worse on one axis and equal on the other is dominated', () => {
    expect(paretoFrontier(pts([1, 0.5], [2, 0.5], [1, 0.4]))).toEqual([0]);
  });

  it('NaN or infinite values are never on the frontier and never dominate', () => {
    expect(paretoFrontier(pts([Number.NaN, 0.9], [1, 0.5], [0.1, Number.NaN], [Infinity, 1], [2, -Infinity]))).toEqual([1]);
  });

  it('no points, one point', () => {
    expect(paretoFrontier([])).toEqual([]);
    expect(paretoFrontier(pts([5, 0.1]))).toEqual([0]);
  });

  it('agrees with the definition on random points with many ties', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 30);
      // Few distinct values per axis, so ties and duplicates are frequent.
      const points = Array.from({ length: n }, () => ({ cost: Math.floor(rand() * 6), value: Math.floor(rand() * 6) / 5 }));
      const got = paretoFrontier(points);
      expect(new Set(got)).toEqual(bruteForce(points));
      // Ordered by cost ascending, and (on the frontier) value ascending with it.
      for (let i = 1; i < got.length; i++) {
        const a = points[got[i - 1]];
        const b = points[got[i]];
        expect(a.cost <= b.cost && a.value <= b.value).toBe(true);
      }
    }
  });
});
