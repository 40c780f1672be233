/**
 * `type: lancedb`, embedded in temporary folders, on the bundled tech-qa collection with the GloVe SIF
 * embedder (built into the shared test models folder, as in test/experiment/run.test.ts):
 *
 * - flat vector search ranks exactly as rbench's in-memory exact vector retriever on the same embeddings;
 * - an ANN index reports its recall against flat search, and it is a real approximation (in (0.5, 1]);
 * - full-text search gives what LanceDB's own query API gives, in trec_eval order, and BM25-like quality;
 * - the native hybrid query is LanceDB's RRF of its own vector and full-text lists;
 * - loading is idempotent (a second run writes nothing), and tables that do not match the dataset, index
 *   settings the corpus cannot train and time limits end with exit 2 and a message saying what to do,
 *   while work committed before the failure stays in the cache;
 * - configs without LanceDB never load its native module.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trecOrder } from '../../src/data/order.js';
import { loadDataset } from '../../src/data/datasets.js';
import type { Dataset, ScoredDoc } from '../../src/data/types.js';
import { Components } from '../../src/experiment/components.js';
import { parseConfig, type RetrieverVariant } from '../../src/experiment/config.js';
import { Progress } from '../../src/experiment/progress.js';
import type { ResultsFile } from '../../src/experiment/results.js';
import { cleanMessage, corpusHash, defaultSubVectors, resolveIndex, topK, whereOf, withTimeout } from '../../src/retrieval/engines/lancedb.js';
import { UsageError } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';
import { errorOf } from '../helpers/errors.js';
import { MODELS, ROOT, runConfig, runOf, useTestModels } from './helpers.js';

// As rbench's loader does: LanceDB's own warnings (deprecations, index statistics) off the test output.
process.env.LANCEDB_LOG ??= 'error';
const lancedb = await import('@lancedb/lancedb');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-lancedb-'));
let models: { restore(): void };
let ds: Dataset;

beforeAll(async () => {
  models = useTestModels();
  ds = await loadDataset('tech-qa');
});
afterAll(() => {
  models.restore();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function config(retrievers: string, candidates = [10], metrics = '[ndcg@10, recall@10]'): string {
  return `name: lance
datasets:
  - name: tech-qa
retrievers:
${retrievers}
candidates: [${candidates.join(', ')}]
rerankers: [none]
batchSizes: [1]
metrics: ${metrics}
latency: { skip: true }
`;
}

const run = (text: string, name: string, cache = 'cache'): Promise<{ results: ResultsFile; out: string }> => runConfig(text, tmp, name, path.join(tmp, cache));

/** Components over tech-qa for a config's retrievers (direct access to the built retriever and embedder). */
function components(text: string, deepest: number, cacheDir = 'cache'): { comps: Components; variants: RetrieverVariant[]; store: Store } {
  const x = parseConfig(text, path.join(tmp, 'direct.yaml'));
  const store = new Store(path.join(tmp, cacheDir));
  const comps = new Components({ store, progress: new Progress(true), modelsDir: MODELS, threads: 1 }, ds, x.retrievers, deepest);
  return { comps, variants: x.retrievers, store };
}

describe('vector search', () => {
  it('flat search ranks every query exactly as the in-memory exact retriever on the same embeddings', async () => {
    const r = await run(
      config(
        `  - { name: glove, type: vector, embedder: glove-sif }
  - { name: lance-dot, type: lancedb, embedder: glove-sif, distance: dot }
  - { name: lance-cos, type: lancedb, embedder: glove-sif }`,
        [100],
        '[ndcg@10, recall@100, map]',
      ),
      'flat',
    );
    const exact = await runOf(r, 'glove');
    const dot = await runOf(r, 'lance-dot');
    const cos = await runOf(r, 'lance-cos');
    expect(exact.size).toBe(84);
    let zeroQueries = 0;
    for (const [q, want] of exact) {
      // dot: the same documents in the same order; LanceDB computes in float32, rbench in doubles.
      const got = dot.get(q)!;
      expect(got.map((d) => d.id), q).toEqual(want.map((d) => d.id));
      got.forEach((d, i) => expect(Math.abs(d.score - want[i].score), `${q} ${d.id}`).toBeLessThan(1e-6));
      // cosine: the same, except for a query whose embedding is all zeros (no known word), where LanceDB's
      // cosine is undefined and returns nothing, while the inner product ties every document at 0.
      const c = cos.get(q) ?? [];
      if (c.length === 0) {
        expect(want.every((d) => d.score === 0), q).toBe(true);
        zeroQueries++;
      } else expect(c.map((d) => d.id), q).toEqual(want.map((d) => d.id));
    }
    expect(zeroQueries).toBeLessThan(5);
    const metrics = (name: string) => r.results.results.find((x) => x.retriever.name === name)!.metrics;
    expect(metrics('lance-dot')).toEqual(metrics('glove'));
  });

  it('an HNSW index reports its recall against flat search, and approximates (0.5 < recall <= 1)', async () => {
    const r = await run(config(`  - { name: hnsw, type: lancedb, embedder: glove-sif, index: ivf_hnsw_sq, ef: 10, indexParams: { m: 8, efConstruction: 40 } }`), 'hnsw');
    const row = r.results.results[0];
    expect(row.annRecall).toBeGreaterThan(0.5);
    expect(row.annRecall).toBeLessThanOrEqual(1);
    expect(row.metrics!['ndcg@10']).toBeGreaterThan(0.3);
    // The row records the engine, its version and where it ran.
    expect(row.engine).toEqual({ name: 'lancedb', version: '0.31.0', where: path.join(tmp, 'cache', 'lancedb') });
  });
});

