/**
 * `rbench bench`: component micro-benchmarks with tinybench (warm-up, time budget, per-task statistics),
 * on a real dataset and the real components of a sweep: BM25 (both engines), exact and HNSW vector search,
 * query embedding, fusion, a reranker at a given depth and batch size, and metric evaluation. Each task
 * cycles through the dataset's queries so no single query's cost dominates. Caches are off for every model
 * call: a cache hit is not a latency.
 */
import os from 'node:os';
import { Bench } from 'tinybench';
import type { Query, Run, ScoredDoc } from '../data/types.js';
import { docText } from '../data/types.js';
import { UsageError } from '../errors.js';
import { evaluate } from '../metrics/index.js';
import { modelsDir } from '../paths.js';
import { createBm25Retriever } from '../retrieval/bm25/index.js';
import { rrf, weightedFusion } from '../retrieval/fusion.js';
import { ExactIndex } from '../retrieval/vector/exact.js';
import { HnswIndex } from '../retrieval/vector/hnsw.js';
import { Store } from '../store/store.js';
import { Components } from './components.js';
import type { RetrieverVariant } from './config.js';
import { captureEnvironment, type Environment } from './environment.js';
import { Progress } from './progress.js';

export interface BenchOptions {
  dataset: string;
  reranker: string;
  embedder: string;
  candidates: number;
  batchSize: number;
  /** Time budget per task in ms. */
  timeMs: number;
  cache?: string;
  quiet?: boolean;
  /** Only tasks whose name contains one of these substrings. */
  only?: string[];
}

export interface BenchRow {
  task: string;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  opsPerSec: number;
  samples: number;
  /** Relative margin of error of the mean (95 %), in percent. */
  rmePct: number;
}

