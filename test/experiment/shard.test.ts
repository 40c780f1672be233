/**
 * Sharded sweeps and exact reproduction: a sweep run as 3 shards and merged equals the unsharded run (quality,
 * intervals, tests, selection, planner counters, runs); bad merges and reproductions are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/execute.js';
import { mergeShards } from '../../src/experiment/merge.js';
import { reproduce } from '../../src/experiment/reproduce.js';
import type { ResultsFile } from '../../src/experiment/results.js';
import { assignUnits, parseShard } from '../../src/experiment/shard.js';
import { errorOf } from '../helpers/errors.js';

const MODELS = process.env.RBENCH_TEST_MODELS ?? path.join(os.tmpdir(), 'rbench-test-models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-shard-'));
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

const CONFIG = `name: sharded
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
candidates: [5, 20]
rerankers:
  - none
  - glove-maxsim
  - name: interp
    model: glove-maxsim
    interpolate: { weight: 0.3 }
batchSizes: [1, 4]
metrics: [ndcg@10, mrr@10, recall@10]
latency: { warmupQueries: 1, sampleQueries: 2, repetitions: 1 }
statistics: { permutations: 2000, bootstrap: 500 }
`;

async function run(name: string, text = CONFIG, shard?: { index: number; count: number }): Promise<{ out: string; results: ResultsFile }> {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, text);
  const out = path.join(tmp, name);
  const { results } = await runExperiment(parseConfig(text, file), { outDir: out, cache: path.join(tmp, `cache-${name}`), quiet: true, shard });
  return { out, results };
}

/** Everything a row says about quality (not timing). */
const quality = (r: ResultsFile) => r.results.map((x) => ({ id: x.id, metrics: x.metrics, perQuery: x.perQuery, firstStage: x.firstStage, candidateRecall: x.candidateRecall, context: x.context, ci95: x.ci95, vsBaseline: x.vsBaseline }));
const PLAN = ['configurations', 'qualityConfigurations', 'retrievalPasses', 'retrievalPassesNaive', 'rerankPairsNeeded', 'rerankPairsNaive'] as const;