describe('full-text and hybrid search', () => {
  it('full-text search returns what LanceDB returns, cut in trec_eval order, with BM25-like quality', async () => {
    const uri = path.join(tmp, 'db-fts');
    const text = config(`  - { name: fts, type: lancedb, mode: fts, uri: ${JSON.stringify(uri)}, table: fts_t }\n  - { name: bm25, type: bm25 }`);
    const r = await run(text, 'fts');
    const ours = await runOf(r, 'fts');
    const db = await lancedb.connect(uri);
    const tbl = await db.openTable('fts_t');
    let compared = 0;
    for (const q of ds.queries) {
      // LanceDB's own list, deep enough to hold every tie at rank 10, sorted by trec_eval's rule.
      const direct = (await tbl.query().fullTextSearch(q.text).limit(343).select(['id', '_score']).toArray()) as { id: string; _score: number }[];
      const want = direct.map((d) => ({ id: d.id, score: d._score })).sort(trecOrder).slice(0, 10);
      const got = ours.get(q.id) ?? [];
      expect(got.map((d) => d.id), q.id).toEqual(want.map((d) => d.id));
      got.forEach((d, i) => expect(d.score).toBeCloseTo(want[i].score, 5));
      compared += got.length;
    }
    expect(compared).toBeGreaterThan(500);
    tbl.close();
    db.close();
    const ndcg = (name: string) => r.results.results.find((x) => x.retriever.name === name)!.metrics!['ndcg@10'];
    // LanceDB's BM25 (its own tokenizer and stemmer) against rbench's Lucene-exact BM25 on the same collection.
    expect(Math.abs(ndcg('fts') - ndcg('bm25'))).toBeLessThan(0.05);
  });

  it("native hybrid search is LanceDB's RRF of its own vector and full-text lists", async () => {
    const uri = path.join(tmp, 'db-hybrid');
    const text = config(`  - { name: hyb, type: lancedb, mode: hybrid, embedder: glove-sif, uri: ${JSON.stringify(uri)}, table: hyb_t, depth: 20 }`);
    const { comps, variants, store } = components(text, 10);
    try {
      const built = await comps.build(variants[0]);
      const { cached } = await comps.embedder('glove-sif', 64);
      const tbl = await (await lancedb.connect(uri)).openTable('hyb_t');
      let fused = 0;
      let zero = 0;
      for (const q of ds.queries.slice(0, 20)) {
        const [v] = await cached.embedQueries([q.text]);
        const got = await built.retriever.search(q, 10);
        const ftsList = (await tbl.query().fullTextSearch(q.text).limit(20).select(['id', '_score']).toArray()) as { id: string }[];
        if (v.every((x) => x === 0)) {
          // No vector side (cosine of a zero vector): the full-text list's own RRF scores.
          expect(new Set(got.map((d) => d.id))).toEqual(new Set(ftsList.slice(0, 10).map((d) => d.id)));
          zero++;
          continue;
        }
        const vecList = (await tbl.query().nearestTo(v).distanceType('cosine').bypassVectorIndex().limit(20).select(['id', '_distance']).toArray()) as { id: string }[];
        const expected = new Map<string, number>();
        for (const list of [vecList, ftsList]) list.forEach((d, rank) => expected.set(d.id, (expected.get(d.id) ?? 0) + 1 / (60 + rank)));
        expect(got).toHaveLength(10);
        for (const d of got) expect(Math.abs(d.score - expected.get(d.id)!), `${q.id} ${d.id}`).toBeLessThan(1e-6);
        // Nothing left out scores above what was kept.
        const kept = new Set(got.map((d) => d.id));
        const floor = Math.min(...got.map((d) => d.score));
        for (const [id, s] of expected) if (!kept.has(id)) expect(s, `${q.id} ${id}`).toBeLessThanOrEqual(floor + 1e-6);
        if (got.some((d) => vecList.some((x) => x.id === d.id) && ftsList.some((x) => x.id === d.id))) fused++;
      }
      expect(fused).toBeGreaterThan(5);
      expect(zero).toBeLessThan(5);
    } finally {
      await comps.dispose();
      store.close();
    }
  });
});

