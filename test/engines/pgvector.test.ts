/**
 * pgvector as a retriever type, against real Postgres (PGlite + pgvector 0.8 served on 127.0.0.1 by
 * pglite-socket, reached through node-postgres), on the bundled tech-qa collection with the GloVe SIF
 * embedder; and the same in-process (PGlite embedded, no server).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/experiment/results.js';
import { annRecall } from '../../src/retrieval/vector/hnsw.js';
import { runConfig, runOf, startServer, tempDir, useTestModels, type TestServer } from './helpers.js';

let server: TestServer;
const tmp = tempDir('rbench-pgvector-');
const models = useTestModels();

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  models.restore();
  tmp.cleanup();
});

const config = (url: string) => `name: pgv
datasets:
  - name: tech-qa
retrievers:
  - name: mem
    type: vector
    embedder: glove-sif
  - name: pg-exact
    type: pgvector
    url: ${url}
    embedder: glove-sif
    index: exact
  - name: pg-exact-ip
    type: pgvector
    url: ${url}
    embedder: glove-sif
    index: exact
    distance: ip
  - name: pg-hnsw
    type: pgvector
    url: ${url}
    embedder: glove-sif
    index: hnsw
    m: 8
    efConstruction: 16
    efSearch: 20
candidates: [20]
rerankers: [none]
metrics: [ndcg@10, recall@20, map]
latency: { skip: true }
`;

const rowOf = (r: ResultsFile, name: string) => r.results.find((x) => x.retriever.name === name)!;

describe('pgvector through a Postgres server', () => {
  let first: { results: ResultsFile; out: string };
  beforeAll(async () => {
    first = await runConfig(config(server.url), tmp.dir, 'server');
  });

  it("exact search ranks as rbench's in-memory exact search, up to float4 rounding of near-ties", async () => {
    const mem = await runOf(first, 'mem');
    for (const name of ['pg-exact', 'pg-exact-ip']) {
      const pgRun = await runOf(first, name);
      expect([...pgRun.keys()].sort()).toEqual([...mem.keys()].sort());
      let positions = 0;
      let differing = 0;
      for (const [q, want] of mem) {
        const got = pgRun.get(q)!;
        expect(got.length).toBe(want.length);
        const memScore = new Map(want.map((d) => [d.id, d.score]));
        got.forEach((d, i) => {
          positions++;
          // pgvector accumulates in float4: its score of a document is within 1e-6 of the double-precision one.
          const s = memScore.get(d.id);
          if (s !== undefined) expect(Math.abs(s - d.score)).toBeLessThan(1e-6);
          // Where the two rankings differ, the two documents were tied within that rounding.
          if (d.id !== want[i].id) {
            differing++;
            expect(Math.abs(want[i].score - d.score)).toBeLessThan(2e-6);
          }
        });
      }
      expect(positions).toBe(84 * 20);
      // On tech-qa no two documents are that close: the rankings are identical, and so are the metrics.
      expect(differing).toBe(0);
      expect(rowOf(first.results, name).metrics).toEqual(rowOf(first.results, 'mem').metrics);
    }
  });

  it('measures the recall of its HNSW index against pgvector exact search over the same vectors', async () => {
    const row = rowOf(first.results, 'pg-hnsw');
    // A small graph (m 8, efConstruction 16, efSearch 20) loses some recall: about 0.93 on tech-qa, build to build.
    expect(row.annRecall).toBeGreaterThan(0.8);
    expect(row.annRecall).toBeLessThan(1);
    // The same figure from the TREC runs of the two retrievers (both 20 deep, the deepest count).
    expect(row.annRecall).toBeCloseTo(annRecall(await runOf(first, 'pg-exact'), await runOf(first, 'pg-hnsw'), 20), 12);
    // Postgres searched with the HNSW index (checked with EXPLAIN when built), recorded with the engine's version.
    const engine = row.engine as Record<string, unknown>;
    expect(engine).toMatchObject({ engine: 'pgvector', client: 'postgres', host: `127.0.0.1:${server.port}`, database: 'postgres', vector: expect.stringMatching(/^0\.8\./) });
    expect(engine.version).toMatch(/^PostgreSQL 18\.\d+ \(PGlite/);
    expect((engine.index as { definition: string }).definition).toMatch(/USING hnsw \(embedding vector_cosine_ops\) WITH \(m='8', ef_construction='16'\)/);
    expect(JSON.stringify(first.results)).not.toContain('password');
  });

  it('loads each table once: a second run finds the marker (corpus sha256, embedder, index) and loads nothing', async () => {
    const tables = (await server.sql<{ table_name: string; loaded_at: string; row_count: number; corpus_sha256: string }>('SELECT * FROM rbench_loads ORDER BY table_name')).map((r) => ({ ...r }));
    expect(tables.map((t) => t.table_name)).toEqual([expect.stringMatching(/^rbench_tech_qa_glove_sif_[0-9a-f]{8}$/), expect.stringMatching(/^rbench_tech_qa_glove_sif_[0-9a-f]{8}_hnsw_cos_m8_efc16$/)]);
    for (const t of tables) expect(t.row_count).toBe(343);
    const xmin = async () => (await server.sql<{ x: string }>(`SELECT string_agg(DISTINCT xmin::text, ',') AS x FROM ${tables[1].table_name}`))[0].x;
    const before = await xmin();
    const second = await runConfig(config(server.url), tmp.dir, 'server-again', path.join(tmp.dir, 'cache-2'));
    const after = await server.sql<{ table_name: string; loaded_at: string }>('SELECT table_name, loaded_at FROM rbench_loads ORDER BY table_name');
    expect(after.map((r) => r.loaded_at)).toEqual(tables.map((t) => t.loaded_at));
    // The rows are the ones the first run wrote (same inserting transaction).
    expect(await xmin()).toBe(before);
    expect(rowOf(second.results, 'pg-hnsw').metrics).toEqual(rowOf(first.results, 'pg-hnsw').metrics);
    // A table emptied by hand is loaded again.
    await server.sql(`DELETE FROM ${tables[0].table_name} WHERE id IN (SELECT id FROM ${tables[0].table_name} LIMIT 5)`);
    await runConfig(config(server.url), tmp.dir, 'server-third', path.join(tmp.dir, 'cache-3'));
    const [n] = await server.sql<{ n: string }>(`SELECT count(*) AS n FROM ${tables[0].table_name}`);
    expect(Number(n.n)).toBe(343);
  });

  it('in-process PGlite (no server) gives the same exact runs as the server; HNSW graphs are random per build', async () => {
    const embedded = await runConfig(config('pglite:memory'), tmp.dir, 'embedded', path.join(tmp.dir, 'cache-embedded'));
    for (const name of ['pg-exact', 'pg-exact-ip']) {
      expect(await runOf(embedded, name)).toEqual(await runOf(first, name));
      expect(rowOf(embedded.results, name).metrics).toEqual(rowOf(first.results, name).metrics);
    }
    // pgvector draws each node's HNSW level from Postgres' global random generator, seeded per backend: two
    // builds of one table give two graphs, so approximate lists may differ; each is measured against exact search.
    const hnsw = rowOf(embedded.results, 'pg-hnsw');
    expect(hnsw.annRecall).toBeGreaterThan(0.8);
    expect(hnsw.annRecall).toBeCloseTo(annRecall(await runOf(embedded, 'pg-exact'), await runOf(embedded, 'pg-hnsw'), 20), 12);
    expect(hnsw.engine).toMatchObject({ client: 'pglite', host: 'in-process', database: 'memory' });
  });
});
