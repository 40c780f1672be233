/**
 * The experiment runner on the bundled tech-qa collection with real (built) models: BM25, the GloVe SIF
 * embedder, a hybrid, and the GloVe MaxSim reranker.
 *
 * - A configuration derived by slicing the deep candidate lists equals the same configuration run alone at
 *   its depth (metrics, per-query values and TREC run, bit for bit).
 * - A real `rbench run` process killed with SIGKILL and restarted with --resume recomputes nothing that was
 *   committed and ends with the numbers of an uninterrupted run.
 *
 * GloVe models are built into a models folder shared by test runs on this machine ($RBENCH_MODELS), because
 * converting the GloVe vectors once takes ~10 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/execute.js';
import type { ResultsFile } from '../../src/experiment/results.js';
import { evaluateFiles } from '../../src/metrics/index.js';
import { Store } from '../../src/store/store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODELS = process.env.RBENCH_TEST_MODELS ?? path.join(os.tmpdir(), 'rbench-test-models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-run-'));
let savedModels: string | undefined;

beforeAll(() => {
  savedModels = process.env.RBENCH_MODELS;
  process.env.RBENCH_MODELS = MODELS;
});
afterAll(() => {
  if (savedModels === undefined) delete process.env.RBENCH_MODELS;
  else process.env.RBENCH_MODELS = savedModels;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function config(candidates: number[], extra = ''): string {
  return `name: slice
datasets:
  - name: tech-qa
retrievers:
  - name: bm25
    type: bm25
  - name: glove
    type: vector
    embedder: glove-sif
  - name: hybrid
    type: hybrid
    of: [bm25, glove]
    fusion: weighted
    weight: 0.2
candidates: [${candidates.join(', ')}]
rerankers:
  - none
  - glove-maxsim
  - name: interp
    model: glove-maxsim
    interpolate: { weight: 0.3 }
batchSizes: [4]
metrics: [ndcg@10, mrr@10, recall@10, map, precision@5]
latency: { skip: true }
${extra}`;
}

async function run(text: string, name: string): Promise<{ results: ResultsFile; out: string }> {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, text);
  const out = path.join(tmp, `out-${name}`);
  const { results } = await runExperiment(parseConfig(text, file), { outDir: out, cache: path.join(tmp, `cache-${name}`), quiet: true });
  return { results, out };
}

describe('shared work equals separate work', () => {
  it('a sliced configuration gives exactly the numbers of that configuration run at its depth alone', async () => {
    const deep = await run(config([3, 10, 50]), 'deep');
    const alone = await run(config([10]), 'alone');
    const sliced = deep.results.results.filter((r) => r.candidates === 10);
    expect(sliced).toHaveLength(9); // 3 retrievers x (none, maxsim, interp)
    for (const row of sliced) {
      const other = alone.results.results.find((r) => r.id === row.id);
      expect(other, row.id).toBeDefined();
      expect(row.metrics).toEqual(other!.metrics);
      expect(row.perQuery).toEqual(other!.perQuery);
      expect(row.firstStage).toEqual(other!.firstStage);
      expect(row.candidateRecall).toBe(other!.candidateRecall);
      expect(fs.readFileSync(path.join(deep.out, row.run!), 'utf8')).toBe(fs.readFileSync(path.join(alone.out, other!.run!), 'utf8'));
    }
    // The shared plan did the deep work once: one retrieval per retriever, one scoring pass per model.
    expect(deep.results.work.retrievalPasses).toBe(3);
    expect(deep.results.work.rerankPairsNeeded).toBeLessThan(deep.results.work.rerankPairsNaive);
    // Reranking can only reorder: its recall@k at k = candidates equals the candidates' recall.
    for (const row of deep.results.results.filter((r) => r.candidates === 10 && r.reranker)) {
      expect(row.metrics!['recall@10']).toBeCloseTo(row.candidateRecall, 12);
    }
  });

  it('interpolated variants share the model and its scores (one scoring pass)', async () => {
    const { results } = await run(config([10]), 'share');
    // 84 queries x the union of the three retrievers' top-10 candidates, scored once for both variants.
    expect(results.work.rerankPairsComputed).toBe(results.work.rerankPairsNeeded);
    const maxsim = results.results.find((r) => r.id === 'tech-qa/bm25/k10/glove-maxsim/b4')!;
    const interp = results.results.find((r) => r.id === 'tech-qa/bm25/k10/interp/b4')!;
    expect(maxsim.reranker?.sha256).toBe(interp.reranker?.sha256);
    expect(interp.reranker?.interpolate).toBe(0.3);
    expect(interp.metrics).not.toEqual(maxsim.metrics);
  });
});

describe('every row is what the golden-verified evaluator gives for its own run file', () => {
  it('metrics and per-query values equal `rbench eval --complete` semantics on the TREC run read back from disk', async () => {
    const { results, out } = await run(config([5, 20]), 'pinned');
    // The bundled judgments, converted to TREC qrels here with a plain split (independent of the BEIR reader).
    const tsv = fs.readFileSync(path.join(ROOT, 'datasets', 'tech-qa', 'qrels', 'test.tsv'), 'utf8').trim().split('\n').slice(1);
    const qrelsFile = path.join(tmp, 'tech-qa.qrels');
    fs.writeFileSync(qrelsFile, tsv.map((l) => { const [q, d, g] = l.split('\t'); return `${q} 0 ${d} ${g}`; }).join('\n') + '\n');
    const rows = results.results.filter((r) => r.metrics);
    // 3 retrievers x 2 depths x (none + maxsim + interp), batch size 4 for the reranked ones.
    expect(rows).toHaveLength(18);
    expect(new Set(rows.map((r) => r.retriever.name))).toEqual(new Set(['bm25', 'glove', 'hybrid']));
    for (const row of rows) {
      const ref = await evaluateFiles(qrelsFile, path.join(out, row.run!), { metrics: ['ndcg@10', 'mrr@10', 'recall@10', 'map', 'precision@5'], complete: true, relLevel: 1, judgedOnly: false });
      expect(row.metrics, row.id).toEqual(ref.metrics);
      expect(row.perQuery, row.id).toEqual(ref.perQuery);
    }
  });
});

/** Runs `rbench run` as a real process; resolves with its exit code and stderr. */
function rbenchRun(args: string[], killWhen?: (stderr: string) => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', ...args], { cwd: ROOT, env: { ...process.env, RBENCH_MODELS: MODELS, CI: '1' } });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (killWhen?.(stderr)) p.kill('SIGKILL');
    });
    p.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function quality(r: ResultsFile) {
  return r.results.map((x) => ({ id: x.id, metrics: x.metrics, perQuery: x.perQuery, firstStage: x.firstStage, candidateRecall: x.candidateRecall, context: x.context }));
}

