/**
 * LanceDB's figures for `npm run bench:engines`: on given corpus and query vectors (the same cached embeddings
 * every engine of the benchmark gets), the time to load the table and train the vector index, then for each
 * search setting (three `ef` values by default) query latency p50/p95 and recall@k against exact search; and
 * rbench's own overhead per query, its retriever's `search` against a bare LanceDB client call, interleaved.
 *
 * Exact search is rbench's ExactIndex (inner product in doubles) over the same vectors, the ground truth the
 * other engines are measured against; recall against LanceDB's own flat search (`bypassVectorIndex`) is given
 * beside it. For normalised vectors (rbench's embedders) cosine, dot and l2 rank alike, so the two agree up to
 * float32 ties.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Doc, Query, ScoredDoc } from '../../data/types.js';
import { latencyStats, elapsedMs, now, type LatencyStats } from '../../experiment/timing.js';
import type { Embedder, ModelIdentity } from '../../models/types.js';
import { ExactIndex } from '../vector/exact.js';
import { annRecall } from '../vector/hnsw.js';
import { LanceDbRetriever, type LanceDistance, type LanceIndexParams, type LanceIndexType, type LanceSearchParams } from './lancedb.js';

export interface LanceBenchOptions {
  /** Corpus ids and their vectors (same order). */
  ids: readonly string[];
  vectors: readonly Float32Array[];
  /** Queries with their vectors. */
  queries: readonly { id: string; vector: Float32Array }[];
  /** Database folder or URI; default a new temporary folder, deleted afterwards. */
  uri?: string;
  /** Default ivf_hnsw_sq (LanceDB's HNSW), trained with `distance` (default cosine). */
  index?: Exclude<LanceIndexType, 'none'>;
  distance?: LanceDistance;
  indexParams?: LanceIndexParams;
  /** Search settings to measure; default `ef` 10, 40 and 100 (HNSW) or `nprobes` 5, 10, 20 (other IVF indexes). */
  settings?: LanceSearchParams[];
  /** Depth of recall and of every timed query (default 10). */
  k?: number;
  /** Passes over the queries per setting (default 3), after one untimed warm-up pass over up to 20 queries. */
  repetitions?: number;
}

export interface LanceBenchSetting {
  search: LanceSearchParams;
  /** One LanceDB vector query through rbench's engine code (no embedding), k deep. */
  latencyMs: LatencyStats;
  /** Recall@k against rbench's exact search over the same vectors, and against LanceDB's flat search. */
  recall: number;
  recallVsLanceFlat: number;
}

export interface LanceBenchResult {
  engine: 'lancedb';
  engineVersion: string;
  where: string;
  table: string;
  rows: number;
  dimension: number;
  index: string;
  distance: string;
  indexParams: LanceIndexParams;
  k: number;
  /** Loading the table (createTable with every row) and training the vector index, ms. */
  buildMs: { table: number; index: number; total: number };
  /** LanceDB's flat (exact) search, for scale. */
  flatLatencyMs: LatencyStats;
  settings: LanceBenchSetting[];
  /**
   * rbench's overhead at the middle setting: `LanceDbRetriever.search` (what the timing pass measures as the
   * retrieve stage; the query vector handed over by a lookup, so no model runs) against the bare client call
   * `table.query().nearestTo(v).distanceType(d)[.ef/.nprobes].limit(k).select(['id', '_distance']).toArray()`,
   * alternating which goes first. `ratio` = rbench p50 / bare p50 − 1 (0.05 = 5 % slower).
   */
  overhead: { search: LanceSearchParams; bareMs: LatencyStats; rbenchMs: LatencyStats; ratio: number };
}

/** An Embedder that hands back vectors computed elsewhere (the benchmark's cached embeddings), by text. */
class LookupEmbedder implements Embedder {
  readonly identity: ModelIdentity = { name: 'precomputed', backend: 'lookup', source: 'bench', weights: 'built' };
  constructor(
    private readonly byText: ReadonlyMap<string, Float32Array>,
    private readonly dim: number,
  ) {}
  async dimension(): Promise<number> {
    return this.dim;
  }
  private get(texts: string[]): Float32Array[] {
    return texts.map((t) => {
      const v = this.byText.get(t);
      if (!v) throw new Error(`LookupEmbedder: no vector for "${t.slice(0, 40)}"`);
      return v;
    });
  }
  async embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.get(texts);
  }
  async embedDocuments(texts: string[]): Promise<Float32Array[]> {
    return this.get(texts);
  }
  async dispose(): Promise<void> {}
}

