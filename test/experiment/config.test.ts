import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/experiment/config.js';
import { UsageError } from '../../src/errors.js';

const MINIMAL = `name: t
datasets:
  - name: tech-qa
retrievers:
  - type: bm25
candidates: [5, 10]
`;

function errorOf(text: string, file = 'exp.yaml'): UsageError {
  try {
    parseConfig(text, file);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('experiment config', () => {
  it('fills documented defaults', () => {
    const x = parseConfig(MINIMAL, 'exp.yaml');
    expect(x.config.rerankers).toEqual(['none']);
    expect(x.config.topN).toBe(5);
    expect(x.config.evaluation).toEqual({ complete: true, relLevel: 1, judgedOnly: false });
    expect(x.retrievers).toHaveLength(1);
    expect(x.retrievers[0]).toMatchObject({ name: 'bm25', type: 'bm25', engine: 'lucene', k1: 0.9, b: 0.4, fields: 'flat' });
  });

  it('names the file, line and key path of an unknown key, with the nearest allowed key', () => {
    const e = errorOf(MINIMAL.replace('  - type: bm25', '  - type: bm25\n    kl: 1.2'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('exp.yaml:6, config key `retrievers[0].kl`: `kl` is not a key of a bm25 retriever; did you mean `k1`?');
  });

  it('lists the allowed keys when no key is near an unknown one', () => {
    const e = errorOf(MINIMAL.replace('  - type: bm25', '  - type: bm25\n    tokenizer: whitespace'));
    expect(e.message).toBe(
      'exp.yaml:6, config key `retrievers[0].tokenizer`: `tokenizer` is not a key of a bm25 retriever. Allowed here: type, name, sweep, engine, k1, b, fields, fieldWeights, analyzer, norms.',
    );
  });

  it('reports every problem of a file at once, each at its own line, and says the README once', () => {
    const text = ['name: x', 'datasets:', '  - name: tech-qa', 'retrievers:', '  - type: bm25', '    kl: 1.2', '  - type: vectr', 'candidates: [5, ten]', 'rerankers:', '  - model: glove-maxsim', '    interpolate: {wieght: 0.3}', ''].join('\n');
    const e = errorOf(text);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      [
        'exp.yaml: 4 problems in the config:',
        '  exp.yaml:6, config key `retrievers[0].kl`: `kl` is not a key of a bm25 retriever; did you mean `k1`?',
        '  exp.yaml:7, config key `retrievers[1].type`: "vectr" is not a retriever type; did you mean `vector`? Types: bm25, vector, hybrid, pgvector, postgres-fts, lancedb.',
        '  exp.yaml:8, config key `candidates[1]`: expected number, received string.',
        '  exp.yaml:11, config key `rerankers[0].interpolate.wieght`: `wieght` is not a key of `rerankers[0].interpolate`; did you mean `weight`?',
        'See README "Experiment config" for every key and its allowed values.',
      ].join('\n'),
    );
  });

  it('reports a misspelt key where it is written, and the key it stands for is not reported missing as well', () => {
    const e = errorOf('name: x\ndatasets: [{name: tech-qa}]\ncandidates: [5]\nretreivers: []\n');
    expect(e.message).toBe('exp.yaml:4, config key `retreivers`: `retreivers` is not a config key; did you mean `retrievers`?');
  });

  it('reports a missing required key once, as missing (not as a type error)', () => {
    const e = errorOf('name: x\ndatasets: [{name: tech-qa}]\nretrievers: [{type: bm25}]\n');
    expect(e.message).toBe('exp.yaml:1, config key `candidates`: missing required key `candidates`. See README "Experiment config" for every key and its allowed values.');
  });

  it('names the allowed values of an enum and the nearest one', () => {
    const e = errorOf(`${MINIMAL}rerankers:\n  - model: m\n    backend: http\n    api: teii\n    url: http://127.0.0.1:1\n`);
    expect(e.message).toBe('exp.yaml:10, config key `rerankers[0].api`: "teii" is not allowed; expected one of tei, cohere-v1, cohere-v2, jina, openai. Did you mean `tei`?');
  });

  it('explains a reranker object by its own keys (not as a failed union)', () => {
    const e = errorOf(`${MINIMAL}rerankers:\n  - model: glove-maxsim\n    batchsize: [4]\n`);
    expect(e.message).toBe('exp.yaml:9, config key `rerankers[0].batchsize`: `batchsize` is not a reranker option; did you mean `batchSizes`?');
  });

  it('knows the allowed keys of nested objects from the schemas (datasets[i].corpus, retrievers[i].hnsw)', () => {
    const e = errorOf(MINIMAL.replace('  - name: tech-qa', '  - path: data\n    format: csv\n    corpus: { fil: docs.csv }').replace('  - type: bm25', '  - type: vector\n    embedder: glove-sif\n    index: hnsw\n    hnsw: { efsearch: 50 }'));
    expect(e.message).toContain('exp.yaml:5, config key `datasets[0].corpus.fil`: `fil` is not a key of `datasets[0].corpus`; did you mean `file`?');
    expect(e.message).toContain('exp.yaml:10, config key `retrievers[0].hnsw.efsearch`: `efsearch` is not a key of `retrievers[0].hnsw`; did you mean `efSearch`?');
  });

  it('lists at most 20 problems and counts the rest', () => {
    const keys = Array.from({ length: 25 }, (_, i) => `unknownkey${i}: 1`).join('\n');
    const e = errorOf(`${MINIMAL}${keys}\n`);
    expect(e.message.split('\n')).toHaveLength(1 + 20 + 1 + 1);
    expect(e.message).toContain('25 problems in the config');
    expect(e.message).toContain('  … and 5 more');
  });

  it('names the key of a wrong type', () => {
    const e = errorOf(MINIMAL.replace('candidates: [5, 10]', 'candidates: [5, ten]'));
    expect(e.message).toContain('candidates[1]');
    expect(e.message).toContain('exp.yaml:6');
    expect(e.message).toMatch(/expected number/);
  });

  it('rejects an unknown model alias with the allowed values', () => {
    const e = errorOf(`${MINIMAL}rerankers: [none, minilmm]\n`);
    expect(e.message).toContain('rerankers[1]');
    expect(e.message).toContain('unknown reranker "minilmm"');
    expect(e.message).toMatch(/minilm, .*bge-base/);
  });

  it('rejects an embedder used as a reranker', () => {
    const e = errorOf(`${MINIMAL}rerankers: [glove-sif]\n`);
    expect(e.message).toMatch(/"glove-sif" is an embedder, not a reranker/);
  });

  it('rejects enum values outside the allowed set', () => {
    const e = errorOf(MINIMAL.replace('  - type: bm25', '  - type: bm25\n    engine: lucen'));
    expect(e.message).toContain('retrievers[0].engine');
    expect(e.message).toMatch(/lucene.*wink/);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = errorOf('name: t\ndatasets: [\n  - x\n');
    expect(e.message).toMatch(/exp\.yaml:\d+: invalid YAML/);
  });

  it('reads JSON configs and gives line numbers for them too', () => {
    const e = errorOf('{\n  "name": "t",\n  "datasets": [{"name": "tech-qa"}],\n  "retrievers": [{"type": "bm25"}],\n  "candidates": [5],\n  "topN": 0\n}', 'exp.json');
    expect(e.message).toContain('exp.json:6');
    expect(e.message).toContain('topN');
  });

  it('checks hybrid references and sweep keys', () => {
    const hybrid = `${MINIMAL}  - type: hybrid\n    of: [bm25, dense]\n`.replace('candidates: [5, 10]\n', '') + 'candidates: [5]\n';
    expect(errorOf(hybrid).message).toMatch(/hybrid part "dense" is not the name of a retriever/);
    const sweep = MINIMAL.replace('  - type: bm25', '  - type: bm25\n    sweep: { efSearch: [10, 20] }');
    expect(errorOf(sweep).message).toMatch(/cannot sweep "efSearch" for a bm25 retriever.*Sweepable: k1, b/);
  });

  it('expands sweeps into named variants and interpolation weights into reranker variants', () => {
    const x = parseConfig(
      `${MINIMAL.replace('  - type: bm25', '  - type: bm25\n    sweep: { k1: [0.9, 1.2] }')}rerankers:\n  - none\n  - model: glove-maxsim\n    interpolate: { weight: [0.2, 0.5] }\n`,
      'exp.yaml',
    );
    expect(x.retrievers.map((r) => r.name)).toEqual(['bm25@k1=0.9', 'bm25@k1=1.2']);
    expect(x.retrievers.map((r) => (r as { k1: number }).k1)).toEqual([0.9, 1.2]);
    expect(x.rerankers.map((r) => [r.name, r.modelKey, r.interpolateWeight])).toEqual([
      ['none', null, null],
      ['glove-maxsim+interp@w=0.2', '{"model":"glove-maxsim"}', 0.2],
      ['glove-maxsim+interp@w=0.5', '{"model":"glove-maxsim"}', 0.5],
    ]);
  });

  it('refuses an API key written into the config instead of an environment variable name', () => {
    const e = errorOf(`${MINIMAL}rerankers:\n  - model: https://rerank.example/v1\n    backend: http\n    apiKeyEnv: "sk-live 123"\n`);
    expect(e.message).toContain('rerankers[0].apiKeyEnv');
    expect(e.message).toMatch(/NAME of an environment variable/);
  });

  it('loads every shipped config in configs/', () => {
    const dir = path.resolve('configs');
    const files = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['quickstart.yaml', 'beir-scifact.yaml', 'full-sweep.yaml']));
    for (const f of files) expect(() => loadConfig(path.join(dir, f))).not.toThrow();
  });

  it('says so when the config file is missing', () => {
    const missing = path.join(os.tmpdir(), 'rbench-no-such-config.yaml');
    expect(() => loadConfig(missing)).toThrow(/config file not found.*configs\/quickstart\.yaml/);
  });
});
