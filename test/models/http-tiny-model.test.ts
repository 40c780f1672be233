/**
 * The remote backends against fake servers backed by a real model: the project's tiny BERT cross-encoder
 * and bi-encoder, built into a temp dir and run locally through the transformers backend. Scores and
 * vectors that come back over HTTP (sorted, shuffled, split, refused, retried) must equal the ones the
 * same model computes directly for each document.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltModel } from '../../src/models/build/index.js';
import { createEmbedder, createReranker } from '../../src/models/registry.js';
import type { Embedder, Reranker } from '../../src/models/types.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-servers.js';

const FAST = { timeoutMs: 5_000, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
const QUERY = 'does vitamin D supplementation reduce the risk of fractures in older adults';
const PASSAGES = [
  'Vitamin D supplementation and fracture risk in adults over 65: a randomized trial.',
  'Calcium intake, bone mineral density and hip fracture in postmenopausal women.',
  'Exercise programs reduce falls among community-dwelling older people.',
  'The effect of vitamin D on muscle strength in elderly patients.',
  'Deep learning for protein structure prediction.',
  'Hip fractures are common in older adults with osteoporosis.',
  'Serum 25-hydroxyvitamin D levels and mortality: a cohort study.',
  'Ocean acidification and coral reef decline.',
  'Supplementation with vitamin D3 did not lower fracture incidence in a large trial.',
  'Statins and the risk of cardiovascular events.',
  'Sunlight exposure determines vitamin D status in northern latitudes.',
  'Bisphosphonates reduce vertebral fracture risk.',
  'Gene expression profiling of breast tumours.',
  'Falls, frailty and fractures in nursing home residents.',
  'A meta-analysis of vitamin D and fracture prevention.',
  'Vitamin K antagonists and bone health.',
  'Older adults with low vitamin D have weaker bones.',
  'Climate change and the spread of vector-borne diseases.',
  'Daily high-dose vitamin D increased falls in older women.',
  'Protein intake and muscle mass in ageing.',
  'Fracture healing after surgery in elderly patients.',
  'Risk factors for osteoporotic fractures.',
];

let modelsDir: string;
let cross: Reranker;
let bi: Embedder;
let direct: Float64Array;

beforeAll(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-remote-tiny-'));
  for (const alias of ['tiny-cross', 'tiny-embed']) {
    const dir = ensureBuiltModel(alias, modelsDir);
    for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) expect(fs.existsSync(path.join(dir, f)), `${alias}: ${f}`).toBe(true);
  }
  cross = await createReranker('tiny-cross', { modelsDir, threads: 1 });
  bi = await createEmbedder('tiny-embed', { modelsDir, threads: 1 });
  // The direct computation: each document scored alone.
  direct = new Float64Array(PASSAGES.length);
  for (let i = 0; i < PASSAGES.length; i++) direct[i] = (await cross.score(QUERY, [PASSAGES[i]]))[0];
});

afterAll(async () => {
  await cross?.dispose();
  await bi?.dispose();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('the tiny cross-encoder as oracle', () => {
  it('gives every passage a distinct score, independent of batch composition', async () => {
    expect(new Set(direct).size).toBe(PASSAGES.length);
    expect(Array.from(await cross.score(QUERY, PASSAGES))).toEqual(Array.from(direct));
  });
});

describe.each(['tei', 'cohere-v2', 'jina'] as const)('%s server backed by the tiny cross-encoder', (api) => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({
      scorer: async (query, texts) => Array.from(await cross.score(query, texts)),
      order: 'shuffled',
      maxClientBatchSize: 6,
      v1Rerank: api === 'jina' ? 'jina' : 'cohere',
    });
  });
  afterAll(() => server.close());

  it('returns the model score of each passage through 413 splitting, shuffles and retried faults', async () => {
    server.inject({ kind: 'status', status: 503 });
    server.inject({ kind: 'reset' });
    server.inject({ kind: 'drop-index' });
    server.inject({ kind: 'status', status: 429, retryAfter: '0' });
    const r = await createReranker({ model: 'tiny-cross', backend: 'http', api, url: server.url, maxBatch: 16, ...FAST }, { modelsDir });
    const got = await r.score(QUERY, PASSAGES);
    expect(Array.from(got)).toEqual(Array.from(direct));
    expect(r.stats!()).toMatchObject({ retries: 4 });
    expect(server.requests.some((q) => q.status === 413)).toBe(true);
    // A second call uses the discovered limit and the same scores come back.
    expect(Array.from(await r.score(QUERY, PASSAGES.slice().reverse()))).toEqual(Array.from(direct).reverse());
  });
});

describe.each(['openai', 'tei'] as const)('%s embedding server backed by the tiny bi-encoder', (api) => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({
      embedder: async (texts) => (await bi.embedDocuments(texts)).map((v) => Array.from(v)),
      order: 'shuffled',
      maxClientBatchSize: 5,
    });
  });
  afterAll(() => server.close());

  it('returns each passage its own model vector', async () => {
    server.inject({ kind: 'status', status: 500 });
    server.inject({ kind: 'malformed-json' });
    const e = await createEmbedder({ model: 'tiny-embed', backend: 'http', api, url: server.url, ...FAST }, { modelsDir });
    const got = await e.embedDocuments(PASSAGES);
    const want = await Promise.all(PASSAGES.map(async (p) => (await bi.embedDocuments([p]))[0]));
    expect(new Set(want.map((v) => v.join(','))).size).toBe(PASSAGES.length);
    expect(await e.dimension()).toBe(await bi.dimension());
    for (let i = 0; i < PASSAGES.length; i++) {
      for (let j = 0; j < want[i].length; j++) expect(Math.abs(got[i][j] - want[i][j])).toBeLessThan(1e-6);
    }
  });
});