describe('shards', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/is not a shard: write i\/n with 1 <= i <= n/);
  });

  it('assigns units largest first to the least-loaded shard, deterministically', () => {
    const units = [10, 7, 5, 3, 2].map((cost, i) => ({ key: `u${i}`, dataset: 'd', cost }));
    // 10 -> 1; 7 -> 2; 5 -> 2 (7 < 10); 3 -> 1 (10 < 12); 2 -> 2 (12 < 13).
    expect([...assignUnits(units, 2)]).toEqual([['u0', 1], ['u1', 2], ['u2', 2], ['u3', 1], ['u4', 2]]);
  });

  it('three shards merged equal the unsharded sweep: quality, intervals, tests, selection, counters and runs', async () => {
    const whole = await run('whole');
    const parts = [];
    for (let i = 1; i <= 3; i++) parts.push(await run(`part${i}`, CONFIG, { index: i, count: 3 }));
    // Every unit ran in exactly one shard.
    const units = parts.flatMap((p) => p.results.shard!.units);
    expect(new Set(units).size).toBe(units.length);
    expect(units.length).toBe(parts[0].results.shard!.allUnits);
    for (const p of parts) expect(p.results.decisions).toBeUndefined();
    const merged = await mergeShards(parts.map((p) => p.out), path.join(tmp, 'merged'));
    expect(quality(merged.results)).toEqual(quality(whole.results));
    for (const k of PLAN) expect(merged.results.work[k], k).toBe(whole.results.work[k]);
    expect(merged.results.selection).toEqual(whole.results.selection);
    expect(merged.results.statistics).toEqual(whole.results.statistics);
    for (const row of whole.results.results.filter((r) => r.run)) {
      expect(fs.readFileSync(path.join(tmp, 'merged', row.run!), 'utf8')).toBe(fs.readFileSync(path.join(whole.out, row.run!), 'utf8'));
    }
    expect(merged.results.shards?.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(new Set(merged.results.results.map((r) => r.shard))).toEqual(new Set([1, 2, 3]));
    expect(merged.results.latencyNote).toBeUndefined(); // same machine
    expect(merged.results.decisions?.length).toBe(4);
    expect(fs.existsSync(path.join(tmp, 'merged', 'index.html'))).toBe(true);

    // Refusals, naming the problem.
    expect((await errorOf(mergeShards([parts[0].out, parts[1].out], path.join(tmp, 'm2')))).message).toBe('shard 3/3 is missing; the merge needs all 3. Run `rbench run CONFIG --shard i/3` for the missing ones.');
    expect((await errorOf(mergeShards([parts[0].out, parts[0].out, parts[1].out], path.join(tmp, 'm3')))).message).toMatch(/^shard 1\/3 is given twice/);
    expect((await errorOf(mergeShards([whole.out], path.join(tmp, 'm4')))).message).toMatch(/results\.json: is not a shard/);
    const other = await run('other1', CONFIG.replace('candidates: [5, 20]', 'candidates: [5, 10]'), { index: 1, count: 3 });
    expect((await errorOf(mergeShards([other.out, parts[1].out, parts[2].out], path.join(tmp, 'm5')))).message).toMatch(/is a shard of another sweep than .*: its config \(config hash\) differs/);

    // Shards timed on different hardware: the merge says latencies compare only within a shard.
    const file = path.join(parts[2].out, 'results.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
    r.environment.cpu = 'Another CPU';
    fs.writeFileSync(file, JSON.stringify(r));
    const mixed = await mergeShards(parts.map((p) => p.out), path.join(tmp, 'merged-mixed'));
    expect(mixed.results.latencyNote).toMatch(/^the 3 shards ran on 2 different machines/);
    expect(quality(mixed.results)).toEqual(quality(whole.results));
  }, 600_000);
});

describe('--reproduce', () => {
  const SMALL = `name: repro\ndatasets:\n  - path: DATA\nretrievers: [{type: bm25}]\ncandidates: [5, 10]\nmetrics: [ndcg@10]\nlatency: { warmupQueries: 1, sampleQueries: 3, repetitions: 1 }\n`;

  it('re-runs a results file exactly: quality identical N/N, latency as a ratio with both environments', async () => {
    const data = path.join(tmp, 'data-a');
    fs.cpSync(path.join('datasets', 'tech-qa'), data, { recursive: true });
    const { out } = await run('repro-a', SMALL.replace('DATA', data));
    const r = await reproduce(path.join(out, 'results.json'), { out: path.join(tmp, 'repro-a-again'), cache: path.join(tmp, 'cache-repro'), quiet: true });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe(`reproduce ${path.join(out, 'results.json')}: quality identical: 2/2 configurations identical`);
    expect(r.lines[1]).toMatch(/^ {2}latency: median ratio \d+\.\d\d \(reproduced \/ original, total p50, 2 timed configurations\)$/);
    expect(r.lines[2]).toMatch(/^ {2}original: {3}.*cores/);
  });

  it('refuses, naming it, a dataset whose files changed since', async () => {
    const data = path.join(tmp, 'data-b');
    fs.cpSync(path.join('datasets', 'tech-qa'), data, { recursive: true });
    const { out } = await run('repro-b', SMALL.replace('DATA', data));
    fs.appendFileSync(path.join(data, 'qrels', 'test.tsv'), 'q001\tdoc-extra\t0\n');
    const e = await errorOf(reproduce(path.join(out, 'results.json'), { out: path.join(tmp, 'repro-b-again'), quiet: true }));
    expect(e.message).toMatch(/dataset data-b is not the one the results were computed on: its files' sha256 is [0-9a-f]{16}…, the manifest says [0-9a-f]{16}…/);
    expect(fs.existsSync(path.join(tmp, 'repro-b-again'))).toBe(false); // refused before any work
  });
});
