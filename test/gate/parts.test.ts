/**
 * The parts of `rbench gate` on hand-worked inputs: the quality verdict at the edges of its rule, the ratio
 * of medians and its interval, what counts as the same hardware, the rules file's defaults and errors, the
 * definition differences said beside a check, and how `compare` tells a results file from a TREC run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsComparison } from '../../src/gate/compare-results.js';
import { qualityVerdict } from '../../src/gate/gate.js';
import { hardwareDifferences, medianRatio } from '../../src/gate/latency.js';
import { jsonDifferences } from '../../src/gate/match.js';
import { compareInputKind, parseResults } from '../../src/gate/results-file.js';
import { DEFAULT_RULES, parseRules, type MetricRule } from '../../src/gate/rules.js';
import { UsageError } from '../../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-gate-parts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A comparison with the given delta, adjusted p and largest per-query difference. */
function comparison(delta: number, pAdjusted: number, maxAbsDifference = Math.abs(delta)): ResultsComparison {
  return {
    dataset: 'd',
    configuration: 'd/bm25/k10/none',
    metric: 'ndcg@10',
    queries: 50,
    baseline: { mean: 0.5, ci95: [0.4, 0.6] },
    current: { mean: 0.5 + delta, ci95: [0.4, 0.6] },
    delta,
    ci95: [delta - 0.01, delta + 0.01],
    pRandomization: pAdjusted,
    pRandomizationExact: false,
    pTTest: null,
    pAdjusted,
    pAdjustedRandomization: pAdjusted,
    pAdjustedTTest: null,
    significant: pAdjusted <= 0.05,
    wins: 0,
    losses: 0,
    ties: 50,
    maxAbsDifference,
  };
}

const RULE: MetricRule = { maxDrop: 0.01, alpha: 0.05, hardMaxDrop: 0.05 };

describe('qualityVerdict', () => {
  it('OK only when every query agrees within 1e-12', () => {
    expect(qualityVerdict(comparison(0, 1, 0), RULE).verdict).toBe('OK');
    expect(qualityVerdict(comparison(-1e-13, 1, 1e-12), RULE).verdict).toBe('OK');
    // The same mean from different per-query values is not identical.
    expect(qualityVerdict(comparison(0, 1, 0.5), RULE)).toEqual({ verdict: 'OKish', reason: 'same mean, different per-query values' });
  });

  it('improvements and drops up to maxDrop (inclusive, whatever the rounding of the means) are OKish untested', () => {
    expect(qualityVerdict(comparison(0.2, 0.0001), RULE)).toEqual({ verdict: 'OKish', reason: 'improved by 0.2000' });
    expect(qualityVerdict(comparison(-0.01, 0.0001), RULE)).toEqual({ verdict: 'OKish', reason: 'drop 0.0100 within maxDrop 0.01' });
    expect(qualityVerdict(comparison(0.7 - 0.71, 0.0001), RULE).verdict).toBe('OKish'); // 0.010000000000000009
  });

  it('between maxDrop and hardMaxDrop the adjusted p decides, at alpha inclusive', () => {
    expect(qualityVerdict(comparison(-0.02, 0.05), RULE)).toEqual({ verdict: 'FAIL', reason: 'drop 0.0200 exceeds maxDrop 0.01 and is significant (Holm-adjusted p 0.0500 <= alpha 0.05)' });
    expect(qualityVerdict(comparison(-0.02, 0.0501), RULE)).toEqual({ verdict: 'OKish', reason: 'drop 0.0200 exceeds maxDrop 0.01 but is not significant (Holm-adjusted p 0.0501 > alpha 0.05)' });
    expect(qualityVerdict(comparison(-0.05, 0.9), RULE).verdict).toBe('OKish'); // exactly hardMaxDrop: still the test
  });

  it('beyond hardMaxDrop it FAILs whatever the test says', () => {
    expect(qualityVerdict(comparison(-0.0501, 1), RULE)).toEqual({ verdict: 'FAIL', reason: 'drop 0.0501 exceeds hardMaxDrop 0.05 (Holm-adjusted p 1.0000)' });
  });
});

