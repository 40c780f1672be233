/**
 * `compareSystems` on small hand-worked systems: pairing, the family of a correction, the chosen test,
 * wins/losses/ties, significance at α, baseline choice, and seeds that make each number depend on its own
 * data only.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { compareSystems, resolveBaseline, type SystemScores } from '../../src/stats/index.js';

function system(name: string, values: number[], metric = 'm'): SystemScores {
  const perQuery: Record<string, Record<string, number>> = {};
  values.forEach((v, i) => (perQuery[`q${i + 1}`] = { [metric]: v }));
  return { name, perQuery };
}

const A = system('A', [0.5, 0.5, 0.5, 0.5]);
const B = system('B', [0.6, 0.7, 0.5, 0.8]); // differences 0.1, 0.2, 0, 0.3
const C = system('C', [0.4, 0.5, 0.5, 0.5]); // differences −0.1, 0, 0, 0

function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('compareSystems', () => {
  it('compares every system with the baseline (hand-worked values)', () => {
    const r = compareSystems([A, B, C], { metrics: ['m'], bootstrap: 1000 });
    expect(r.queries).toBe(4);
    expect(r.baseline).toBe('A');
    expect([r.test, r.correction, r.alpha, r.seed, r.permutations]).toEqual(['randomization', 'holm', 0.05, 42, 100_000]);
    expect(r.runs.map((s) => s.name)).toEqual(['A', 'B', 'C']);
    expect(r.runs[0].metrics.m.mean).toBe(0.5);
    expect(r.runs[1].metrics.m.mean).toBeCloseTo(0.65, 15);
    expect(r.runs[2].metrics.m.mean).toBeCloseTo(0.475, 15);
    expect(r.runs[0].metrics.m.ci95).toEqual([0.5, 0.5]);
    const [b, c] = r.comparisons;
    expect([b.baseline, b.run, b.metric]).toEqual(['A', 'B', 'm']);
    expect(b.delta).toBeCloseTo(0.15, 15);
    // Non-zero differences 0.1, 0.2, 0.3: two of the 2^3 sign patterns reach |0.6|.
    expect(b.pRandomization).toBe(0.25);
    expect(b.pRandomizationExact).toBe(true);
    expect([b.wins, b.losses, b.ties]).toEqual([3, 0, 1]);
    // C: one non-zero difference, so every sign pattern reaches it: p = 1. t = −0.025/(0.05/√4) = −1 with
    // 3 degrees of freedom: F(−1; 3) = 1/2 − (√3/4 + π/6)/π.
    expect(c.pRandomization).toBe(1);
    expect(c.pTTest).toBeCloseTo(1 - (2 / Math.PI) * (Math.sqrt(3) / 4 + Math.PI / 6), 12);
    expect([c.wins, c.losses, c.ties]).toEqual([0, 1, 3]);
    // Holm over the metric's family {0.25, 1}: 0.25·2 = 0.5, then max(0.5, 1·1) = 1.
    expect([b.pAdjusted, c.pAdjusted]).toEqual([0.5, 1]);
    expect(b.pAdjustedRandomization).toBe(0.5);
    expect(b.significant).toBe(false);
    // The delta interval of B lies within [min, max] of its differences.
    expect(b.ci95[0]).toBeGreaterThanOrEqual(0);
    expect(b.ci95[1]).toBeLessThanOrEqual(0.3 + 1e-12);
  });

  it('uses the chosen test for pAdjusted and significance, and adjusted p ≤ α counts as significant', () => {
    const t = compareSystems([A, B, C], { metrics: ['m'], test: 't', bootstrap: 10 });
    for (const c of t.comparisons) expect(c.pAdjusted).toBe(c.pAdjustedTTest);
    const none = compareSystems([A, B], { metrics: ['m'], correction: 'none', alpha: 0.25, bootstrap: 10 });
    expect(none.comparisons[0].pAdjusted).toBe(0.25);
    expect(none.comparisons[0].significant).toBe(true);
    const below = compareSystems([A, B], { metrics: ['m'], correction: 'none', alpha: 0.2, bootstrap: 10 });
    expect(below.comparisons[0].significant).toBe(false);
  });

  it('makes each metric its own family', () => {
    const two = (name: string, m: number[], n: number[]): SystemScores => ({
      name,
      perQuery: Object.fromEntries(m.map((v, i) => [`q${i}`, { m: v, n: n[i] }])),
    });
    const base = two('base', [0, 0, 0], [0, 0, 0]);
    const x = two('x', [1, 2, 3], [1, 2, 3]);
    const y = two('y', [1, 2, 3], [0, 0, 0]);
    const r = compareSystems([base, x, y], { metrics: ['m', 'n'], bootstrap: 10, correction: 'bonferroni' });
    expect(r.comparisons.map((c) => [c.metric, c.run, c.pRandomization, c.pAdjusted])).toEqual([
      ['m', 'x', 0.25, 0.5],
      ['m', 'y', 0.25, 0.5],
      ['n', 'x', 0.25, 0.5],
      ['n', 'y', 1, 1],
    ]);
  });

  it('takes another baseline by index', () => {
    const r = compareSystems([A, B, C], { metrics: ['m'], baseline: 1, bootstrap: 10 });
    expect(r.baseline).toBe('B');
    expect(r.comparisons.map((c) => [c.baseline, c.run])).toEqual([
      ['B', 'A'],
      ['B', 'C'],
    ]);
    expect(r.comparisons[0].delta).toBeCloseTo(-0.15, 15);
  });

  it('is reproducible, and a system’s numbers do not depend on which other systems are compared', () => {
    const opts = { metrics: ['m'], bootstrap: 500, permutations: 500 };
    const wide = Array.from({ length: 30 }, (_, i) => ((i * 37) % 11) / 10);
    const W = system('W', wide);
    const Z = system('Z', wide.map((v, i) => v + (((i * 13) % 7) - 2) / 20));
    const V = system('V', wide.map((v, i) => v - ((i * 5) % 3) / 10));
    const a = compareSystems([W, Z], opts);
    expect(compareSystems([W, Z], opts)).toEqual(a);
    expect(a.comparisons[0].pRandomizationExact).toBe(false);
    const b = compareSystems([W, V, Z], opts);
    const z = b.comparisons.find((c) => c.run === 'Z');
    expect(z?.pRandomization).toBe(a.comparisons[0].pRandomization);
    expect(z?.ci95).toEqual(a.comparisons[0].ci95);
    expect(b.runs.find((s) => s.name === 'Z')).toEqual(a.runs[1]);
    expect(compareSystems([W, Z], { ...opts, seed: 7 }).runs[1].metrics.m.ci95).not.toEqual(a.runs[1].metrics.m.ci95);
  });

  it('refuses systems that cannot be paired, naming them and a query', () => {
    const short = system('S', [0.6, 0.7, 0.5]);
    const e = usageError(() => compareSystems([A, short], { metrics: ['m'] }));
    expect(e.message).toContain('cannot pair A and S');
    expect(e.message).toContain('"q4"');
    const noValue: SystemScores = { name: 'N', perQuery: { ...B.perQuery, q2: { other: 1 } } };
    expect(usageError(() => compareSystems([A, noValue], { metrics: ['m'] })).message).toContain('N has no finite value of m for query "q2"');
    expect(usageError(() => compareSystems([A, { ...B, name: 'A' }], { metrics: ['m'] })).message).toContain('two systems are named "A"');
    expect(usageError(() => compareSystems([A], { metrics: ['m'] })).message).toContain('at least two systems');
  });

  it('refuses bad options with the option named', () => {
    expect(usageError(() => compareSystems([A, B], { metrics: ['m'], alpha: 1 })).message).toContain('--alpha');
    expect(usageError(() => compareSystems([A, B], { metrics: ['m'], permutations: 0 })).message).toContain('--permutations');
    expect(usageError(() => compareSystems([A, B], { metrics: ['m'], bootstrap: 2.5 })).message).toContain('--bootstrap');
    expect(usageError(() => compareSystems([A, B], { metrics: ['m'], seed: -1 })).message).toContain('--seed');
  });
});

describe('resolveBaseline', () => {
  it('takes a name first, then a 1-based position, and refuses anything else', () => {
    expect(resolveBaseline(['a', 'b', 'c'], undefined)).toBe(0);
    expect(resolveBaseline(['a', 'b', 'c'], 'c')).toBe(2);
    expect(resolveBaseline(['a', 'b', 'c'], '2')).toBe(1);
    expect(resolveBaseline(['3', 'b', 'c'], '3')).toBe(0);
    expect(usageError(() => resolveBaseline(['a', 'b'], '3')).message).toContain('"a", "b"');
    expect(() => resolveBaseline(['a', 'b'], '0')).toThrow(UsageError);
    expect(() => resolveBaseline(['a', 'b'], 'x')).toThrow(UsageError);
  });
});