describe('loading', () => {
  it('is idempotent: a second run reuses the tables without writing', async () => {
    const uri = path.join(tmp, 'db-idem');
    const text = config(`  - { name: v, type: lancedb, embedder: glove-sif, index: ivf_pq, nprobes: 4, refineFactor: 2, uri: ${JSON.stringify(uri)} }
  - { name: f, type: lancedb, mode: fts, uri: ${JSON.stringify(uri)} }`);
    const first = await run(text, 'idem1');
    const db = await lancedb.connect(uri);
    const names = await db.tableNames();
    expect(names).toHaveLength(2);
    const state = async () => Promise.all(names.map(async (n) => {
      const t = await db.openTable(n);
      const s = { name: n, version: await t.version(), rows: await t.countRows(), versions: (await t.listVersions()).length, indexes: (await t.listIndices()).map((i) => i.indexType).sort() };
      t.close();
      return s;
    }));
    const before = await state();
    expect(before.map((s) => s.rows)).toEqual([343, 343]);
    expect(before.flatMap((s) => s.indexes).sort()).toEqual(['FTS', 'IvfPq']);
    const second = await run(text, 'idem2');
    expect(await state()).toEqual(before);
    expect(await db.tableNames()).toEqual(names);
    expect(second.results.results.map((x) => x.metrics)).toEqual(first.results.results.map((x) => x.metrics));
    db.close();
  });

  it('a table whose vectors have another dimension, or that lacks ids, stops with exit 2 and says what to do', async () => {
    const uri = path.join(tmp, 'db-bad');
    const db = await lancedb.connect(uri);
    const rows = (dim: number, docs = ds.corpus) => docs.map((d, i) => ({ id: d.id, text: d.text, vector: Float32Array.from({ length: dim }, (_, j) => ((i + j) % 7) / 7) }));
    await db.createTable('wrongdim', rows(8));
    await db.createTable('missing', rows(100, ds.corpus.slice(0, 300)));
    db.close();
    const dimErr = await errorOf(run(config(`  - { name: l, type: lancedb, embedder: glove-sif, uri: ${JSON.stringify(uri)}, table: wrongdim }`), 'bad-dim'));
    expect(dimErr.exitCode).toBe(2);
    expect(dimErr.message).toMatch(/retriever "l".*tech-qa.*dimension 8, the embedder's have 100/);
    expect(dimErr.message).toContain('Point `table` at a table loaded from this dataset');
    const idsErr = await errorOf(run(config(`  - { name: l, type: lancedb, embedder: glove-sif, uri: ${JSON.stringify(uri)}, table: missing }`), 'bad-ids'));
    expect(idsErr.message).toMatch(/does not match dataset tech-qa: 43 of the dataset's 343 document ids are missing \(tq-/);
  });

  it('through the CLI: exit 2 with the message and no stack trace, and earlier committed work stays in the cache', () => {
    const uri = path.join(tmp, 'db-bad'); // from the previous test
    const cache = path.join(tmp, 'cache-cli');
    const cli = (name: string, retrievers: string) => {
      const file = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(file, config(retrievers));
      return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', file, '--cache', cache, '--out', path.join(tmp, `out-${name}`), '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, RBENCH_MODELS: MODELS } });
    };
    const bad = cli('cli-bad', `  - { name: bm25, type: bm25 }\n  - { name: l, type: lancedb, embedder: glove-sif, uri: ${JSON.stringify(uri)}, table: wrongdim }`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('dimension 8');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    // BM25's retrieval was committed before LanceDB failed: a run of BM25 alone computes nothing.
    const good = cli('cli-good', '  - { name: bm25, type: bm25 }');
    expect(good.status, good.stderr).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(tmp, 'out-cli-good', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.work.retrievalPassesComputed).toBe(0);
  });

  it('index settings the corpus cannot train, and time limits, are exit-2 errors naming the key', async () => {
    const { comps, variants, store } = components(
      config(`  - { name: pq, type: lancedb, embedder: glove-sif, index: ivf_pq, indexParams: { numPartitions: 400 }, uri: ${JSON.stringify(path.join(tmp, 'db-limits'))} }
  - { name: pq7, type: lancedb, embedder: glove-sif, index: ivf_pq, indexParams: { numSubVectors: 7 }, uri: ${JSON.stringify(path.join(tmp, 'db-limits'))} }
  - { name: slow, type: lancedb, embedder: glove-sif, index: ivf_pq, buildTimeoutMs: 1, uri: ${JSON.stringify(path.join(tmp, 'db-limits'))} }`),
      10,
    );
    try {
      const parts = await errorOf(comps.build(variants[0]));
      expect(parts.message).toMatch(/retriever "pq".*`indexParams.numPartitions`: ivf_pq with 400 partitions needs at least that many documents; the corpus has 343. Use numPartitions ≤ 343/);
      const sub = await errorOf(comps.build(variants[1]));
      expect(sub.message).toContain('numSubVectors 7 does not divide the vector dimension 100. Use a divisor of 100 (default 10).');
      const slow = await errorOf(comps.build(variants[2]));
      expect(slow.message).toMatch(/did not finish within 1 ms.*Raise `buildTimeoutMs`/);
      expect(slow.exitCode).toBe(2);
    } finally {
      await comps.dispose();
      store.close();
    }
  });
});

