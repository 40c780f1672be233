import { describe, expect, it } from 'vitest';
import { compareCodePoints, sortTrec } from '../../src/data/order.js';

describe('trec_eval tie order', () => {
  it('orders equal scores by document id, descending byte order (golden README examples)', () => {
    const ids = ['099', '10', '100', '1000', '11', '7', '9', '0010'];
    const ranked = sortTrec(ids.map((id) => ({ id, score: 1 }))).map((d) => d.id);
    expect(ranked).toEqual(['9', '7', '11', '1000', '100', '10', '099', '0010']);
    const mixed = sortTrec(['DOC1', 'doc1', 'doc10', 'doc1a'].map((id) => ({ id, score: 0.5 }))).map((d) => d.id);
    expect(mixed).toEqual(['doc1a', 'doc10', 'doc1', 'DOC1']);
  });

  it('ranks by score first, including scores one ulp apart', () => {
    const ranked = sortTrec([
      { id: 'a', score: 0.3 },
      { id: 'b', score: 0.30000000000000004 },
      { id: 'c', score: -1e-300 },
    ]).map((d) => d.id);
    expect(ranked).toEqual(['b', 'a', 'c']);
  });

  it('compares like UTF-8 bytes where UTF-16 units disagree', () => {
    const astral = '\u{1F600}'; // UTF-8 F0 9F 98 80, UTF-16 D83D DE00
    const bmpHigh = '\uFF21'; // UTF-8 EF BC A1
    expect(compareCodePoints(astral, bmpHigh)).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(astral), Buffer.from(bmpHigh))).toBeGreaterThan(0);
    expect(astral < bmpHigh).toBe(true); // JavaScript's own order is the wrong one here
  });
});
