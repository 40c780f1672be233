/**
 * The http embedder against local fake OpenAI-compatible and TEI servers: vectors placed by index,
 * prefixes, normalisation, splitting, 413 discovery, faults, identity (TEI `/info`), retry-wait statistics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { RemoteError } from '../../src/models/http/client.js';
import { createHttpEmbedder, type HttpEmbedStats } from '../../src/models/http/embedder.js';
import { createEmbedder } from '../../src/models/registry.js';
import { identityKey } from '../../src/models/embedding-cache.js';
import type { Embedder } from '../../src/models/types.js';
import { FAKE_MODEL_SHA, hashEmbedding, startFakeServer, type FakeServer } from '../helpers/fake-servers.js';
import { rejection } from '../helpers/errors.js';

const ctx = { modelsDir: '/nonexistent-models' };
const FAST = { timeoutMs: 300, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
const TEXTS = Array.from({ length: 45 }, (_, i) => `passage ${i} about ${['rivers', 'mountains', 'cities', 'forests', 'deserts'][i % 5]} and item ${i * 7}`);

/** The expected vector: computed directly, in float64, normalised when asked, then rounded to float32. */
function direct(text: string, normalize: boolean): Float32Array {
  const v = hashEmbedding(text);
  const n = Math.hypot(...v);
  return Float32Array.from(normalize && n > 0 ? v.map((x) => x / n) : v);
}

function expectClose(got: Float32Array[], want: Float32Array[]): void {
  expect(got).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(got[i]).toBeInstanceOf(Float32Array);
    expect(got[i].length).toBe(want[i].length);
    for (let j = 0; j < want[i].length; j++) expect(Math.abs(got[i][j] - want[i][j])).toBeLessThan(1e-6);
  }
}

describe('the oracle', () => {
  it('gives distinct vectors to the test texts, so a misplaced vector cannot go unnoticed', () => {
    expect(new Set(TEXTS.map((t) => direct(t, true).join(','))).size).toBe(TEXTS.length);
  });
});

