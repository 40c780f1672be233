/**
 * What goes wrong with a database gives exit 2 with the engine's message and what to do, and loses no
 * committed work: the server cannot be reached, pgvector is not installed, the table is missing or does not
 * match the dataset (ids, dimension), a statement times out.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.js';
import type { ResultsFile } from '../../src/experiment/results.js';
import { errorOf } from '../helpers/errors.js';
import { cli, runConfig, startServer, tempDir, useTestModels, type TestServer } from './helpers.js';

let server: TestServer;
const tmp = tempDir('rbench-pg-errors-');
const models = useTestModels();

beforeAll(async () => {
  server = await startServer();
  const ds = await loadDataset({ name: 'tech-qa' });
  const zeros = (n: number) => `[${new Array(n).fill(0).join(',')}]`;
  const fill = async (table: string, dim: number, ids: string[]) => {
    await server.sql('CREATE EXTENSION IF NOT EXISTS vector');
    await server.sql(`CREATE TABLE ${table} (id text PRIMARY KEY, embedding vector(${dim}))`);
    for (const id of ids) await server.sql(`INSERT INTO ${table} VALUES ($1, $2)`, [id, zeros(dim)]);
  };
  const ids = ds.corpus.map((d) => d.id);
  await fill('wrong_dim', 3, ids);
  await fill('wrong_ids', 100, [...ids.slice(3), 'not-a-doc']);
  await fill('no_index', 100, ids);
});
afterAll(async () => {
  await server?.stop();
  models.restore();
  tmp.cleanup();
});

const config = (retriever: string, name = 'err') => `name: ${name}
datasets:
  - name: tech-qa
retrievers:
  - name: bm25
    type: bm25
  - name: pg
${retriever
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
candidates: [10]
rerankers: [none]
metrics: [ndcg@10]
latency: { skip: true }
`;

/** A port on 127.0.0.1 nobody listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('engine errors (exit 2, with what to do)', () => {
  it('a server that is not there: exit 2 naming it and pglite-server; the work committed before stays in the cache', async () => {
    const port = await closedPort();
    const file = path.join(tmp.dir, 'refused.yaml');
    fs.writeFileSync(file, config(`type: pgvector\nurlEnv: TEST_PG_URL\nembedder: glove-sif\nindex: exact`, 'refused'));
    const cache = path.join(tmp.dir, 'cache-refused');
    const r = await cli(['run', file, '--out', path.join(tmp.dir, 'out-refused'), '--cache', cache, '--quiet'], { TEST_PG_URL: `postgres://postgres:secret@127.0.0.1:${port}/postgres` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config key \`urlEnv\`: retriever "pg" (pgvector): cannot connect to Postgres at 127.0.0.1:${port} (ECONNREFUSED`);
    expect(r.stderr).toContain('npx pglite-server -p 5433 -e @electric-sql/pglite-pgvector:vector');
    expect(r.stderr).not.toContain('secret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // bm25 retrieved before the failure: its run was committed, and a run of bm25 alone retrieves nothing.
    const again = path.join(tmp.dir, 'bm25-only.yaml');
    fs.writeFileSync(again, config('type: bm25\nk1: 0.9', 'refused').replace(/  - name: pg\n[\s\S]*?candidates/, 'candidates'));
    const ok = await cli(['run', again, '--out', path.join(tmp.dir, 'out-bm25'), '--cache', cache, '--quiet']);
    expect(ok.code).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'out-bm25', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.work.retrievalPassesComputed).toBe(0);
  });

  it('a statement over timeoutMs: exit 2 naming timeoutMs', async () => {
    const file = path.join(tmp.dir, 'timeout.yaml');
    fs.writeFileSync(file, config(`type: pgvector\nurl: ${server.url}\nembedder: glove-sif\ntable: slow\ntimeoutMs: 1`, 'timeout'));
    const r = await cli(['run', file, '--out', path.join(tmp.dir, 'out-timeout'), '--cache', path.join(tmp.dir, 'cache-timeout'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config key `timeoutMs`: retriever "pg" \(pgvector\): Postgres at 127\.0\.0\.1:\d+ did not answer in time \(timeoutMs: 1\) while [a-z]+/);
    expect(r.stderr).toContain('Raise `timeoutMs`');
  });

  const inProcess = (retriever: string, name: string) => errorOf(runConfig(config(retriever, name), tmp.dir, name));

  it('the URL variable not set', async () => {
    delete process.env.RBENCH_TEST_UNSET_URL;
    const e = await inProcess('type: postgres-fts\nurlEnv: RBENCH_TEST_UNSET_URL', 'unset');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/config key `urlEnv`: retriever "pg" \(postgres-fts\): the environment variable RBENCH_TEST_UNSET_URL \(urlEnv\) is not set\. Set it/);
  });

  it('a server without pgvector', async () => {
    const bare = await startServer({ vector: false });
    try {
      const e = await inProcess(`type: pgvector\nurl: ${bare.url}\nembedder: glove-sif`, 'novector');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('retriever "pg" (pgvector): the Postgres server has no `vector` extension (pgvector)');
      expect(e.message).toContain('CREATE EXTENSION vector');
      expect(e.message).toContain('-e @electric-sql/pglite-pgvector:vector');
    } finally {
      await bare.stop();
    }
  });

  it('a table that is not there (load: false)', async () => {
    const e = await inProcess(`type: pgvector\nurl: ${server.url}\nembedder: glove-sif\nload: false\ntable: no_such_table\nindex: exact`, 'notable');
    expect(e.message).toMatch(/config key `table`: retriever "pg" \(pgvector\): table no_such_table does not exist \(load: false uses an existing table\)\. Name an existing table, or set `load: true`/);
    const f = await inProcess(`type: postgres-fts\nurl: ${server.url}\nload: false\ntable: no_such_table`, 'notable-fts');
    expect(f.message).toContain('table no_such_table does not exist');
  });

  it('a table whose ids are not the dataset\'s', async () => {
    const e = await inProcess(`type: pgvector\nurl: ${server.url}\nembedder: glove-sif\nload: false\ntable: wrong_ids\nindex: exact`, 'ids');
    expect(e.message).toMatch(/table wrong_ids does not match the dataset: 3 of the dataset's 343 documents are missing \(e\.g\. "[^"]+", "[^"]+", "[^"]+"\); 1 rows are not documents of the dataset \(e\.g\. "not-a-doc"\)/);
  });

  it('a table of another dimension', async () => {
    const e = await inProcess(`type: pgvector\nurl: ${server.url}\nembedder: glove-sif\nload: false\ntable: wrong_dim\nindex: exact`, 'dim');
    expect(e.message).toMatch(/config key `embeddingColumn`: retriever "pg" \(pgvector\): table wrong_dim holds vectors of dimension 3, but the embedder rbench\/glove-sif-[0-9a-f]+ gives dimension 100/);
  });

  it('an HNSW search on a table without an HNSW index (load: false) names the CREATE INDEX to run', async () => {
    const e = await inProcess(`type: pgvector\nurl: ${server.url}\nembedder: glove-sif\nload: false\ntable: no_index\nindex: hnsw`, 'noindex');
    expect(e.message).toContain('table no_index has no hnsw index with vector_cosine_ops (distance: cosine)');
    expect(e.message).toContain('CREATE INDEX ON "no_index" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 64)');
  });
});
