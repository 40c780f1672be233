/**
 * pgvector's IVFFlat index as a retriever, in-process PGlite with pgvector 0.8 (real k-means lists, real
 * probes), on tech-qa with the GloVe SIF embedder. Probing every list is an exhaustive search and must find exact
 * search's scores at every rank (the order of exactly tied documents is the index's own); probing one list of
 * eight must lose recall, and the loss is what `annRecall` measures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRow, ResultsFile } from '../../src/experiment/results.js';
import { annRecall } from '../../src/retrieval/vector/hnsw.js';
import { runConfig, runOf, tempDir, useTestModels } from './helpers.js';

const tmp = tempDir('rbench-ivfflat-');
const models = useTestModels();
afterAll(() => {
  models.restore();
  tmp.cleanup();
});

const config = `name: ivf
datasets:
  - name: tech-qa
retrievers:
  - name: pg-exact
    type: pgvector
    url: pglite:memory
    embedder: glove-sif
    index: exact
  - name: pg-ivf
    type: pgvector
    url: pglite:memory
    embedder: glove-sif
    index: ivfflat
    lists: 8
    sweep: { probes: [1, 8] }
candidates: [20]
rerankers: [none]
metrics: [ndcg@10, recall@20]
latency: { skip: true }
`;

describe('pgvector IVFFlat', () => {
  let r: { results: ResultsFile; out: string };
  beforeAll(async () => {
    r = await runConfig(config, tmp.dir, 'ivf');
  });
  /** A swept parameter as the row records it. */
  const param = (row: ResultRow, key: 'lists' | 'probes') => (row.retriever as Record<string, unknown>)[key];
  const ivfRows = () => r.results.results.filter((x) => x.retriever.name !== 'pg-exact');
  const ivfRow = (probes: number) => ivfRows().find((x) => param(x, 'probes') === probes)!;
  const exactRow = () => r.results.results.find((x) => x.retriever.name === 'pg-exact')!;

  it('sweeps probes over one index, recorded on each row with lists and the index definition', () => {
    const ivf = ivfRows();
    expect(ivf.map((x) => [param(x, 'lists'), param(x, 'probes')]).sort()).toEqual([
      [8, 1],
      [8, 8],
    ]);
    for (const x of ivf) {
      const engine = x.engine as { index: { definition: string } };
      expect(engine.index.definition).toMatch(/USING ivfflat \(embedding vector_cosine_ops\) WITH \(lists='8'\)/);
    }
  });

  it('probing all 8 lists is exhaustive: exact search\'s scores at every rank, differing only in the order of exact ties', async () => {
    const all = ivfRow(8);
    const exact = await runOf(r, 'pg-exact');
    const ivfRun = await runOf(r, all.retriever.name);
    let tiedSwaps = 0;
    for (const [q, want] of exact) {
      const got = ivfRun.get(q) ?? [];
      expect(got.length, q).toBe(want.length);
      want.forEach((w, i) => {
        // Same score at every rank: an exhaustive scan found the same neighbours.
        expect(Math.abs(got[i].score - w.score), `${q} rank ${i + 1}`).toBeLessThan(2e-6);
        if (got[i].id !== w.id) tiedSwaps++;
      });
      // Every document scoring strictly above the last rank's score is found by both.
      const last = want[want.length - 1].score;
      const above = (docs: typeof want) => docs.filter((d) => d.score > last + 2e-6).map((d) => d.id).sort();
      expect(above(got), q).toEqual(above(want));
    }
    // The index orders equal scores (here documents at cosine 0 to the query) its own way, while
    // exact search breaks ties by id; that is the only source of annRecall below 1.
    expect(all.annRecall).toBeGreaterThan(0.98);
    expect(all.annRecall === 1).toBe(tiedSwaps === 0);
  });

  it('probing 1 list of 8 loses recall, measured against exact search over the same vectors', async () => {
    const one = ivfRow(1);
    expect(one.annRecall).toBeGreaterThan(0.2);
    expect(one.annRecall).toBeLessThan(0.95);
    expect(one.annRecall).toBeCloseTo(annRecall(await runOf(r, 'pg-exact'), await runOf(r, one.retriever.name), 20), 12);
    expect(one.metrics!['recall@20']).toBeLessThan(exactRow().metrics!['recall@20']);
  });
});
