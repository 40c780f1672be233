/**
 * Faults found by trying to break `rbench run`, each pinned: a run overwritten by another, stale remote scores,
 * counters that dropped a pass, Retry-After waits passed off as latency, unwritable or file --out / --cache,
 * a damaged cache, stale run files in a reused --out, and remote models slipping past --offline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { assertOffline, parseConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/execute.js';
import { evaluateFiles } from '../../src/metrics/index.js';
import { Store } from '../../src/store/store.js';
import { errorOf } from '../helpers/errors.js';
import { lexicalScore, lexicalScorer, startFakeServer, type FakeServer, type PairScorer } from '../helpers/fake-servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TECH_QA = path.join(ROOT, 'datasets', 'tech-qa');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-faults-'));
const servers: FakeServer[] = [];
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
  vi.restoreAllMocks();
});

let n = 0;
/** Runs a config text in-process; returns the results and the folders used. */
async function run(text: string, opts: { out?: string; cache?: string; noRefresh?: boolean; resume?: boolean } = {}) {
  const file = path.join(tmp, `c${++n}.yaml`);
  fs.writeFileSync(file, text);
  const out = opts.out ?? path.join(tmp, `out${n}`);
  const cache = opts.cache ?? path.join(tmp, `cache${n}`);
  const outcome = await runExperiment(parseConfig(text, file), { outDir: out, cache, quiet: true, noRefresh: opts.noRefresh, resume: opts.resume });
  return { ...outcome, out, cache };
}

function teiConfig(url: string, latency = '{ skip: true }'): string {
  return `name: faults
datasets:
  - name: tech-qa
    maxQueries: 10
retrievers:
  - type: bm25
candidates: [5]
rerankers:
  - none
  - name: tei
    model: rbench/fake-reranker
    backend: http
    api: tei
    url: ${url}
    retries: 2
    backoffMs: 10
batchSizes: [4]
metrics: [ndcg@10, mrr@10]
latency: ${latency}
`;
}