export async function runBench(opts: BenchOptions): Promise<{ rows: BenchRow[]; environment: Environment }> {
  if (opts.candidates < 1 || opts.batchSize < 1) throw new UsageError('--candidates and --batch-size must be positive integers.');
  const progress = new Progress(opts.quiet ?? false);
  const { loadDataset } = await import('../data/datasets.js');
  const ds = await loadDataset(opts.dataset);
  const queries: Query[] = ds.queries;
  if (queries.length === 0) throw new UsageError(`dataset ${opts.dataset} has no judged queries to benchmark with.`);
  const docs = new Map(ds.corpus.map((d) => [d.id, d]));
  const threads = os.availableParallelism?.() ?? os.cpus().length;
  const store = Store.temporary();
  const variants: RetrieverVariant[] = [{ type: 'vector', name: 'vec', base: 'vec', embedder: opts.embedder, index: 'exact', batchSize: 64 }];
  const components = new Components({ store, progress, modelsDir: modelsDir(opts.cache), threads }, ds, variants, opts.candidates);
  const bench = new Bench({ time: opts.timeMs, warmupTime: Math.min(500, opts.timeMs / 4), throws: true });
  const wanted = (name: string) => !opts.only || opts.only.some((o) => name.includes(o));
  let i = 0;
  const nextQuery = () => queries[i++ % queries.length];
  try {
    progress.log(`bench: preparing components on ${ds.name} (${ds.corpus.length} documents, ${queries.length} queries)`);
    const lucene = createBm25Retriever({ engine: 'lucene' });
    await lucene.index(ds.corpus);
    if (wanted('bm25 lucene')) bench.add(`bm25 lucene top-${opts.candidates}`, async () => void (await lucene.search(nextQuery(), opts.candidates)));
    if (wanted('bm25 wink')) {
      const wink = createBm25Retriever({ engine: 'wink' });
      await wink.index(ds.corpus);
      bench.add(`bm25 wink top-${opts.candidates}`, async () => void (await wink.search(nextQuery(), opts.candidates)));
    }

    const { raw: embedder, cached } = await components.embedder(opts.embedder, 64);
    const ids = ds.corpus.map((d) => d.id);
    const vectors = await cached.embedDocuments(ds.corpus.map(docText));
    const queryVectors = await cached.embedQueries(queries.map((q) => q.text));
    if (wanted('embed')) bench.add(`embed 1 query (${opts.embedder})`, async () => void (await embedder.embedQueries([nextQuery().text])));
    const exact = new ExactIndex();
    await exact.build(ids, vectors);
    if (wanted('exact')) bench.add(`exact search top-${opts.candidates} (${ids.length} x ${exact.dimension})`, () => void exact.search(queryVectors[i++ % queryVectors.length], opts.candidates));
    if (wanted('hnsw')) {
      const hnsw = new HnswIndex({});
      await hnsw.build(ids, vectors);
      bench.add(`hnsw search top-${opts.candidates} (M 16, ef 100)`, () => void hnsw.search(queryVectors[i++ % queryVectors.length], opts.candidates));
    }

    const bm25Lists = await lucene.searchMany(queries, 100);
    const denseLists = new Map(queries.map((q, j) => [q.id, exact.search(queryVectors[j], 100)]));
    const pair = (): ScoredDoc[][] => {
      const q = nextQuery();
      return [bm25Lists.get(q.id)!, denseLists.get(q.id)!];
    };
    if (wanted('fusion')) {
      bench.add('fusion rrf, 2 lists of 100', () => void rrf(pair()));
      bench.add('fusion weighted min-max, 2 lists of 100', () => void weightedFusion(pair(), [0.8, 0.2]));
    }
    if (wanted('rerank')) {
      const reranker = await components.reranker({ name: opts.reranker, spec: { model: opts.reranker }, modelKey: opts.reranker, interpolateWeight: null, candidates: [opts.candidates], batchSizes: [opts.batchSize], retrievers: null, latency: null });
      bench.add(`rerank ${opts.candidates} candidates (${opts.reranker}, batch ${opts.batchSize})`, async () => {
        const q = nextQuery();
        const texts = bm25Lists.get(q.id)!.slice(0, opts.candidates).map((d) => docText(docs.get(d.id)!));
        await reranker.score(q.text, texts, { batchSize: opts.batchSize });
      });
    }
    if (wanted('evaluate')) {
      const run: Run = new Map([...bm25Lists].map(([q, l]) => [q, l]));
      bench.add(`evaluate ${queries.length} queries x 100 (ndcg@10, mrr@10, map, recall@100)`, () => void evaluate(ds.qrels, run, { metrics: ['ndcg@10', 'mrr@10', 'map', 'recall@100'] }));
    }
    if (bench.tasks.length === 0) throw new UsageError(`no benchmark task matches --only ${opts.only?.join(',')}.`, { hint: 'Tasks: bm25 lucene, bm25 wink, embed, exact, hnsw, fusion, rerank, evaluate.' });
    progress.log(`bench: running ${bench.tasks.length} tasks, ${opts.timeMs} ms each`);
    await bench.run();
    const rows: BenchRow[] = bench.tasks.map((t) => {
      const r = t.result;
      if (r.state !== 'completed') throw new Error(`benchmark task "${t.name}" ended in state ${r.state}`);
      return { task: t.name, meanMs: r.latency.mean, p50Ms: r.latency.p50, p99Ms: r.latency.p99, opsPerSec: 1000 / r.latency.mean, samples: r.latency.df + 1, rmePct: r.latency.rme };
    });
    return { rows, environment: captureEnvironment(threads) };
  } finally {
    await components.dispose();
    progress.stop();
    store.close();
  }
}

export function formatBenchTable(rows: BenchRow[]): string {
  const head = ['task', 'mean ms', 'p50 ms', 'p99 ms', 'ops/s', 'samples', '± %'];
  const body = rows.map((r) => [r.task, fmt(r.meanMs), fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.opsPerSec), String(r.samples), r.rmePct.toFixed(1)]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3);
}
