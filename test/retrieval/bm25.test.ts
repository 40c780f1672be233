import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/data/types.js';
import { UsageError } from '../../src/errors.js';
import { Bm25Retriever, byte4ToInt, createBm25Retriever, intToByte4, LENGTH_TABLE, quantizedLength } from '../../src/retrieval/bm25/index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'rbench-bm25-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DOCS: Doc[] = [
  { id: 'd1', title: 'Cats', text: 'the cat sat on the mat' },
  { id: 'd2', title: 'Dogs', text: 'dogs chase cats and other dogs' },
  { id: 'd3', title: '', text: 'a bird sang a song about a cat and a dog and a bird' },
  { id: 'd4', title: 'Fish', text: 'fish swim' },
];

/** BM25 written out from the definition in docs/BM25-REFERENCE.md, on already analysed documents. */
function referenceScore(docs: string[][], query: string[], k1: number, b: number, lengthOf: (n: number) => number = (n) => n): number[] {
  const N = docs.filter((d) => d.length > 0).length;
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / N;
  return docs.map((d) => {
    let s = 0;
    for (const q of query) {
      const df = docs.filter((x) => x.includes(q)).length;
      const tf = d.filter((t) => t === q).length;
      if (tf === 0) continue;
      const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      s += (idf * tf) / (tf + k1 * (1 - b + (b * lengthOf(d.length)) / avgdl));
    }
    return s;
  });
}

describe('Lucene length norms (SmallFloat.intToByte4 / byte4ToInt)', () => {
  it('is exact below 24 and keeps 4 significant bits of length − 24 above, rounding down', () => {
    for (let i = 0; i < 24; i++) expect(byte4ToInt(intToByte4(i))).toBe(i);
    // 100 − 24 = 76 = 0b1001100 → 0b1001000 = 72 → 96; 300 − 24 = 276 → 256 → 280.
    expect(quantizedLength(100)).toBe(96);
    expect(quantizedLength(300)).toBe(280);
    expect(intToByte4(2 ** 31 - 1)).toBe(255);
    for (let len = 0; len < 5000; len++) {
      const q = quantizedLength(len);
      expect(q).toBeLessThanOrEqual(len);
      // 4 significant bits: the error is below 1/8 of (len − 24).
      if (len >= 24) expect(len - q).toBeLessThan(Math.max(1, (len - 24) / 8));
    }
    for (let i = 1; i < 256; i++) expect(LENGTH_TABLE[i]).toBeGreaterThan(LENGTH_TABLE[i - 1]);
  });
});

