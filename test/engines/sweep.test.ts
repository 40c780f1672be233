/**
 * configs/engines-sweep.yaml as shipped, offline, with the test's own Postgres (PGlite + pgvector served on
 * 127.0.0.1): pgvector HNSW over m × efSearch, pgvector exact, Postgres full-text search, BM25, hybrids and
 * the GloVe MaxSim reranker; the report shows pgvector's recall against exact search for every HNSW variant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/experiment/results.js';
import { ROOT, cli, startServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
const tmp = tempDir('rbench-engines-sweep-');

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

it('runs the shipped engines sweep offline and reports pgvector\'s recall loss against exact search', async () => {
  const out = path.join(tmp.dir, 'out');
  const r = await cli(['run', path.join(ROOT, 'configs', 'engines-sweep.yaml'), '--offline', '--quiet', '--out', out, '--cache', path.join(tmp.dir, 'cache')], { RBENCH_PG_URL: server.url });
  expect(r.stderr).not.toMatch(/^rbench: .*(error|failed)/m);
  expect(r.code).toBe(0);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
  const names = new Set(results.results.map((x) => x.retriever.name));
  const swept = [8, 16].flatMap((m) => [20, 40, 100].map((ef) => `pgvector-hnsw@m=${m},efSearch=${ef}`));
  expect([...names]).toEqual(expect.arrayContaining([...swept, 'pgvector-exact', 'pgvector', 'pg-fts', 'lance-vec', 'lance-fts', 'lance-hybrid', 'bm25', 'hybrid-bm25-pgvector', 'hybrid-postgres']));
  expect(new Set(results.results.map((x) => x.reranker?.label ?? 'none'))).toEqual(new Set(['none', 'glove-maxsim']));
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  const recalls = swept.map((name) => results.results.find((x) => x.retriever.name === name)!.annRecall!);
  swept.forEach((name, i) => {
    expect(recalls[i]).toBeGreaterThan(0.8);
    expect(recalls[i]).toBeLessThanOrEqual(1);
    // The report's retriever table: the variant, its type and parameters, and its ANN recall.
    expect(html).toMatch(new RegExp(`<b>${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</b></td><td>pgvector</td><td><code>[^<]*</code></td><td class="num" data-v="${recalls[i]}">${recalls[i].toFixed(3)}<`));
  });
  // The smallest graph searched with the smallest list loses recall that exact search does not.
  expect(Math.min(...recalls)).toBeLessThan(1);
  expect(results.results.find((x) => x.retriever.name === 'pgvector-exact')!.annRecall).toBeUndefined();
  // Every Postgres row says where it ran and on what.
  for (const row of results.results.filter((x) => x.retriever.type === 'pgvector' || x.retriever.type === 'postgres-fts')) {
    expect(row.engine).toMatchObject({ client: 'postgres', host: `127.0.0.1:${server.port}`, serverVersion: expect.stringMatching(/^18\./) });
    expect(row.latencyMs?.retrieve.p50).toBeGreaterThan(0);
  }
  // LanceDB rows too, and its ANN index reports its recall.
  for (const row of results.results.filter((x) => x.retriever.type === 'lancedb')) expect(row.engine).toMatchObject({ name: 'lancedb', version: '0.31.0' });
  const lanceRecall = results.results.find((x) => x.retriever.name === 'lance-vec')!.annRecall!;
  expect(lanceRecall).toBeGreaterThan(0.5);
  expect(lanceRecall).toBeLessThanOrEqual(1);
});
