import { describe, expect, it } from 'vitest';
import { normalizeScores, rrf, weightedFusion } from '../../src/retrieval/fusion.js';

describe('reciprocal rank fusion', () => {
  it('sums 1/(k + rank) over lists, ranks taken in trec_eval order', () => {
    const bm25 = [
      { id: 'a', score: 10 },
      { id: 'b', score: 9 },
      { id: 'c', score: 8 },
    ];
    // Unsorted input, and a tie between x and b: trec_eval order puts x (greater id) first.
    const dense = [
      { id: 'b', score: 0.5 },
      { id: 'x', score: 0.5 },
      { id: 'a', score: 0.1 },
    ];
    const fused = rrf([bm25, dense], 60);
    const expected = new Map([
      ['a', 1 / 61 + 1 / 63],
      ['b', 1 / 62 + 1 / 62],
      ['c', 1 / 63],
      ['x', 1 / 61],
    ]);
    // a: 1/61 + 1/63 = 0.032266 > b: 2/62 = 0.032258 > x: 1/61 > c: 1/63
    expect(fused.map((d) => d.id)).toEqual(['a', 'b', 'x', 'c']);
    for (const d of fused) expect(d.score).toBeCloseTo(expected.get(d.id)!, 15);
  });

  it('merges duplicates and breaks equal fused scores by doc id descending', () => {
    const fused = rrf([[{ id: 'p', score: 1 }], [{ id: 'q', score: 1 }]], 60);
    expect(fused).toEqual([
      { id: 'q', score: 1 / 61 },
      { id: 'p', score: 1 / 61 },
    ]);
  });
});

describe('weighted fusion', () => {
  it('min-max normalises each list and gives absent documents the list minimum (0)', () => {
    const a = [
      { id: 'd1', score: 12 },
      { id: 'd2', score: 8 },
      { id: 'd3', score: 2 },
    ];
    const b = [
      { id: 'd3', score: 0.9 },
      { id: 'd4', score: 0.5 },
    ];
    const fused = weightedFusion([a, b], [0.8, 0.2], 'minmax');
    const byId = Object.fromEntries(fused.map((d) => [d.id, d.score]));
    expect(byId.d1).toBeCloseTo(0.8 * 1 + 0.2 * 0, 12);
    expect(byId.d2).toBeCloseTo(0.8 * 0.6 + 0.2 * 0, 12);
    expect(byId.d3).toBeCloseTo(0.8 * 0 + 0.2 * 1, 12);
    expect(byId.d4).toBeCloseTo(0.8 * 0 + 0.2 * 0, 12);
    expect(fused.map((d) => d.id)).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  it('z-score normalisation uses the sample standard deviation; absent documents get the list minimum', () => {
    const { scores, missing } = normalizeScores(
      [
        { id: 'a', score: 1 },
        { id: 'b', score: 2 },
        { id: 'c', score: 3 },
      ],
      'zscore',
    );
    expect(scores.get('a')).toBeCloseTo(-1, 12);
    expect(scores.get('b')).toBeCloseTo(0, 12);
    expect(scores.get('c')).toBeCloseTo(1, 12);
    expect(missing).toBeCloseTo(-1, 12);
  });

  it('weight 0 on a list reproduces the other list order', () => {
    const a = [
      { id: 'x', score: 3 },
      { id: 'y', score: 2 },
      { id: 'z', score: 1 },
    ];
    const b = [
      { id: 'z', score: 3 },
      { id: 'y', score: 2 },
    ];
    expect(weightedFusion([a, b], [1, 0]).map((d) => d.id)).toEqual(['x', 'y', 'z']);
  });

  it('rejects a weight count that does not match the lists', () => {
    expect(() => weightedFusion([[], []], [1])).toThrow(/2 retrievers but 1 weights/);
  });
});
