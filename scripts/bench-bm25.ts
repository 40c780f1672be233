/**
 * BM25 speed, both engines side by side on one shared collection (default NPL, 11,429 documents, the largest):
 * index time (median of 3 builds, alternating engines) and per-query latency (p50 and mean over all queries,
 * top-100 and top-1000; query by query alternating engines after a warm-up pass, so both see the same machine
 * state). Ends with one JSON line of the figures.
 *
 *   npm run build && npm run bench:bm25 [-- <collection>]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadBeir } from '../src/data/beir.js';
import type { Dataset } from '../src/data/types.js';
import { sharedDatasetsDir } from '../src/paths.js';
import { createBm25Retriever, type Bm25Retriever, type Bm25EngineName } from '../src/retrieval/bm25/index.js';

const ENGINES: Bm25EngineName[] = ['lucene', 'wink'];
const DEPTHS = [100, 1000];
const BUILDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function build(engine: Bm25EngineName, ds: Dataset): Promise<{ retriever: Bm25Retriever; ms: number }> {
  const retriever = createBm25Retriever({ engine });
  const t = performance.now();
  await retriever.index(ds.corpus);
  return { retriever, ms: performance.now() - t };
}

async function main(): Promise<number> {
  const name = process.argv[2] ?? 'npl';
  const folder = path.join(sharedDatasetsDir(), name, 'beir');
  if (!existsSync(path.join(folder, 'corpus.jsonl'))) {
    console.error(`bench-bm25: no BEIR collection at ${folder}. Set RBENCH_SHARED_DATASETS to the shared datasets folder or name another collection.`);
    return 2;
  }
  const ds = await loadBeir(folder, 'test');
  const queries = ds.queries;
  console.log(`bench-bm25: ${name}, ${ds.corpus.length} documents, ${queries.length} queries, node ${process.version}`);

  const indexMs: Record<string, number[]> = { lucene: [], wink: [] };
  const retrievers = {} as Record<Bm25EngineName, Bm25Retriever>;
  for (let i = 0; i < BUILDS; i++) {
    for (const engine of ENGINES) {
      const { retriever, ms } = await build(engine, ds);
      indexMs[engine].push(ms);
      retrievers[engine] = retriever;
    }
  }

  // Warm-up: every query once per engine and depth.
  for (const engine of ENGINES) for (const k of DEPTHS) for (const q of queries) retrievers[engine].searchText(q.text, k);

  const latency: Record<string, Record<number, number[]>> = { lucene: { 100: [], 1000: [] }, wink: { 100: [], 1000: [] } };
  for (const k of DEPTHS) {
    for (const q of queries) {
      for (const engine of ENGINES) {
        const t = performance.now();
        retrievers[engine].searchText(q.text, k);
        latency[engine][k].push(performance.now() - t);
      }
    }
  }

  const figures = {
    bench: 'bm25',
    dataset: name,
    docs: ds.corpus.length,
    queries: queries.length,
    indexMs: { lucene: median(indexMs.lucene), wink: median(indexMs.wink) },
    queryMs: Object.fromEntries(
      DEPTHS.map((k) => [
        `top${k}`,
        Object.fromEntries(ENGINES.map((e) => [e, { p50: median(latency[e][k]), mean: mean(latency[e][k]) }])),
      ]),
    ) as Record<string, Record<Bm25EngineName, { p50: number; mean: number }>>,
  };

  const f = (x: number): string => x.toFixed(3).padStart(10);
  const ratio = (w: number, l: number): string => `${(w / l).toFixed(1)}×`.padStart(8);
  console.log('');
  console.log(`${'measure'.padEnd(24)}${'lucene'.padStart(10)}${'wink'.padStart(10)}${'wink/lucene'.padStart(12)}`);
  console.log(`${'index (ms, median of 3)'.padEnd(24)}${f(figures.indexMs.lucene)}${f(figures.indexMs.wink)}${ratio(figures.indexMs.wink, figures.indexMs.lucene)}`);
  for (const k of DEPTHS) {
    const q = figures.queryMs[`top${k}`];
    console.log(`${`query top-${k} p50 (ms)`.padEnd(24)}${f(q.lucene.p50)}${f(q.wink.p50)}${ratio(q.wink.p50, q.lucene.p50)}`);
    console.log(`${`query top-${k} mean (ms)`.padEnd(24)}${f(q.lucene.mean)}${f(q.wink.mean)}${ratio(q.wink.mean, q.lucene.mean)}`);
  }
  console.log('');
  console.log(JSON.stringify(figures));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
