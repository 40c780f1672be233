import { describe, expect, it } from 'vitest';
import { sortTrec } from '../../src/data/order.js';
import { ExactIndex } from '../../src/retrieval/vector/exact.js';
import { HnswIndex, annRecall } from '../../src/retrieval/vector/hnsw.js';
import type { ScoredDoc } from '../../src/data/types.js';
import { mulberry32 } from '../../src/random.js';


function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

/** Clustered unit vectors: the shape of real embedding spaces, where HNSW's recall is not trivially 1. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array[] {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, gauss));
  return Array.from({ length: n }, (_, i) => normalize(centers[i % clusters].map((c) => c + 0.6 * gauss())));
}

describe('ExactIndex', () => {
  it('returns the brute-force top-k in trec_eval order, ties broken by doc id descending', async () => {
    const vecs = clustered(500, 16, 5, 1);
    // Two exact duplicates under different ids create a score tie.
    vecs.push(vecs[0].slice(), vecs[0].slice());
    const ids = vecs.map((_, i) => (i >= 500 ? `dup${i}` : `d${i}`));
    const index = new ExactIndex();
    await index.build(ids, vecs);
    const q = vecs[0];
    const got = index.search(q, 10);
    const all: ScoredDoc[] = vecs.map((v, i) => ({ id: ids[i], score: v.reduce((s, x, j) => s + x * q[j], 0) }));
    expect(got).toEqual(sortTrec(all).slice(0, 10));
    // d0, dup500 and dup501 have identical vectors: ranked by id descending.
    expect(got.slice(0, 3).map((d) => d.id)).toEqual(['dup501', 'dup500', 'd0']);
  });

  it('returns every document when k exceeds the corpus', async () => {
    const index = new ExactIndex();
    await index.build(['a', 'b'], clustered(2, 4, 1, 2));
    expect(index.search(clustered(1, 4, 1, 3)[0], 10)).toHaveLength(2);
  });
});

describe('HnswIndex', () => {
  const vecs = clustered(4000, 32, 40, 7);
  const ids = vecs.map((_, i) => `doc${i}`);
  const queries = clustered(60, 32, 40, 99);

  it('reaches high recall@10 against exact search, and recall grows with efSearch', async () => {
    const exact = new ExactIndex();
    await exact.build(ids, vecs);
    const hnsw = new HnswIndex({ M: 8, efConstruction: 100, efSearch: 10 });
    await hnsw.build(ids, vecs);
    const truth = new Map(queries.map((q, i) => [`q${i}`, exact.search(q, 10)]));
    const at = (ef: number) => {
      hnsw.setEfSearch(ef);
      return annRecall(truth, new Map(queries.map((q, i) => [`q${i}`, hnsw.search(q, 10)])), 10);
    };
    const low = at(10);
    const high = at(200);
    expect(high).toBeGreaterThanOrEqual(0.98);
    expect(high).toBeGreaterThanOrEqual(low);
    expect(low).toBeLessThan(1); // ef = k on clustered data misses some neighbours: the loss is real and measured
  });

  it('is deterministic for a given seed and insertion order', async () => {
    const a = new HnswIndex({ M: 8, efConstruction: 50, efSearch: 20, seed: 5 });
    const b = new HnswIndex({ M: 8, efConstruction: 50, efSearch: 20, seed: 5 });
    await a.build(ids, vecs);
    await b.build(ids, vecs);
    for (const q of queries.slice(0, 10)) expect(a.search(q, 10)).toEqual(b.search(q, 10));
  });

  it('rejects invalid parameters with the config key', () => {
    expect(() => new HnswIndex({ M: 0 })).toThrow(/hnsw\.M/);
  });
});
