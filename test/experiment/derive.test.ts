/**
 * The executor's arithmetic, pinned by hand-worked examples: how a reranker reorders candidates (plain,
 * interpolated, ties, failures) and what the LLM receives (context size).
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/data/types.js';
import { contextOf, rerankCandidates } from '../../src/experiment/execute.js';

const docs = (pairs: [string, number][]) => pairs.map(([id, score]) => ({ id, score }));

describe('rerankCandidates', () => {
  it('orders candidates by the reranker score alone', () => {
    const out = rerankCandidates(docs([['a', 3], ['b', 2], ['c', 1]]), new Map([['a', 0.1], ['b', 0.9], ['c', 0.5]]), null);
    expect(out).toEqual(docs([['b', 0.9], ['c', 0.5], ['a', 0.1]]));
  });

  it('breaks ties by document id, descending in UTF-8 byte order, as trec_eval does', () => {
    // "d2" > "d10" (byte '2' > '1') > "d1" (a prefix sorts first): the order trec_eval gives equal scores.
    const out = rerankCandidates(docs([['d1', 9], ['d10', 8], ['d2', 7]]), new Map([['d1', 0.5], ['d10', 0.5], ['d2', 0.5]]), null);
    expect(out.map((d) => d.id)).toEqual(['d2', 'd10', 'd1']);
  });

  it('interpolates min-max normalised first-stage and reranker scores', () => {
    // First stage 10, 6, 2 -> 1, 0.5, 0; reranker 0, 4, 2 -> 0, 1, 0.5.
    const cands = docs([['a', 10], ['b', 6], ['c', 2]]);
    const scores = new Map([['a', 0], ['b', 4], ['c', 2]]);
    // w = 0.3: a = 0.7, b = 0.35 + 0.3 = 0.65, c = 0.15.
    const w3 = rerankCandidates(cands, scores, 0.3);
    expect(w3.map((d) => d.id)).toEqual(['a', 'b', 'c']);
    expect(w3.map((d) => d.score)).toEqual([0.7 * 1 + 0.3 * 0, 0.7 * 0.5 + 0.3 * 1, 0.7 * 0 + 0.3 * 0.5]);
    // w = 0.6: a = 0.4, b = 0.2 + 0.6 = 0.8, c = 0.3.
    const w6 = rerankCandidates(cands, scores, 0.6);
    expect(w6.map((d) => d.id)).toEqual(['b', 'a', 'c']);
    expect(w6.map((d) => d.score)).toEqual([0.4 * 0.5 + 0.6 * 1, 0.4 * 1 + 0.6 * 0, 0.4 * 0 + 0.6 * 0.5]);
  });

  it('ranks pairs that could not be scored (NaN) last, in first-stage order, below every real score', () => {
    const cands = docs([['a', 4], ['b', 3], ['c', 2], ['d', 1]]);
    const scores = new Map([['a', Number.NaN], ['b', 0.2], ['c', 0.8]]); // d: no score at all
    expect(rerankCandidates(cands, scores, null)).toEqual(docs([['c', 0.8], ['b', 0.2], ['a', 0.2 - 1], ['d', 0.2 - 2]]));
    // Interpolated, a failed pair stays failed; the others are normalised without it (b 0.2 -> 0, c 0.8 -> 1),
    // and the first stage over all four (4..1 -> a 1, b 2/3, c 1/3, d 0): b = 0.5 * 2/3, c = 0.5 * 1/3 + 0.5.
    const b = 0.5 * (2 / 3) + 0.5 * 0;
    const c = 0.5 * (1 / 3) + 0.5 * 1;
    expect(rerankCandidates(cands, scores, 0.5)).toEqual(docs([['c', c], ['b', b], ['a', b - 1], ['d', b - 2]]));
  });
});

describe('contextOf', () => {
  it('averages the documents, words and estimated tokens of the final top N over every query', () => {
    const corpus = new Map([
      ['d1', { title: 'T', text: 'one two' }], // "T one two": 3 words, 9 characters
      ['d2', { title: '', text: 'three' }], // "three": 1 word, 5 characters
      ['d3', { title: 'A b', text: 'c' }], // "A b c": 3 words, 5 characters
    ]);
    const final: Run = new Map([
      ['q1', docs([['d1', 3], ['d2', 2], ['d3', 1]])],
      ['q2', docs([['d3', 1]])],
    ]);
    const queries = [{ id: 'q1', text: '' }, { id: 'q2', text: '' }, { id: 'q3', text: '' }];
    // Top 2: q1 gets d1 + d2 (2 docs, 4 words, 14 chars), q2 gets d3 (1, 3, 5), q3 nothing; over 3 queries.
    expect(contextOf(final, 2, corpus, queries)).toEqual({ topN: 2, meanDocs: 3 / 3, meanWords: 7 / 3, meanTokensEstimate: 19 / 4 / 3 });
  });
});