describe('Bm25Retriever (lucene engine)', () => {
  it('scores as the written-out BM25 formula, exact lengths and Lucene norms', async () => {
    for (const norms of ['exact', 'lucene'] as const) {
      const r = createBm25Retriever({ norms, k1: 1.2, b: 0.75 });
      await r.index(DOCS);
      const analysed = DOCS.map((d) => r.analyze(`${d.title} ${d.text}`));
      const query = r.analyze('cat dog bird');
      const expected = referenceScore(analysed, query, 1.2, 0.75, norms === 'lucene' ? quantizedLength : undefined);
      const got = await r.search({ id: 'q', text: 'cat dog bird' }, 10);
      const byId = new Map(got.map((s) => [s.id, s.score]));
      DOCS.forEach((d, i) => {
        if (expected[i] === 0) expect(byId.has(d.id)).toBe(false);
        else expect(byId.get(d.id)).toBeCloseTo(expected[i], 12);
      });
    }
  });

  it('uses Lucene norms above 24 tokens and exact lengths when asked', async () => {
    const long: Doc[] = [
      { id: 'short', title: '', text: 'alpha beta' },
      { id: 'long', title: '', text: `alpha ${Array.from({ length: 99 }, (_, i) => `w${i}`).join(' ')}` },
      { id: 'other', title: '', text: 'gamma' },
    ];
    const lucene = createBm25Retriever({ norms: 'lucene' });
    const exact = createBm25Retriever({ norms: 'exact' });
    await lucene.index(long);
    await exact.index(long);
    const analysed = long.map((d) => lucene.analyze(d.text));
    const expLucene = referenceScore(analysed, ['alpha'], 0.9, 0.4, quantizedLength);
    const expExact = referenceScore(analysed, ['alpha'], 0.9, 0.4);
    expect(expLucene[1]).not.toBeCloseTo(expExact[1], 6); // 100 tokens are seen as 96
    const l = new Map(lucene.searchText('alpha', 10).map((s) => [s.id, s.score]));
    const e = new Map(exact.searchText('alpha', 10).map((s) => [s.id, s.score]));
    expect(l.get('long')).toBeCloseTo(expLucene[1], 12);
    expect(e.get('long')).toBeCloseTo(expExact[1], 12);
  });

  it('counts a repeated query term each time, as Anserini’s bag-of-words query', async () => {
    const r = createBm25Retriever();
    await r.index(DOCS);
    const once = r.searchText('bird', 10);
    const twice = r.searchText('bird birds', 10);
    expect(twice.map((s) => s.id)).toEqual(once.map((s) => s.id));
    expect(twice[0].score).toBeCloseTo(2 * once[0].score, 12);
  });

  it('breaks score ties by document id, descending in UTF-8 byte order, and cuts at k', async () => {
    const ids = ['10', '9', '099', '100', 'b', 'B', '\u{1F600}', '\uFF21'];
    const r = createBm25Retriever();
    await r.index(ids.map((id) => ({ id, title: '', text: 'same words here' })));
    expect(r.searchText('words', 100).map((s) => s.id)).toEqual(['\u{1F600}', '\uFF21', 'b', 'B', '9', '100', '10', '099']);
    expect(r.searchText('words', 3).map((s) => s.id)).toEqual(['\u{1F600}', '\uFF21', 'b']);
    expect(r.searchText('words', 0)).toEqual([]);
    expect(r.searchText('absent', 10)).toEqual([]);
  });

  it('multifield: each field its own statistics, weighted scores summed', async () => {
    const mf = createBm25Retriever({ fields: 'multifield', fieldWeights: { title: 2, text: 0.5 }, norms: 'exact' });
    await mf.index(DOCS);
    const titles = DOCS.map((d) => mf.analyze(d.title));
    const texts = DOCS.map((d) => mf.analyze(d.text));
    const q = mf.analyze('cats dog');
    const t = referenceScore(titles, q, 0.9, 0.4);
    const x = referenceScore(texts, q, 0.9, 0.4);
    const got = new Map(mf.searchText('cats dog', 10).map((s) => [s.id, s.score]));
    DOCS.forEach((d, i) => {
      const expected = 2 * t[i] + 0.5 * x[i];
      if (expected > 0) expect(got.get(d.id)).toBeCloseTo(expected, 12);
      else expect(got.has(d.id)).toBe(false);
    });
    expect(mf.description).toEqual({
      type: 'bm25', engine: 'lucene', k1: 0.9, b: 0.4, fields: 'multifield', analyzer: 'english', norms: 'exact',
      fieldWeights: { title: 2, text: 0.5 },
    });
  });

  it('indexes a streamed (async) corpus the same as an array', async () => {
    async function* stream(): AsyncIterable<Doc> {
      for (const d of DOCS) yield d;
    }
    const a = createBm25Retriever();
    const b = createBm25Retriever();
    await a.index(DOCS);
    await b.index(stream());
    expect(b.searchText('cat dogs song', 10)).toEqual(a.searchText('cat dogs song', 10));
    const many = await a.searchMany([{ id: 'q1', text: 'cat' }, { id: 'q2', text: 'fish' }], 2);
    expect([...many.keys()]).toEqual(['q1', 'q2']);
    expect(many.get('q2')!.map((s) => s.id)).toEqual(['d4']);
  });

  it('describes itself with its parameters', () => {
    expect(createBm25Retriever().description).toEqual({ type: 'bm25', engine: 'lucene', k1: 0.9, b: 0.4, fields: 'flat', analyzer: 'english', norms: 'lucene' });
    expect(createBm25Retriever({ engine: 'wink', analyzer: 'simple', k1: 1.2, b: 0.75 }).description).toEqual({
      type: 'bm25', engine: 'wink', k1: 1.2, b: 0.75, fields: 'flat', analyzer: 'simple', norms: 'exact',
    });
  });

  it('rejects bad options and duplicate ids with UsageErrors that name the key', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ k1: -1 }, 'k1'],
      [{ b: 1.5 }, 'b'],
      [{ engine: 'elastic' }, 'engine'],
      [{ fields: 'title' }, 'fields'],
      [{ analyzer: 'porter2' }, 'analyzer'],
      [{ norms: 'bytes' }, 'norms'],
      [{ engine: 'wink', norms: 'lucene' }, 'norms'],
      [{ fields: 'multifield', fieldWeights: { title: 0 } }, 'fieldWeights.title'],
    ];
    for (const [opts, key] of bad) {
      let err: unknown;
      try {
        new Bm25Retriever(opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(UsageError);
      expect((err as UsageError).location.key).toBe(key);
    }
    const r = createBm25Retriever();
    await expect(r.index([...DOCS, { id: 'd2', title: '', text: 'again' }])).rejects.toThrow(/duplicate document id "d2"/);
    await expect(createBm25Retriever().search({ id: 'q', text: 'x' }, 1)).rejects.toThrow(/index\(\)/);
  });

  it('saves and loads its index; the loaded one answers the same, with any k1/b', async () => {
    const file = path.join(scratch, 'flat.bm25');
    const r = createBm25Retriever();
    await r.index(DOCS);
    await r.save(file);
    const again = createBm25Retriever();
    await again.load(file);
    expect(again.searchText('cat dog bird fish', 10)).toEqual(r.searchText('cat dog bird fish', 10));
    const tuned = createBm25Retriever({ k1: 1.5, b: 0.9 });
    const tunedBuilt = createBm25Retriever({ k1: 1.5, b: 0.9 });
    await tuned.load(file);
    await tunedBuilt.index(DOCS);
    expect(tuned.searchText('cat dog bird', 10)).toEqual(tunedBuilt.searchText('cat dog bird', 10));

    await expect(createBm25Retriever({ fields: 'multifield' }).load(file)).rejects.toThrow(UsageError);
    await expect(createBm25Retriever({ analyzer: 'simple' }).load(file)).rejects.toThrow(/analyzer "english"/);
    const junk = path.join(scratch, 'junk.bm25');
    writeFileSync(junk, 'not an index');
    await expect(createBm25Retriever().load(junk)).rejects.toThrow(/not a valid rbench BM25 index/);
    await expect(createBm25Retriever({ engine: 'wink' }).save(file)).rejects.toThrow(UsageError);
  });
});