describe('config checks', () => {
  it('rejects settings that do not apply, naming the key', () => {
    const bad = (entry: string) => {
      try {
        parseConfig(config(`  - ${entry}`), path.join(tmp, 'check.yaml'));
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('expected a config error');
    };
    expect(bad('{ type: lancedb }')).toContain('mode vector needs an `embedder`');
    expect(bad('{ type: lancedb, mode: fts, embedder: glove-sif }')).toContain('`embedder` given for `mode: fts`');
    expect(bad('{ type: lancedb, embedder: glove-sif, index: ivf_pq, ef: 50 }')).toContain('`ef` applies to HNSW indexes; this one is ivf_pq');
    expect(bad('{ type: lancedb, embedder: glove-sif, nprobes: 5 }')).toContain('`nprobes` is a setting of a vector index');
    expect(bad('{ type: lancedb, embedder: glove-sif, index: ivf_flat, indexParams: { m: 8 } }')).toContain('`m` is not a parameter of ivf_flat');
    expect(bad('{ type: lancedb, embedder: glove-sif, index: ivf_pq, table: t, sweep: { numPartitions: [4, 8] } }')).toContain('Remove `table`');
    expect(bad('{ type: lancedb, embedder: glove-sif, apiKeyEnv: KEY }')).toContain('applies to LanceDB Cloud');
    // A sweep over search settings is one variant per value.
    const x = parseConfig(config('  - { type: lancedb, embedder: glove-sif, index: ivf_hnsw_sq, sweep: { ef: [10, 40, 100] } }'), path.join(tmp, 'ok.yaml'));
    expect(x.retrievers.map((v) => v.name)).toEqual(['lancedb-glove-sif-ivf_hnsw_sq@ef=10', 'lancedb-glove-sif-ivf_hnsw_sq@ef=40', 'lancedb-glove-sif-ivf_hnsw_sq@ef=100']);
  });

  it('configs without LanceDB do not load its native module', () => {
    if (process.platform !== 'linux') return;
    const script = `
      const { parseConfig } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/experiment/config.js'))});
      parseConfig(${JSON.stringify(config('  - { type: lancedb, embedder: glove-sif, index: ivf_pq }'))}, 'x.yaml');
      const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
      console.log(maps.includes('lancedb') ? 'loaded' : 'not loaded');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trim(), r.stderr).toBe('not loaded');
    // Positive control: this process has built LanceDB retrievers, so the same check finds the module here.
    expect(fs.readFileSync('/proc/self/maps', 'utf8')).toContain('lancedb');
  });
});

describe('benchmark helper', () => {
  it('benchLanceDb: build time, latency and recall at three settings, and the overhead against a bare client call', async () => {
    const { benchLanceDb } = await import('../../src/retrieval/engines/lancedb-bench.js');
    const { docText } = await import('../../src/data/types.js');
    const { comps, store } = components(config('  - { name: bm25, type: bm25 }'), 10);
    try {
      const { cached } = await comps.embedder('glove-sif', 64);
      const vectors = await cached.embedDocuments(ds.corpus.map(docText));
      const qv = await cached.embedQueries(ds.queries.map((q) => q.text));
      const r = await benchLanceDb({ ids: ds.corpus.map((d) => d.id), vectors, queries: ds.queries.map((q, i) => ({ id: q.id, vector: qv[i] })), repetitions: 1 });
      expect(r).toMatchObject({ engine: 'lancedb', rows: 343, dimension: 100, index: 'ivf_hnsw_sq', distance: 'cosine', k: 10 });
      expect(r.engineVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.buildMs.index).toBeGreaterThan(0);
      expect(r.buildMs.total).toBeGreaterThanOrEqual(r.buildMs.table + r.buildMs.index - 1e-9);
      expect(r.settings.map((x) => x.search)).toEqual([{ ef: 10 }, { ef: 40 }, { ef: 100 }]);
      for (const x of r.settings) {
        expect(x.latencyMs.n).toBe(84);
        expect(x.recall).toBeGreaterThan(0.5);
        expect(x.recall).toBeLessThanOrEqual(1);
        // rbench's exact search and LanceDB's flat search are the same ground truth on normalised vectors,
        // up to queries whose cosine is undefined (all-zero vectors: LanceDB returns nothing for them).
        expect(Math.abs(x.recall - x.recallVsLanceFlat)).toBeLessThan(0.05);
      }
      expect(r.settings[2].recall).toBeGreaterThanOrEqual(r.settings[0].recall);
      expect(r.overhead.search).toEqual({ ef: 40 });
      expect(r.overhead.bareMs.n).toBe(84);
      expect(r.overhead.rbenchMs.n).toBe(84);
      expect(Number.isFinite(r.overhead.ratio)).toBe(true);
    } finally {
      await comps.dispose();
      store.close();
    }
  });
});

describe('helpers', () => {
  it('topK asks again while the last row ties with the k-th, then orders ties by id', async () => {
    const all: ScoredDoc[] = [{ id: 'a', score: 3 }, ...['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => ({ id, score: 2 })), { id: 'z', score: 1 }];
    const limits: number[] = [];
    // The engine's own order among ties is by insertion; trec_eval's is by id descending.
    const got = await topK(3, async (limit) => {
      limits.push(limit);
      return all.slice(0, limit);
    });
    expect(limits).toEqual([4, 8]);
    expect(got.map((d) => d.id)).toEqual(['a', 'd5', 'd4']);
    expect((await topK(2, async (limit) => all.slice(0, 1).slice(0, limit))).map((d) => d.id)).toEqual(['a']);
  });

  it('time limits, error text, where a table lives, index defaults', async () => {
    const never = new Promise<never>(() => undefined);
    const e = await errorOf(withTimeout(never, 5, () => new UsageError('too slow')));
    expect(e.message).toBe('too slow');
    expect(cleanMessage(new Error('lance error: Invalid user input: num_sub_vectors must divide 100, /usr/local/cargo/registry/src/x/pq/utils.rs:22:20  Caused by: Invalid user input: num_sub_vectors must divide 100, /usr/local/cargo/registry/src/x/pq/utils.rs:22:20'))).toBe(
      'lance error: Invalid user input: num_sub_vectors must divide 100',
    );
    expect(whereOf('s3://key:secret@bucket/path/db?token=abc')).toBe('s3://bucket/path/db');
    expect(whereOf('db://my-db')).toBe('db://my-db');
    expect(whereOf('rel/dir')).toBe(path.resolve('rel/dir'));
    expect([100, 384, 768, 30, 7].map(defaultSubVectors)).toEqual([10, 24, 48, 3, 1]);
    expect(resolveIndex('ivf_hnsw_sq', 'cosine', {}, 343, 100).params).toEqual({ numPartitions: 1 });
    expect(() => resolveIndex('ivf_pq', 'cosine', {}, 200, 128)).toThrow(/needs at least 256 documents; the corpus has 200/);
    expect(resolveIndex('ivf_pq', 'cosine', { numBits: 4 }, 200, 128).params).toEqual({ numBits: 4, numSubVectors: 8 });
    expect(corpusHash(ds.corpus)).toBe(corpusHash([...ds.corpus]));
    expect(corpusHash(ds.corpus)).not.toBe(corpusHash(ds.corpus.slice(1)));
  });
});