describe('crash and resume', () => {
  it('a run killed with SIGKILL and resumed recomputes nothing committed and ends with identical results', async () => {
    const text = config([5, 20, 50]).replace('latency: { skip: true }', 'latency: { warmupQueries: 1, sampleQueries: 3, repetitions: 1 }');
    const file = path.join(tmp, 'crash.yaml');
    fs.writeFileSync(file, text);
    const cache = path.join(tmp, 'cache-crash');
    const out = path.join(tmp, 'out-crash');

    // 1. Killed while the reranker's scores are being committed, query by query.
    const first = await rbenchRun([file, '--out', out, '--cache', cache], (s) => /rerank with glove-maxsim: [1-9]\d*\/84/.test(s));
    expect(first.signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(false);
    const store = new Store(cache);
    const committedAtKill = store.db.prepare('SELECT count(*) FROM scores').pluck().get() as number;
    store.close();
    expect(committedAtKill).toBeGreaterThan(0); // killed mid-way: some queries' scores were committed...

    // 2. Killed again during the timing pass.
    const second = await rbenchRun([file, '--out', out, '--cache', cache, '--resume'], (s) => /timing pass: [1-9]\d*\//.test(s));
    expect(second.signal).toBe('SIGKILL');

    // 3. Resumed to the end.
    const third = await rbenchRun([file, '--out', out, '--cache', cache, '--resume']);
    expect(third.code, third.stderr).toBe(0);
    const resumed = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;

    // Nothing committed was recomputed: the last run scored no pair and re-ran no retrieval; the timing
    // blocks finished before the second kill were reused.
    expect(resumed.work.rerankPairsComputed).toBe(0);
    expect(committedAtKill).toBeLessThan(resumed.work.rerankPairsNeeded); // ...and some were not
    expect(resumed.work.rerankPairsFromCache).toBe(resumed.work.rerankPairsNeeded);
    expect(resumed.work.retrievalPassesComputed).toBe(0);
    expect(resumed.work.embeddingsComputed).toBe(0);
    expect(resumed.work.embeddingsFromCache).toBeGreaterThan(0);
    expect(resumed.work.timingBlocksResumed).toBeGreaterThan(0);
    // One timing block per (retriever, model, batch size, k): 3 x (none, maxsim; interp shares maxsim's) x 3.
    expect(resumed.work.timingBlocksResumed + resumed.work.timingBlocksMeasured).toBe(18);

    // Identical quality to an uninterrupted run with a fresh cache.
    const cleanOut = path.join(tmp, 'out-clean');
    const clean = await rbenchRun([file, '--out', cleanOut, '--cache', path.join(tmp, 'cache-clean')]);
    expect(clean.code, clean.stderr).toBe(0);
    const reference = JSON.parse(fs.readFileSync(path.join(cleanOut, 'results.json'), 'utf8')) as ResultsFile;
    expect(quality(resumed)).toEqual(quality(reference));
    for (const row of reference.results.filter((r) => r.run)) {
      expect(fs.readFileSync(path.join(out, row.run!), 'utf8')).toBe(fs.readFileSync(path.join(cleanOut, row.run!), 'utf8'));
    }
    // Every row has timings, whether measured before or after a kill.
    for (const row of resumed.results) expect(row.latencyMs?.total.n).toBe(3);
  }, 300_000);

  it('two runs sharing one cache at the same time both finish with the same numbers and leave it intact', async () => {
    const text = config([10, 20]);
    const file = path.join(tmp, 'concurrent.yaml');
    fs.writeFileSync(file, text);
    const cache = path.join(tmp, 'cache-concurrent');
    const [a, b] = await Promise.all([
      rbenchRun([file, '--out', path.join(tmp, 'out-a'), '--cache', cache, '--quiet']),
      rbenchRun([file, '--out', path.join(tmp, 'out-b'), '--cache', cache, '--quiet']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(fs.readFileSync(path.join(tmp, 'out-a', 'results.json'), 'utf8')) as ResultsFile;
    const rb = JSON.parse(fs.readFileSync(path.join(tmp, 'out-b', 'results.json'), 'utf8')) as ResultsFile;
    expect(quality(ra)).toEqual(quality(rb));
    const store = new Store(cache);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Every pair either run needed is in the cache exactly once.
    expect(store.db.prepare('SELECT count(*) FROM scores').pluck().get()).toBe(ra.work.rerankPairsNeeded);
    store.close();
  }, 300_000);

  it('stops before any work when a Hub model was never fetched, naming the command that fetches it', () => {
    const file = path.join(tmp, 'unfetched.yaml');
    fs.writeFileSync(file, config([10]).replace('  - glove-maxsim\n', '  - minilm\n'));
    const out = path.join(tmp, 'out-unfetched');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', file, '--out', out, '--cache', path.join(tmp, 'cache-unfetched')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, RBENCH_MODELS: path.join(tmp, 'no-models') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/model "minilm" is not available offline.*rbench models fetch Xenova\/ms-marco-MiniLM-L-6-v2/s);
    expect(r.stderr).not.toMatch(/indexed|retrieved/); // nothing was computed first
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects a bad config with exit code 2 and a message naming the key, without a stack trace', () => {
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, config([10]).replace('    fusion: weighted', '    fusion: wieghted'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('retrievers[2].fusion');
    expect(r.stderr).toContain(`${file}:13`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