describe('Bm25Retriever (wink engine)', () => {
  it('scores (k1 + 1) × the lucene engine with exact lengths, unrounded, in trec_eval order', async () => {
    const docs: Doc[] = Array.from({ length: 40 }, (_, i) => ({
      id: `doc${i}`,
      title: i % 3 === 0 ? 'bird watching' : '',
      text: `${'cat '.repeat(1 + (i % 4))}dog ${'word '.repeat(i)}${i % 5 === 0 ? 'bird' : 'fish'}`,
    }));
    const wink = createBm25Retriever({ engine: 'wink', k1: 1.2, b: 0.75 });
    const lucene = createBm25Retriever({ engine: 'lucene', k1: 1.2, b: 0.75, norms: 'exact' });
    await wink.index(docs);
    await lucene.index(docs);
    for (const q of ['cat bird', 'dog fish fish', 'watching']) {
      const w = wink.searchText(q, 100);
      const l = lucene.searchText(q, 100);
      expect(w.map((s) => s.id)).toEqual(l.map((s) => s.id));
      w.forEach((s, i) => expect(Math.abs(s.score - 2.2 * l[i].score)).toBeLessThan(1e-12 * s.score));
    }
    // wink's default 4-decimal rounding would create these exact ties; unrounded scores are all distinct here.
    const scores = wink.searchText('cat', 100).map((s) => s.score);
    expect(scores.some((s) => Math.abs(s * 1e4 - Math.round(s * 1e4)) > 1e-6)).toBe(true);
    // Ties (same text) fall back to id order, descending.
    const tied = createBm25Retriever({ engine: 'wink' });
    await tied.index(['a', 'c', 'b', 'x'].map((id) => ({ id, title: '', text: id === 'x' ? 'other' : 'same text' })));
    expect(tied.searchText('text', 2).map((s) => s.id)).toEqual(['c', 'b']);
  });

  it('needs at least 3 documents (wink consolidate) and says so', async () => {
    await expect(createBm25Retriever({ engine: 'wink' }).index(DOCS.slice(0, 2))).rejects.toThrow(/at least 3 documents/);
    const r = createBm25Retriever({ engine: 'wink' });
    await r.index(DOCS);
    await r.index(DOCS.slice(1)); // a second index() builds a fresh wink instance
    expect(r.searchText('chase', 10).map((s) => s.id)).toEqual(['d2']);
  });
});