/** Everything written to stderr while `fn` runs. */
async function stderrOf<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { value: await fn(), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('a dataset listed twice', () => {
  it('one BEIR folder as split test and split dev gives two labelled datasets, two runs, each scored on its own judgments', async () => {
    // A BEIR folder with a dev split: the first 60 judgments of tech-qa.
    const folder = path.join(tmp, 'techqa-splits');
    fs.mkdirSync(path.join(folder, 'qrels'), { recursive: true });
    for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']) fs.copyFileSync(path.join(TECH_QA, f), path.join(folder, f));
    const test = fs.readFileSync(path.join(TECH_QA, 'qrels', 'test.tsv'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(folder, 'qrels', 'dev.tsv'), `${test.slice(0, 61).join('\n')}\n`);
    const { results, out } = await run(`name: splits
datasets:
  - path: ${folder}
    split: test
  - path: ${folder}
    split: dev
retrievers:
  - type: bm25
candidates: [10]
metrics: [ndcg@10, recall@10]
latency: { skip: true }
`);
    expect(results.results.map((r) => r.id)).toEqual(['techqa-splits@test/bm25/k10/none', 'techqa-splits@dev/bm25/k10/none']);
    const [a, b] = results.results;
    expect(a.run).not.toBe(b.run);
    for (const [row, split] of [[a, 'test'], [b, 'dev']] as const) {
      const qrels = path.join(tmp, `${split}.qrels`);
      const lines = fs.readFileSync(path.join(folder, 'qrels', `${split}.tsv`), 'utf8').trim().split('\n').slice(1);
      fs.writeFileSync(qrels, lines.map((l) => l.split('\t')).map(([q, d, g]) => `${q} 0 ${d} ${g}`).join('\n') + '\n');
      const ref = await evaluateFiles(qrels, path.join(out, row.run!), { metrics: ['ndcg@10', 'recall@10'], complete: true, relLevel: 1, judgedOnly: false });
      expect(row.metrics, split).toEqual(ref.metrics);
    }
    expect(results.datasets.map((d) => [d.name, d.split])).toEqual([['techqa-splits@test', 'test'], ['techqa-splits@dev', 'dev']]);
  });

  it('the same dataset listed twice is a config error naming both entries', () => {
    const text = 'name: x\ndatasets:\n  - name: tech-qa\n  - name: tech-qa\nretrievers: [{type: bm25}]\ncandidates: [5]\n';
    expect(() => parseConfig(text, 'x.yaml')).toThrow('x.yaml:4, config key `datasets[1]`: the same dataset is listed twice (as datasets[0] and datasets[1]). Remove one of them.');
  });
});

describe('remote rerankers', () => {
  it('a different model behind the same URL (server says nothing) is detected by re-scoring cached pairs, and recomputed', async () => {
    let scorer: PairScorer = lexicalScorer;
    const server = await startFakeServer({ info: null, scorer: (q, t) => scorer(q, t) });
    servers.push(server);
    const cache = path.join(tmp, 'cache-stale');
    const first = await run(teiConfig(server.url), { cache });
    const tei = (r: typeof first) => r.results.results.find((x) => x.id === 'tech-qa/bm25/k5/tei/b4')!;
    // Another model now answers at that URL: the reverse order.
    scorer = (q, texts) => texts.map((t) => -lexicalScore(q, t));
    const { value: second, stderr } = await stderrOf(() => run(teiConfig(server.url), { cache }));
    expect(stderr).toMatch(/cached scores of rbench\/fake-reranker .* are stale: 3 of 3 re-scored cached pairs differ/);
    expect(second.results.work.rerankPairsComputed).toBe(second.results.work.rerankPairsNeeded);
    // The numbers are those of the new model: equal to a run with an empty cache.
    const fresh = await run(teiConfig(server.url));
    expect(tei(second).metrics).toEqual(tei(fresh).metrics);
    expect(tei(second).metrics).not.toEqual(tei(first).metrics);
    // With --no-refresh a stale cache stops the run instead.
    scorer = lexicalScorer;
    const e = await errorOf(run(teiConfig(server.url), { cache, noRefresh: true }));
    expect(e.message).toMatch(/cached scores of rbench\/fake-reranker .* are stale.*Run without --no-refresh to recompute them/);
  });

  it('a server that pins its model (TEI /info with a commit) gets a cache of its own when the model changes', async () => {
    const server = await startFakeServer();
    servers.push(server);
    const cache = path.join(tmp, 'cache-pinned');
    const first = await run(teiConfig(server.url), { cache });
    expect(first.results.work.rerankPairsComputed).toBe(first.results.work.rerankPairsNeeded);
    const again = await run(teiConfig(server.url), { cache });
    expect(again.results.work.rerankPairsComputed).toBe(0); // same model: all from the cache, no re-scoring
    server.setInfo({ model_sha: 'fedcba9876543210fedcba9876543210fedcba98' });
    const changed = await run(teiConfig(server.url), { cache });
    expect(changed.results.work.rerankPairsComputed).toBe(changed.results.work.rerankPairsNeeded);
  });

  it('rerankStats counts the requests of the quality pass and of the timing pass', async () => {
    const server = await startFakeServer();
    servers.push(server);
    const { results } = await run(teiConfig(server.url, '{ warmupQueries: 1, sampleQueries: 3, repetitions: 1 }'));
    const row = results.results.find((x) => x.id === 'tech-qa/bm25/k5/tei/b4')!;
    const sent = server.requests.filter((r) => r.route === '/rerank').length;
    // Quality: 10 queries x one request of 5 pairs; timing: (1 warm-up + 3 timed) queries x ceil(5 / 4) requests.
    expect(sent).toBe(10 + 4 * 2);
    expect(row.rerankStats?.requests).toBe(sent);
    expect(row.rerankStats?.retries).toBe(0);
  });

  it('a timed sample that waited on Retry-After is left out of the latency statistics and counted', async () => {
    const server = await startFakeServer();
    servers.push(server);
    const cache = path.join(tmp, 'cache-retry-after');
    const latency = '{ warmupQueries: 0, sampleQueries: 3, repetitions: 1 }';
    await run(teiConfig(server.url, latency), { cache }); // quality scores cached: the next run sends only timing requests
    server.inject({ kind: 'status', status: 429, retryAfter: '1' }, { route: '/rerank', times: 1 });
    const { results } = await run(teiConfig(server.url, latency), { cache });
    const row = results.results.find((x) => x.id === 'tech-qa/bm25/k5/tei/b4')!;
    expect(row.latencyMs?.excluded?.retryAfterSamples).toBe(1);
    expect(row.latencyMs?.excluded?.retryAfterWaitMs).toBeGreaterThanOrEqual(990);
    expect(row.latencyMs?.total.n).toBe(2);
    expect(row.latencyMs?.rerank?.n).toBe(2);
    expect(row.rerankStats?.retries).toBe(1);
    expect(row.rerankStats?.retryAfterWaitMs).toBeGreaterThanOrEqual(990);
    // The first stage alone was not affected.
    expect(results.results.find((x) => x.id === 'tech-qa/bm25/k5/none')!.latencyMs?.excluded).toBeUndefined();
  });
});

describe('output and cache folders are checked before any work', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  const config = path.join(tmp, 'probe.yaml');
  fs.writeFileSync(config, 'name: probe\ndatasets: [{name: tech-qa}]\nretrievers: [{type: bm25}]\ncandidates: [5]\nlatency: {skip: true}\n');

  it('an --out under /proc (where recursive mkdir never returns) exits 2 at once, naming the folder', () => {
    const r = cli([config, '--out', '/proc/rbench-nowhere/out', '--cache', path.join(tmp, 'probe-cache')]);
    expect(r.signal).toBeNull(); // it did not hang until the timeout
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('rbench: --out /proc/rbench-nowhere/out: cannot create /proc/rbench-nowhere (ENOENT). Choose a folder you can write to.\n');
  });

  it('an --out that is a file exits 2 before indexing anything', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const r = cli([config, '--out', file, '--cache', path.join(tmp, 'probe-cache')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`rbench: --out ${file}: exists but is a file, not a folder. Choose a folder you can write to.\n`);
  });

  it('a --cache under /proc exits 2 at once', () => {
    const r = cli([config, '--out', path.join(tmp, 'probe-out'), '--cache', '/proc/rbench-nowhere/cache']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rbench: --cache /proc/rbench-nowhere/cache: cannot create /proc/rbench-nowhere (ENOENT).');
  });
});

const BM25_ONLY = 'name: cache\ndatasets: [{name: tech-qa, maxQueries: 10}]\nretrievers: [{type: bm25}]\ncandidates: [5, 10]\nrerankers: [none]\nlatency: {skip: true}\n';

describe('a damaged cache', () => {
  it('a cache file that is not a database is moved aside (and said so); the run goes on', async () => {
    const cache = path.join(tmp, 'cache-garbage');
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(cache, 'rbench.sqlite'), Buffer.alloc(8192, 0x5a));
    const { value, stderr } = await stderrOf(() => run(BM25_ONLY, { cache }));
    expect(value.results.results).toHaveLength(2);
    expect(stderr).toMatch(/the cache database .*rbench\.sqlite could not be read \(file is not a database\); moved it to .*rbench\.sqlite\.damaged-/);
    const aside = fs.readdirSync(cache).filter((f) => f.startsWith('rbench.sqlite.damaged-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(cache, aside[0]))).toEqual(Buffer.alloc(8192, 0x5a));
  });

  it('damaged rows are never reused: a unit that does not parse and a score that is not a number are recomputed', async () => {
    const server = await startFakeServer();
    servers.push(server);
    const cache = path.join(tmp, 'cache-rows');
    const first = await run(teiConfig(server.url), { cache });
    const store = new Store(cache);
    store.db.prepare("UPDATE units SET value = x'7b7b7b' WHERE key LIKE 'retrieval:%'").run();
    const keys = store.db.prepare('SELECT model, query, doc FROM scores LIMIT 2').all() as { model: string; query: Buffer; doc: Buffer }[];
    for (const k of keys) store.db.prepare("UPDATE scores SET score = 'not a number' WHERE model = ? AND query = ? AND doc = ?").run(k.model, k.query, k.doc);
    store.close();
    const second = await run(teiConfig(server.url), { cache });
    expect(second.results.work.retrievalPassesComputed).toBe(1);
    expect(second.results.work.rerankPairsComputed).toBe(2);
    expect(second.results.results.map((r) => r.metrics)).toEqual(first.results.results.map((r) => r.metrics));
  });
});

describe('a reused --out', () => {
  it('keeps no run file of an earlier config', async () => {
    const out = path.join(tmp, 'out-reused');
    await run(BM25_ONLY, { out });
    expect(fs.existsSync(path.join(out, 'runs', 'tech-qa', 'bm25', 'k10', 'none.trec'))).toBe(true);
    const { results } = await run(BM25_ONLY.replace('candidates: [5, 10]', 'candidates: [5]'), { out });
    expect(results.results.map((r) => r.run)).toEqual([path.join('runs', 'tech-qa', 'bm25', 'k5', 'none.trec')]);
    expect(fs.existsSync(path.join(out, 'runs', 'tech-qa', 'bm25', 'k10'))).toBe(false);
    expect(fs.readdirSync(out).filter((f) => f.startsWith('.runs'))).toEqual([]);
  });
});

describe('--offline', () => {
  const base = 'name: x\ndatasets: [{name: tech-qa}]\ncandidates: [5]\n';
  const spellings: [string, string][] = [
    ['a bare https reranker', 'retrievers: [{type: bm25}]\nrerankers: [https://rerank.example/v1/rerank]\n'],
    ['a reranker object with an https model', 'retrievers: [{type: bm25}]\nrerankers: [{model: "http://127.0.0.1:8080"}]\n'],
    ['a reranker with a url', 'retrievers: [{type: bm25}]\nrerankers: [{model: BAAI/bge-reranker-base, url: "http://127.0.0.1:8080"}]\n'],
    ['backend: http', 'retrievers: [{type: bm25}]\nrerankers: [{model: BAAI/bge-reranker-base, backend: http}]\n'],
    ['backend: llm', 'retrievers: [{type: bm25}]\nrerankers: [{model: qwen, backend: llm}]\n'],
    ['a bare https embedder', 'retrievers: [{type: vector, embedder: "https://embed.example/v1"}]\n'],
    ['an embedder with a url', 'retrievers: [{type: vector, embedder: {model: bge-small, url: "http://127.0.0.1:8080"}}]\n'],
  ];
  it.each(spellings)('refuses %s', (_what, rest) => {
    const x = parseConfig(base + rest, 'x.yaml');
    expect(() => assertOffline(x)).toThrow(/this model is served over the network, but --offline was given/);
  });

  it('lets local models through', () => {
    const x = parseConfig(`${base}retrievers: [{type: bm25}, {type: vector, embedder: glove-sif}]\nrerankers: [none, glove-maxsim, {model: minilm}]\n`, 'x.yaml');
    expect(() => assertOffline(x)).not.toThrow();
  });
});