describe('OpenAI-compatible /v1/embeddings', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ order: 'shuffled', maxClientBatchSize: 10 });
  });
  afterEach(() => {
    server.clearFaults();
    server.reset();
  });
  afterAll(() => server.close());

  it('places shuffled vectors by index, normalises them, applies prefixes, and discovers the batch limit', async () => {
    const e = await createEmbedder({ model: 'e5-remote', backend: 'http', api: 'openai', url: `${server.url}/v1`, queryPrefix: 'query: ', passagePrefix: 'passage: ', ...FAST }, ctx);
    const docs = await e.embedDocuments(TEXTS);
    expectClose(docs, TEXTS.map((t) => direct(`passage: ${t}`, true)));
    const statuses = server.requests.map((r) => r.status);
    expect(statuses).toContain(413);
    expect(server.requests.filter((r) => r.status === 200).every((r) => (r.body.input as string[]).length <= 10)).toBe(true);
    expect(server.requests[0].route).toBe('/v1/embeddings');
    expect(server.requests[0].body).toMatchObject({ model: 'e5-remote', encoding_format: 'float' });

    const queries = await e.embedQueries(['where do rivers start']);
    expectClose(queries, [direct('query: where do rivers start', true)]);
    expect(await e.dimension()).toBe(16);
  });

  it('keeps raw vectors when normalize is false', async () => {
    const e = await createHttpEmbedder({ model: 'm', api: 'openai', url: server.url, normalize: false, maxBatch: 10, ...FAST }, ctx);
    expectClose(await e.embedDocuments(TEXTS.slice(0, 12)), TEXTS.slice(0, 12).map((t) => direct(t, false)));
  });

  it('asks for the dimension with one probe when nothing was embedded yet', async () => {
    const e = await createHttpEmbedder({ model: 'm', api: 'openai', url: server.url, ...FAST }, ctx);
    expect(await e.dimension()).toBe(16);
    expect(await e.dimension()).toBe(16);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['drop-index', /no embedding for 1 of the 10 texts sent/],
    ['out-of-range-index', /index 12, outside 0\.\.9/],
    ['duplicate-index', /appears twice/],
  ] as const)('%s: a clear error, never a misplaced vector', async (kind, message) => {
    server.inject({ kind }, { times: Infinity });
    const e = await createHttpEmbedder({ model: 'm', api: 'openai', url: server.url, maxBatch: 10, ...FAST }, ctx);
    const err = await rejection(e.embedDocuments(TEXTS.slice(0, 10)));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toContain('OpenAI embeddings request');
    expect(err.message).toMatch(message);
  });

  it('retries 429, 500, a reset and a slow answer to the right vectors', async () => {
    server.inject({ kind: 'status', status: 429 });
    server.inject({ kind: 'status', status: 500 });
    server.inject({ kind: 'reset' });
    server.inject({ kind: 'slow', delayMs: 1000 });
    // With one request at a time, the four faults hit the first chunk's four first attempts.
    const e = await createHttpEmbedder({ model: 'm', api: 'openai', url: server.url, maxBatch: 10, concurrency: 1, ...FAST, retries: 4 }, ctx);
    expectClose(await e.embedDocuments(TEXTS), TEXTS.map((t) => direct(t, true)));
    expect(server.requests.map((r) => r.fault ?? 'ok')).toEqual(['status', 'status', 'reset', 'slow', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('refuses an answer whose dimension differs from earlier ones', async () => {
    let dim = 16;
    const shifting = await startFakeServer({ embedder: (texts) => texts.map((t) => hashEmbedding(t, dim)) });
    try {
      const e = await createHttpEmbedder({ model: 'm', api: 'openai', url: shifting.url, ...FAST }, ctx);
      await e.embedDocuments(['a b c']);
      dim = 8;
      const err = await rejection(e.embedDocuments(['d e f']));
      expect(err.message).toContain('vectors of dimension 8, but earlier answers had dimension 16');
    } finally {
      await shifting.close();
    }
  });
});

describe('TEI /embed', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ maxClientBatchSize: 32, info: { model_id: 'BAAI/bge-small-en-v1.5', model_type: { embedding: { pooling: 'cls' } } } });
  });
  afterEach(() => {
    server.clearFaults();
    server.reset();
  });
  afterAll(() => server.close());

  it('sends inputs with normalize and truncate and reads the positional answer', async () => {
    const e = await createEmbedder({ model: 'bge-small', backend: 'http', api: 'tei', url: server.url, ...FAST }, ctx);
    expectClose(await e.embedDocuments(TEXTS), TEXTS.map((t) => direct(t, true)));
    expect(server.requests.map((r) => (r.body.inputs as string[]).length)).toEqual([32, 13]);
    expect(server.requests[0].body).toEqual({ inputs: TEXTS.slice(0, 32), normalize: true, truncate: true });
    expect(e.identity).toEqual({
      name: 'bge-small',
      backend: 'http',
      source: `${server.url}/embed`,
      weights: 'remote',
      settings: { api: 'tei', model: 'bge-small', queryPrefix: '', passagePrefix: '', normalize: true },
      server: { model_id: 'BAAI/bge-small-en-v1.5', model_sha: FAKE_MODEL_SHA, model_dtype: 'float32', pooling: 'cls', max_input_length: '512', version: '1.5.0' },
    });
  });

  it('takes max_client_batch_size from /info as the default maxBatch; a maxBatch given wins', async () => {
    const small = await startFakeServer({ maxClientBatchSize: 10 });
    try {
      const e = await createHttpEmbedder({ model: 'm', api: 'tei', url: small.url, ...FAST }, ctx);
      expectClose(await e.embedDocuments(TEXTS.slice(0, 25)), TEXTS.slice(0, 25).map((t) => direct(t, true)));
      expect(small.requests.map((r) => [r.status, (r.body.inputs as string[]).length])).toEqual([
        [200, 10],
        [200, 10],
        [200, 5],
      ]);
      small.reset();
      const given = await createHttpEmbedder({ model: 'm', api: 'tei', url: small.url, maxBatch: 4, ...FAST }, ctx);
      await given.embedDocuments(TEXTS.slice(0, 8));
      expect(small.requests.map((r) => (r.body.inputs as string[]).length)).toEqual([4, 4]);
    } finally {
      await small.close();
    }
  });

  it('without /info (404) it still embeds, and the identity says the server did not describe itself', async () => {
    server.setInfo(null);
    try {
      const e = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx);
      expect(server.getRequests.map((r) => [r.route, r.status])).toEqual([['/info', 404]]);
      expect(e.identity.server).toBeNull();
      expectClose(await e.embedQueries(['rivers']), [direct('rivers', true)]);
    } finally {
      server.setInfo({ model_id: 'BAAI/bge-small-en-v1.5', model_type: { embedding: { pooling: 'cls' } } });
    }
  });

  it('another model or pooling behind the same URL gets another cache key', async () => {
    const a = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx);
    server.setInfo({ model_id: 'BAAI/bge-small-en-v1.5', model_type: { embedding: { pooling: 'mean' } } });
    const b = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx);
    server.setInfo({ model_id: 'BAAI/bge-small-en-v1.5', model_type: { embedding: { pooling: 'cls' } }, model_sha: 'fedcba9876543210fedcba9876543210fedcba98' });
    const c = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx);
    server.setInfo({ model_id: 'BAAI/bge-small-en-v1.5', model_type: { embedding: { pooling: 'cls' } } });
    expect(new Set([a, b, c].map((e) => identityKey(e.identity))).size).toBe(3);
  });

  it('stats count the waits before retries, by cause, cumulatively', async () => {
    // The Embedder interface has no stats(); the http embedder has.
    const e = (await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx)) as Embedder & { stats(): HttpEmbedStats };
    server.inject({ kind: 'status', status: 429, retryAfter: '0' });
    await e.embedQueries(['rivers']);
    const first = e.stats();
    server.inject({ kind: 'status', status: 500 });
    await e.embedQueries(['mountains']);
    const second = e.stats();
    expect(first).toMatchObject({ requests: 2, retries: 1, retryAfterWaits: 1, backoffWaitMs: 0 });
    expect(first.retryAfterWaitMs).toBeGreaterThan(0);
    expect(second).toMatchObject({ requests: 4, retries: 2, retryAfterWaits: 1, retryAfterWaitMs: first.retryAfterWaitMs });
    expect(second.backoffWaitMs).toBeGreaterThan(0);
  });

  it('takes the harness options: batchSize caps the request size, threads is ignored', async () => {
    const e = await createEmbedder({ model: 'm', backend: 'http', api: 'tei', url: server.url, batchSize: 20, threads: undefined, ...FAST }, ctx);
    const e2 = await createEmbedder({ model: 'm', backend: 'http', api: 'tei', url: server.url, threads: 2, ...FAST }, ctx);
    expectClose(await e.embedDocuments(TEXTS), TEXTS.map((t) => direct(t, true)));
    expect(server.requests.map((r) => (r.body.inputs as string[]).length)).toEqual([20, 20, 5]);
    expect(e2.identity).toEqual(e.identity);
  });

  it('a count mismatch is a clear error (TEI answers by position)', async () => {
    server.inject({ kind: 'drop-index' }, { times: Infinity });
    const e = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST }, ctx);
    const err = await rejection(e.embedDocuments(TEXTS.slice(0, 5)));
    expect(err.message).toContain('TEI embed request');
    expect(err.message).toContain('failed after 2 attempts: 4 vectors for the 5 texts sent');
  });

  it('500 always fails with the attempts counted', async () => {
    server.inject({ kind: 'status', status: 503 }, { times: Infinity });
    const e = await createHttpEmbedder({ model: 'm', api: 'tei', url: server.url, ...FAST, retries: 2 }, ctx);
    const err = await rejection(e.embedQueries(['x']));
    expect(err.message).toContain('failed after 3 attempts: HTTP 503 Service Unavailable: injected 503 (Backend)');
  });
});

describe('spec', () => {
  it('defaults to the OpenAI API and refuses unknown options', async () => {
    const e = await createHttpEmbedder({ model: 'text-embedding-3-small', url: 'https://api.example.com/v1' }, ctx);
    expect(e.identity.source).toBe('https://api.example.com/v1/embeddings');
    // The OpenAI API does not say which weights serve a model name (and nothing was asked).
    expect(e.identity.server).toBeNull();
    expect(e.identity.settings).toMatchObject({ api: 'openai', model: 'text-embedding-3-small' });
    const err = await rejection(createHttpEmbedder({ model: 'm', url: 'http://h', pooling: 'mean' }, ctx));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('unknown option `pooling`');
  });
});