export async function benchLanceDb(opts: LanceBenchOptions): Promise<LanceBenchResult> {
  const k = opts.k ?? 10;
  const index = opts.index ?? 'ivf_hnsw_sq';
  const hnsw = index.startsWith('ivf_hnsw');
  const settings = opts.settings ?? (hnsw ? [{ ef: 10 }, { ef: 40 }, { ef: 100 }] : [{ nprobes: 5 }, { nprobes: 10 }, { nprobes: 20 }]);
  const repetitions = opts.repetitions ?? 3;
  const dim = opts.vectors[0]?.length ?? 0;
  const temp = opts.uri ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-lancedb-bench-'));
  const uri = opts.uri ?? temp!;
  // Documents and queries are keyed by unique texts so that the lookup embedder can hand back their vectors.
  const docs: Doc[] = opts.ids.map((id) => ({ id, title: '', text: `doc\0${id}` }));
  const queries: Query[] = opts.queries.map((q) => ({ id: q.id, text: `query\0${q.id}` }));
  const byText = new Map<string, Float32Array>([...docs.map((d, i) => [d.text, opts.vectors[i]] as const), ...queries.map((q, i) => [q.text, opts.queries[i].vector] as const)]);
  const embedder = new LookupEmbedder(byText, dim);
  // A new table every time, so that the build is measured even where `uri` holds earlier runs.
  const tableName = `bench_${index}_${Date.now().toString(36)}`;
  const make = (search: LanceSearchParams, log?: (m: string) => void) =>
    new LanceDbRetriever({ uri, dataset: 'bench', mode: 'vector', index, distance: opts.distance, indexParams: opts.indexParams, embedder, search, table: tableName, log });
  try {
    // Build: the table (every row in one commit), then the index; split at the engine's log lines.
    const marks = new Map<string, bigint>();
    const loader = make(settings[0], (m) => marks.set(m.includes('training') ? 'index' : m.includes('creating') ? 'table' : 'other', now()));
    await loader.index(docs);
    const end = now();
    const span = (a: bigint | undefined, b: bigint | undefined) => (a !== undefined && b !== undefined ? Number(b - a) / 1e6 : 0);
    const buildMs = { table: span(marks.get('table'), marks.get('index')), index: span(marks.get('index'), end), total: span(marks.get('table'), end) };
    await loader.dispose();
    const first = make(settings[0]);
    await first.index(docs);
    const engine = first.engine;
    const table = engine.table;
    const distance = engine.describe().distance as LanceDistance;

    const exact = new ExactIndex();
    await exact.build(opts.ids, opts.vectors);
    const truth = new Map<string, ScoredDoc[]>(opts.queries.map((q) => [q.id, exact.search(q.vector, k)]));
    const lanceFlat = new Map<string, ScoredDoc[]>();
    const flatTimes: number[] = [];
    for (const q of opts.queries) {
      const t = now();
      lanceFlat.set(q.id, await engine.searchVector(q.vector, k, {}, true));
      flatTimes.push(elapsedMs(t));
    }

    const warm = opts.queries.slice(0, 20);
    const rows: LanceBenchSetting[] = [];
    for (const search of settings) {
      for (const q of warm) await engine.searchVector(q.vector, k, search);
      const got = new Map<string, ScoredDoc[]>();
      const times: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        for (const q of opts.queries) {
          const t = now();
          const res = await engine.searchVector(q.vector, k, search);
          times.push(elapsedMs(t));
          if (r === 0) got.set(q.id, res);
        }
      }
      rows.push({ search, latencyMs: latencyStats(times), recall: annRecall(truth, got, k), recallVsLanceFlat: annRecall(lanceFlat, got, k) });
    }

    // Overhead: the retriever as the timing pass calls it, against the bare client call, alternating order.
    const mid = settings[Math.floor(settings.length / 2)];
    const retriever = make(mid);
    await retriever.index(docs);
    const bare = (v: Float32Array) => {
      let q = table.query().nearestTo(v).distanceType(distance);
      if (mid.ef !== undefined) q = q.ef(Math.max(mid.ef, k));
      if (mid.nprobes !== undefined) q = q.nprobes(mid.nprobes);
      if (mid.refineFactor !== undefined) q = q.refineFactor(mid.refineFactor);
      return q.limit(k).select(['id', '_distance']).toArray();
    };
    for (const q of warm) {
      await bare(opts.queries.find((x) => x.id === q.id)!.vector);
      await retriever.search(queries.find((x) => x.id === q.id)!, k, { useCache: false });
    }
    const bareTimes: number[] = [];
    const ourTimes: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      for (let i = 0; i < queries.length; i++) {
        const timeBare = async () => {
          const t = now();
          await bare(opts.queries[i].vector);
          bareTimes.push(elapsedMs(t));
        };
        const timeOurs = async () => {
          const t = now();
          await retriever.search(queries[i], k, { useCache: false });
          ourTimes.push(elapsedMs(t));
        };
        if ((i + r) % 2 === 0) {
          await timeBare();
          await timeOurs();
        } else {
          await timeOurs();
          await timeBare();
        }
      }
    }
    const bareMs = latencyStats(bareTimes);
    const rbenchMs = latencyStats(ourTimes);
    const d = engine.describe();
    const result: LanceBenchResult = {
      engine: 'lancedb',
      engineVersion: engine.version,
      where: engine.where,
      table: engine.name,
      rows: opts.ids.length,
      dimension: dim,
      index,
      distance,
      indexParams: d.indexParams as LanceIndexParams,
      k,
      buildMs,
      flatLatencyMs: latencyStats(flatTimes),
      settings: rows,
      overhead: { search: mid, bareMs, rbenchMs, ratio: rbenchMs.p50 / bareMs.p50 - 1 },
    };
    await retriever.dispose();
    await first.dispose();
    return result;
  } finally {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }
}