describe('medianRatio', () => {
  it('constant samples: the ratio of the values, and an interval of that one point', () => {
    const r = medianRatio(Float64Array.from([2, 2, 2, 2]), Float64Array.from([3, 3, 3]), { resamples: 500, seed: 1 });
    expect(r).toEqual({ baselineMedian: 2, currentMedian: 3, ratio: 1.5, ci95: [1.5, 1.5] });
  });

  it('medians by numpy\'s linear rule (an even count takes the midpoint)', () => {
    const r = medianRatio(Float64Array.from([4, 1, 3, 2]), Float64Array.from([10, 1, 5]), { resamples: 10, seed: 1 });
    expect(r.baselineMedian).toBe(2.5);
    expect(r.currentMedian).toBe(5);
    expect(r.ratio).toBe(2);
  });

  it('the interval: seeded, inside the range of possible ratios, and about a slowdown it was given', () => {
    // Baseline 1..40 ms; current the same times 3. Any resampled ratio lies between min(cur)/max(base) and
    // max(cur)/min(base); the median ratio is 3; the interval is wide (the samples spread 40x) but holds 3.
    const base = Float64Array.from({ length: 40 }, (_, i) => i + 1);
    const cur = base.map((x) => 3 * x);
    const a = medianRatio(base, cur, { resamples: 2000, seed: 7 });
    expect(a.ratio).toBe(3);
    expect(a.ci95[0]).toBeLessThan(3);
    expect(a.ci95[1]).toBeGreaterThan(3);
    expect(a.ci95[0]).toBeGreaterThan(3 / 40);
    expect(medianRatio(base, cur, { resamples: 2000, seed: 7 })).toEqual(a);
    expect(medianRatio(base, cur, { resamples: 2000, seed: 8 }).ci95).not.toEqual(a.ci95);
    // Tight samples (±2 %): the interval is tight around the ratio.
    const tight = Float64Array.from({ length: 24 }, (_, i) => 3 * (1 + ((i % 5) - 2) / 100));
    const t = medianRatio(tight, tight.map((x) => 2 * x), { resamples: 2000, seed: 7 });
    expect(t.ci95[0]).toBeGreaterThan(1.9);
    expect(t.ci95[1]).toBeLessThan(2.1);
  });
});

describe('hardwareDifferences', () => {
  const env = { cpu: 'AMD EPYC', cores: 2, arch: 'x64', threads: { intraOp: 1, interOp: 1, allowSpinning: false }, node: '20.20.2', onnxruntime: '1.30.0', transformers: '4.3.1', hnswlib: '3.0.0', hostname: 'a', memoryGB: 23.5 };

  it('the same CPU, cores, threads and versions are the same hardware, whatever the host name or memory', () => {
    expect(hardwareDifferences(env, { ...env, hostname: 'b', memoryGB: 64 })).toEqual([]);
  });

  it('names each difference', () => {
    expect(hardwareDifferences(env, { ...env, cpu: 'Intel Xeon', threads: { intraOp: 2, interOp: 1, allowSpinning: false }, node: '22.1.0' })).toEqual([
      'cpu "AMD EPYC" vs "Intel Xeon"',
      'threads.intraOp 1 vs 2',
      'node "20.20.2" vs "22.1.0"',
    ]);
    expect(hardwareDifferences(env, { cpu: 'AMD EPYC' })[0]).toBe('cores 2 vs unknown');
  });
});

describe('jsonDifferences', () => {
  it('leaf by leaf, with the path; arrays whole; key order ignored', () => {
    expect(jsonDifferences({ retriever: { type: 'hybrid', of: ['bm25', 'glove'], weight: 0.2 } }, { retriever: { weight: 0.9, of: ['bm25', 'glove'], type: 'hybrid' } })).toEqual(['retriever.weight: 0.2 → 0.9']);
    expect(jsonDifferences({ a: { x: 1 }, b: [1, 2] }, { a: { x: 1, y: 2 }, b: [2, 1] })).toEqual(['a.y: (none) → 2', 'b: [1,2] → [2,1]']);
  });
});

