/**
 * Engines benchmark (`npm run bench:engines`) on SciFact (shared collections, test split: 5,183 documents,
 * 300 queries), with the GloVe SIF embedder, and Postgres = PGlite + pgvector served by pglite-server in a
 * child process (started and stopped here):
 *
 * 1. dense search: hnswlib (in memory), pgvector HNSW and pgvector exact — build time (table load and
 *    index build, or graph build; corpus embeddings already cached), query latency p50/p95 of the retrieve
 *    stage as `rbench run` times it (query embedding without cache + search, one query at a time), and
 *    recall@10 against exact search over the same vectors, at efSearch 20, 40 and 100;
 * 2. lexical search: Postgres full-text search (match all / any) against rbench's Lucene-exact BM25 —
 *    nDCG@10, Recall@100, latency;
 * 3. rbench's own overhead per query: the retriever's search against the same SQL statement sent through a
 *    bare node-postgres client, interleaved query by query (ratio of medians).
 *
 *   npm run build && npm run bench:engines [-- --reps N]
 *
 * LanceDB (embedded, in a temporary folder) is measured on the same cached vectors by `benchLanceDb`
 * (src/retrieval/engines/lancedb-bench.ts), its latency plus the query embedding, like the others.
 *
 * Prints the tables (markdown) and ends with one JSON line of the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadDataset } from '../src/data/datasets.js';
import type { Query, Run } from '../src/data/types.js';
import { Components } from '../src/experiment/components.js';
import { parseConfig, type RetrieverVariant } from '../src/experiment/config.js';
import { Progress } from '../src/experiment/progress.js';
import { elapsedMs, latencyStats, now } from '../src/experiment/timing.js';
import { evaluate } from '../src/metrics/index.js';
import type { PgvectorRetriever } from '../src/retrieval/engines/pgvector.js';
import type { PostgresFtsRetriever } from '../src/retrieval/engines/postgres-fts.js';
import type { Retriever } from '../src/retrieval/types.js';
import { searchAll } from '../src/retrieval/types.js';
import { annRecall, HnswIndex } from '../src/retrieval/vector/hnsw.js';
import { VectorRetriever } from '../src/retrieval/vector/retriever.js';
import { sharedDatasetsDir } from '../src/paths.js';
import { Store } from '../src/store/store.js';
import { startPgliteServer } from './pglite-server.js';

const args = process.argv.slice(2);
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : 1;
const EF = [20, 40, 100];
const K = 10;
const WARMUP = 20;

const scifact = path.join(sharedDatasetsDir(), 'scifact', 'beir');
if (!fs.existsSync(scifact)) {
  process.stderr.write(`bench:engines needs the shared SciFact collection at ${scifact}; set RBENCH_SHARED_DATASETS to the folder holding scifact/beir.\n`);
  process.exit(2);
}
process.env.RBENCH_MODELS ??= path.resolve('.rbench-cache', 'models');
const log = (m: string) => process.stderr.write(`bench:engines: ${m}\n`);

const server = await startPgliteServer({ log });
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-bench-engines-'));
const store = Store.open(path.join(cacheDir, 'cache'), log);
const bare = new pg.Client({ connectionString: server.url });

try {
  process.env.RBENCH_BENCH_PG_URL = server.url;
  const ds = await loadDataset({ path: scifact, split: 'test', name: 'scifact' });
  const queries = ds.queries;
  log(`SciFact: ${ds.corpus.length} documents, ${queries.length} queries; Postgres ${server.url}`);
  const x = parseConfig(
    `name: bench-engines
datasets: [{ name: scifact }]
retrievers:
  - { name: glove, type: vector, embedder: glove-sif, index: exact }
  - { name: hnswlib, type: vector, embedder: glove-sif, index: hnsw, hnsw: { M: 16, efConstruction: 64, efSearch: 20 } }
  - { name: pgvector-hnsw, type: pgvector, urlEnv: RBENCH_BENCH_PG_URL, embedder: glove-sif, index: hnsw, m: 16, efConstruction: 64, efSearch: 20 }
  - { name: pgvector-exact, type: pgvector, urlEnv: RBENCH_BENCH_PG_URL, embedder: glove-sif, index: exact }
  - { name: bm25, type: bm25 }
  - { name: pg-fts, type: postgres-fts, urlEnv: RBENCH_BENCH_PG_URL, match: all }
  - { name: pg-fts-any, type: postgres-fts, urlEnv: RBENCH_BENCH_PG_URL, match: any }
candidates: [100]
rerankers: [none]
`,
    'bench-engines.yaml',
  );
  const byName = (n: string): RetrieverVariant => x.retrievers.find((v) => v.name === n)!;
  const components = new Components({ store, progress: new Progress(true), modelsDir: process.env.RBENCH_MODELS!, threads: os.availableParallelism() }, ds, x.retrievers, K);

  // Corpus embeddings first (cached), so that build times are the index's alone.
  let t = now();
  const glove = (await components.build(byName('glove'))).retriever as VectorRetriever;
  const embedMs = elapsedMs(t);
  const buildMs: Record<string, number> = {};
  const built: Record<string, Retriever> = {};
  for (const n of ['hnswlib', 'pgvector-hnsw', 'pgvector-exact', 'bm25', 'pg-fts', 'pg-fts-any']) {
    t = now();
    built[n] = (await components.build(byName(n))).retriever;
    buildMs[n] = elapsedMs(t);
    log(`built ${n} in ${(buildMs[n] / 1000).toFixed(1)} s`);
  }

  /** Latency of the retrieve stage as the timing pass measures it: no cache, one query at a time. */
  const time = async (r: Retriever, k: number) => {
    for (const q of queries.slice(0, WARMUP)) await r.search(q, k, { useCache: false });
    const ms: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const q of queries) {
        const t0 = now();
        await r.search(q, k, { useCache: false });
        ms.push(elapsedMs(t0));
      }
    }
    return latencyStats(ms);
  };
  const run = (r: Retriever, k: number): Promise<Run> => searchAll(r, queries, k);

  // 1. Dense search.
  const exactMem = await run(glove, K);
  const exactPg = await run(built['pgvector-exact'], K);
  const { raw: embedder } = await components.embedder('glove-sif', 64);
  const qEmbed = await time({ description: {}, index: async () => undefined, search: async (q: Query) => (await embedder.embedQueries([q.text]), []) }, K);
  const dense: { engine: string; index: string; efSearch: number | null; buildS: number; p50: number; p95: number; recall: number }[] = [];
  const mem = await time(glove, K);
  dense.push({ engine: 'rbench in memory', index: 'exact', efSearch: null, buildS: embedMs / 1000, p50: mem.p50, p95: mem.p95, recall: 1 });
  const hnswlib = built.hnswlib as VectorRetriever;
  for (const ef of EF) {
    (hnswlib.vectorIndex as HnswIndex).setEfSearch(ef);
    const s = await time(hnswlib, K);
    dense.push({ engine: 'hnswlib (in memory)', index: 'HNSW M 16, efC 64', efSearch: ef, buildS: buildMs.hnswlib / 1000, p50: s.p50, p95: s.p95, recall: annRecall(exactMem, await run(hnswlib, K), K) });
  }
  const pgExact = await time(built['pgvector-exact'], K);
  dense.push({ engine: 'pgvector', index: 'exact (seq scan)', efSearch: null, buildS: buildMs['pgvector-exact'] / 1000, p50: pgExact.p50, p95: pgExact.p95, recall: 1 });
  const pgHnsw = built['pgvector-hnsw'] as PgvectorRetriever;
  for (const ef of EF) {
    pgHnsw.setEfSearch(ef);
    const s = await time(pgHnsw, K);
    dense.push({ engine: 'pgvector', index: 'HNSW m 16, efC 64', efSearch: ef, buildS: buildMs['pgvector-hnsw'] / 1000, p50: s.p50, p95: s.p95, recall: annRecall(exactPg, await run(pgHnsw, K), K) });
  }
  const pgExactVsMem = annRecall(exactMem, exactPg, K);

  // LanceDB (embedded, a temporary folder), on the same cached vectors; loaded only here.
  const { cached } = await components.embedder('glove-sif', 64);
  const docVectors = await cached.embedDocuments(ds.corpus.map((d) => (d.title ? `${d.title} ${d.text}` : d.text)));
  const queryVectors = await embedder.embedQueries(queries.map((q) => q.text));
  const { benchLanceDb } = await import('../src/retrieval/engines/lancedb-bench.js');
  const lance = await benchLanceDb({
    ids: ds.corpus.map((d) => d.id),
    vectors: docVectors,
    queries: queries.map((q, i) => ({ id: q.id, vector: queryVectors[i] })),
    index: 'ivf_hnsw_sq',
    distance: 'cosine',
    indexParams: { m: 16, efConstruction: 64 },
    settings: EF.map((ef) => ({ ef })),
    k: K,
    repetitions: REPS,
  });
  // Its latencies are of the search given the query vector: add the query embedding, as the retrieve stage does.
  for (const st of lance.settings) {
    dense.push({ engine: 'LanceDB (embedded)', index: 'ivf_hnsw_sq m 16, efC 64', efSearch: st.search.ef ?? null, buildS: lance.buildMs.total / 1000, p50: st.latencyMs.p50 + qEmbed.p50, p95: st.latencyMs.p95 + qEmbed.p95, recall: st.recall });
  }

  // 2. Lexical search.
  const lexical: { engine: string; ndcg10: number; recall100: number; buildS: number; p50: number; p95: number }[] = [];
  for (const [n, label] of [['bm25', 'BM25 (rbench, Lucene-exact)'], ['pg-fts', 'Postgres FTS, match all (websearch_to_tsquery)'], ['pg-fts-any', 'Postgres FTS, match any (lexemes ORed)']] as const) {
    const q = evaluate(ds.qrels, await run(built[n], 100), { metrics: ['ndcg@10', 'recall@100'], complete: true });
    const s = await time(built[n], 100);
    lexical.push({ engine: label, ndcg10: q.metrics['ndcg@10'], recall100: q.metrics['recall@100'], buildS: buildMs[n] / 1000, p50: s.p50, p95: s.p95 });
  }

  // 3. rbench's overhead against a bare client, interleaved query by query (same server, same statement).
  await bare.connect();
  const vectors = await embedder.embedQueries(queries.map((q) => q.text));
  pgHnsw.setEfSearch(40);
  const overhead: { engine: string; bareP50: number; rbenchP50: number; ratio: number }[] = [];
  const measure = async (engine: string, one: (i: number) => Promise<unknown>, direct: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < WARMUP; i++) {
      await one(i);
      await direct(i);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let rep = 0; rep < Math.max(2, REPS); rep++) {
      for (let i = 0; i < queries.length; i++) {
        let t0 = now();
        await direct(i);
        b.push(elapsedMs(t0));
        t0 = now();
        await one(i);
        a.push(elapsedMs(t0));
      }
    }
    const sa = latencyStats(a);
    const sb = latencyStats(b);
    overhead.push({ engine, bareP50: sb.p50, rbenchP50: sa.p50, ratio: sa.p50 / sb.p50 - 1 });
  };
  const st = pgHnsw.statement(vectors[0], K);
  // The bare client's session gets the same settings (PGlite shares one backend's settings across connections anyway).
  for (const [k, v] of Object.entries(st.settings)) await bare.query(`SET ${k} = '${v}'`);
  await measure(
    'pgvector HNSW, efSearch 40, k 10 (search given the query vector)',
    (i) => pgHnsw.searchVector(vectors[i], K),
    async (i) => {
      const s = pgHnsw.statement(vectors[i], K);
      return (await bare.query(s.text, s.params)).rows;
    },
  );
  const fts = built['pg-fts-any'] as PostgresFtsRetriever;
  await measure(
    'Postgres FTS (any), k 100 (whole search)',
    (i) => fts.search(queries[i], 100),
    async (i) => {
      const s = fts.statement(queries[i].text, 100);
      return (await bare.query(s.text, s.params)).rows;
    },
  );
  await components.dispose();

  const f = (n: number, d = 2) => n.toFixed(d);
  const out: string[] = [];
  out.push(`SciFact test (${ds.corpus.length} documents, ${queries.length} queries), GloVe SIF 100-d; Postgres: PGlite ${pgHnsw.engine?.serverVersion} + pgvector ${pgHnsw.engine?.vector} via pglite-server (WASM, one process); ${os.cpus().length} cores.`);
  out.push('');
  out.push('| engine | index | efSearch | build (s) | query p50 (ms) | query p95 (ms) | recall@10 vs exact |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of dense) out.push(`| ${r.engine} | ${r.index} | ${r.efSearch ?? '–'} | ${f(r.buildS, 1)} | ${f(r.p50)} | ${f(r.p95)} | ${r.efSearch === null ? (r.engine === 'pgvector' ? `exact (${f(pgExactVsMem, 4)} of rbench's exact top-10)` : 'exact') : f(r.recall, 3)} |`);
  out.push('');
  out.push(`Query latency = the retrieve stage of \`rbench run\`: embedding the query (GloVe SIF, p50 ${f(qEmbed.p50, 3)} ms alone) + the search. Build: in memory, the graph; pgvector, the table load (multi-row INSERT) + index build + ANALYZE (corpus embeddings cached; embedding them took ${f(embedMs / 1000, 1)} s, shown as the exact row's build).`);
  out.push('');
  out.push('| lexical first stage | nDCG@10 | Recall@100 | build (s) | query p50 (ms) | query p95 (ms) |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  // Both full-text variants read one table: the second finds it loaded.
  for (const r of lexical) out.push(`| ${r.engine} | ${f(r.ndcg10, 4)} | ${f(r.recall100, 4)} | ${r.engine.includes('match any') ? 'same table' : f(r.buildS, 1)} | ${f(r.p50)} | ${f(r.p95)} |`);
  out.push('');
  out.push('| rbench overhead per query | bare node-postgres p50 (ms) | rbench p50 (ms) | overhead |');
  out.push('| --- | --- | --- | --- |');
  for (const r of overhead) out.push(`| ${r.engine} | ${f(r.bareP50, 3)} | ${f(r.rbenchP50, 3)} | ${(r.ratio * 100).toFixed(1)} % |`);
  out.push(`| LanceDB ivf_hnsw_sq, ef ${lance.overhead.search.ef}, k 10 (search given the query vector; bare: a LanceDB query call) | ${f(lance.overhead.bareMs.p50, 3)} | ${f(lance.overhead.rbenchMs.p50, 3)} | ${(lance.overhead.ratio * 100).toFixed(1)} % |`);
  process.stdout.write(`${out.join('\n')}\n\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'engines', dataset: 'scifact', docs: ds.corpus.length, queries: queries.length, reps: REPS, engine: pgHnsw.engine, lance: { engineVersion: lance.engineVersion, buildMs: lance.buildMs, flatP50: lance.flatLatencyMs.p50, overhead: lance.overhead }, dense, pgExactVsMemRecall: pgExactVsMem, queryEmbedP50: qEmbed.p50, lexical, overhead })}\n`);
} finally {
  await bare.end().catch(() => undefined);
  store.close();
  await server.stop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
}
