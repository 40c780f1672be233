/**
 * postgres-fts against real Postgres (PGlite served by pglite-socket, through node-postgres) on tech-qa: its
 * rankings are Postgres' own ts_rank_cd rankings, in trec_eval order, and the in-process path agrees.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.js';
import { sortTrec } from '../../src/data/order.js';
import type { Dataset, Run } from '../../src/data/types.js';
import type { ResultsFile } from '../../src/experiment/results.js';
import { runConfig, runOf, startServer, tempDir, useTestModels, type TestServer } from './helpers.js';

let server: TestServer;
let ds: Dataset;
const tmp = tempDir('rbench-fts-');
const models = useTestModels();

beforeAll(async () => {
  server = await startServer();
  ds = await loadDataset({ name: 'tech-qa' });
});
afterAll(async () => {
  await server?.stop();
  models.restore();
  tmp.cleanup();
});

const config = (url: string) => `name: fts
datasets:
  - name: tech-qa
retrievers:
  - name: fts
    type: postgres-fts
    url: ${url}
  - name: fts-any
    type: postgres-fts
    url: ${url}
    match: any
  - name: fts-simple-norm
    type: postgres-fts
    url: ${url}
    tsConfig: simple
    match: any
    normalization: 1
candidates: [30]
rerankers: [none]
metrics: [ndcg@10, recall@30]
latency: { skip: true }
`;


describe('postgres-fts', () => {
  let first: { results: ResultsFile; out: string };
  beforeAll(async () => {
    first = await runConfig(config(server.url), tmp.dir, 'server');
  });

  it('loads title + " " + text and ranks as ts_rank_cd does in SQL written out by hand, ties by id descending', async () => {
    const [row] = await server.sql<{ body: string }>('SELECT body FROM rbench_tech_qa_fts_english WHERE id = $1', [ds.corpus[0].id]);
    expect(row.body).toBe(`${ds.corpus[0].title} ${ds.corpus[0].text}`);
    const all = await runOf(first, 'fts');
    const any = await runOf(first, 'fts-any');
    const simple = await runOf(first, 'fts-simple-norm');
    let ties = 0;
    for (const q of ds.queries.slice(0, 12)) {
      // Every document, its rank computed from the text (no stored tsvector, no index), sorted in JS.
      const direct = async (query: string, cfg: string, norm: number) =>
        sortTrec(
          (await server.sql<{ id: string; r: number }>(`SELECT id, ts_rank_cd(to_tsvector('${cfg}', body), ${query}, ${norm}) AS r FROM rbench_tech_qa_fts_english WHERE to_tsvector('${cfg}', body) @@ ${query}`, [q.text])).map((x) => ({ id: x.id, score: x.r })),
        ).slice(0, 30);
      // The query's lexemes as to_tsvector gives them, each a quoted tsquery operand (not analysed again), ORed.
      const orQuery = (cfg: string) => `(SELECT string_agg(quote_literal(w), ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('${cfg}', $1))) AS w)`;
      expect(all.get(q.id) ?? []).toEqual(await direct(`websearch_to_tsquery('english', $1)`, 'english', 0));
      const wantAny = await direct(orQuery('english'), 'english', 0);
      expect(wantAny.length).toBeGreaterThan(0);
      expect(any.get(q.id)).toEqual(wantAny);
      expect(simple.get(q.id)).toEqual(await direct(orQuery('simple'), 'simple', 1));
      const scores = wantAny.map((d) => d.score);
      ties += scores.length - new Set(scores).size;
    }
    // float4 ranks tie often: the comparison above covered trec_eval's tie order.
    expect(ties).toBeGreaterThan(0);
    // websearch_to_tsquery ANDs the terms: on questions it matches fewer documents than ORed lexemes.
    const retrieved = (r: Run) => [...r.values()].reduce((a, l) => a + l.length, 0);
    expect(retrieved(all)).toBeLessThan(retrieved(any));
  });

  it('in-process PGlite gives the same runs as the server', async () => {
    const embedded = await runConfig(config('pglite:memory'), tmp.dir, 'embedded', path.join(tmp.dir, 'cache-embedded'));
    for (const name of ['fts', 'fts-any', 'fts-simple-norm']) expect(await runOf(embedded, name)).toEqual(await runOf(first, name));
    expect(embedded.results.results.find((r) => r.retriever.name === 'fts')!.engine).toMatchObject({ engine: 'postgres-fts', client: 'pglite', host: 'in-process' });
    expect(first.results.results.find((r) => r.retriever.name === 'fts')!.engine).toMatchObject({ engine: 'postgres-fts', client: 'postgres', host: `127.0.0.1:${server.port}`, version: expect.stringMatching(/^PostgreSQL 18/) });
  });
});