describe('rules files', () => {
  it('an empty file is the defaults', () => {
    expect(parseRules('', 'gate.yaml')).toEqual({ ...DEFAULT_RULES, file: 'gate.yaml' });
  });

  it('the forms of `configurations`', () => {
    expect(parseRules('configurations: all\n', 'r.yaml').include).toBeNull();
    expect(parseRules("configurations: ['a/**']\n", 'r.yaml')).toMatchObject({ include: ['a/**'], exclude: [] });
    expect(parseRules("configurations: { exclude: ['a/**'] }\n", 'r.yaml')).toMatchObject({ include: null, exclude: ['a/**'] });
  });

  it('per-metric rules fill in from the defaults', () => {
    const r = parseRules('defaults: { maxDrop: 0.02 }\nmetrics:\n  map: { hardMaxDrop: 0.1 }\n  mrr@10: false\n', 'r.yaml');
    expect(r.metrics).toEqual({ map: { maxDrop: 0.02, alpha: 0.05, hardMaxDrop: 0.1 }, 'mrr@10': false });
    expect(r.metricLines).toEqual({ map: 3, 'mrr@10': 4 });
  });

  function problem(text: string): string {
    try {
      parseRules(text, 'r.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('no error');
  }

  it('errors name the file and line', () => {
    expect(problem('latency:\n  maxSlowdown: -1\n')).toMatch(/^r\.yaml:2, config key `latency\.maxSlowdown`: Too small: expected number to be >=0\./);
    expect(problem('defaults:\n  alpha: 1\n')).toMatch(/^r\.yaml:2, config key `defaults\.alpha`: alpha must be below 1\./);
    expect(problem('defaults: [1\n')).toMatch(/^r\.yaml:\d+: invalid YAML: /);
    expect(problem('latency:\n  maxSlowdwn: 1\n')).toMatch(/^r\.yaml:2, config key `latency\.maxSlowdwn`: `maxSlowdwn` is not a key of `latency`; did you mean `maxSlowdown`\?/);
    expect(problem('- 1\n')).toMatch(/^r\.yaml: the gate rules must be a mapping/);
  });
});

describe('results files', () => {
  it('tells results files (by content, or a folder) from TREC runs', () => {
    const json = path.join(tmp, 'r.txt');
    fs.writeFileSync(json, '  \n{"schemaVersion": 1, "results": []}');
    const trec = path.join(tmp, 'run.json'); // a TREC run, whatever its name
    fs.writeFileSync(trec, 'q1 Q0 d1 1 2.5 x\n');
    const gz = path.join(tmp, 'run.gz');
    fs.writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0]));
    expect(compareInputKind(json)).toBe('results');
    expect(compareInputKind(trec)).toBe('trec');
    expect(compareInputKind(gz)).toBe('trec');
    expect(compareInputKind(tmp)).toBe('results');
    expect(compareInputKind(path.join(tmp, 'missing.json'))).toBe('results');
    expect(compareInputKind(path.join(tmp, 'missing.trec'))).toBe('trec');
  });

  it('refuses another schema version and a broken row, naming the key', () => {
    expect(() => parseResults('{"schemaVersion": 2, "results": []}', 'x.json')).toThrow(/^x\.json: has schemaVersion 2; this rbench reads results files of version 1\./);
    const minimal = { schemaVersion: 1, environment: {}, conventions: {}, datasets: [], results: [{ id: 'd/a', dataset: 'd', retriever: { name: 'a', type: 'bm25' }, reranker: null, metrics: { m: 1 }, perQuery: { q: { m: 'x' } } }] };
    expect(() => parseResults(JSON.stringify(minimal), 'x.json')).toThrow(/^x\.json: is not a valid results file: `results\[0\]\.perQuery\.q\.m`: expected number, received string\./);
    expect(() => parseResults('{"schemaVersion": 1,\n "results": [', 'x.json')).toThrow(/^x\.json:2: not valid JSON: the file ends before the JSON does \(cut short\?\)\./);
    expect(() => parseResults('{"schemaVersion": 1,\n "results": [],}', 'x.json')).toThrow(/^x\.json:2: not valid JSON: Expected double-quoted property name in JSON at position 36\./);
    const ok = parseResults(JSON.stringify({ ...minimal, results: [{ ...minimal.results[0], id: 'd/a/k10/m/b4', perQuery: { q: { m: 1 } } }] }), 'x.json');
    expect(ok.results[0].qualityId).toBe('d/a/k10/m'); // derived where a file predates qualityId
  });
});
