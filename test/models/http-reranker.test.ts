/**
 * The http reranker against local fake servers of each API: correct placement of scores by index under
 * sorted and shuffled answers, request splitting, 413 discovery, TEI `/info` in the identity, retries,
 * timeouts, protocol checks, concurrency bound, API keys, stats (waits before retries by cause).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { RemoteError } from '../../src/models/http/client.js';
import { createHttpReranker, type HttpRerankStats } from '../../src/models/http/reranker.js';
import { identityKey } from '../../src/models/embedding-cache.js';
import { needsScoreCanary } from '../../src/models/identity.js';
import { createReranker } from '../../src/models/registry.js';
import type { Reranker } from '../../src/models/types.js';
import { FAKE_MODEL_SHA, lexicalScorer, startFakeServer, type FakeServer } from '../helpers/fake-servers.js';
import { rejection } from '../helpers/errors.js';

const ctx = { modelsDir: '/nonexistent-models' };
/** Fast retry settings for tests. */
const FAST = { timeoutMs: 300, retries: 3, backoffMs: 5, maxBackoffMs: 20 };

const TOPICS = ['protein', 'folding', 'cell', 'membrane', 'gene', 'expression', 'virus', 'vaccine', 'neuron', 'cortex', 'climate', 'ocean'];
/** 70 distinct documents with varying overlap with the query. */
const DOCS: string[] = Array.from({ length: 70 }, (_, i) => {
  const a = TOPICS[i % TOPICS.length];
  const b = TOPICS[(i * 7 + 3) % TOPICS.length];
  const c = TOPICS[(i * 5 + 1) % TOPICS.length];
  return `doc ${i}: ${a} ${b} ${i % 3 === 0 ? a : c} study number ${i}`;
});
const QUERY = 'protein folding in the cell membrane';

async function expected(query: string, docs: string[]): Promise<Float64Array> {
  return Float64Array.from(await lexicalScorer(query, docs));
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('expected scores are a usable oracle', () => {
  it('all 70 documents have distinct scores, so a misplaced score cannot go unnoticed', async () => {
    const s = await expected(QUERY, DOCS);
    expect(new Set(s).size).toBe(DOCS.length);
  });
});

describe.each([
  { api: 'tei', order: 'score' },
  { api: 'tei', order: 'shuffled' },
  { api: 'cohere-v1', order: 'score' },
  { api: 'cohere-v2', order: 'shuffled' },
  { api: 'jina', order: 'score' },
  { api: 'jina', order: 'shuffled' },
] as const)('$api, results in $order order', ({ api, order }) => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ order, v1Rerank: api === 'jina' ? 'jina' : 'cohere' });
  });
  afterAll(() => server.close());

  it('gives every document its own score, across split requests', async () => {
    const r = await createReranker({ model: 'rerank-test', backend: 'http', api, url: server.url, ...FAST }, ctx);
    const scores = await r.score(QUERY, DOCS);
    expect(Array.from(scores)).toEqual(Array.from(await expected(QUERY, DOCS)));
    // 70 documents, 32 per request by default.
    expect(server.requests.map((q) => (q.body.texts ?? q.body.documents) as string[]).map((t) => t.length)).toEqual([32, 32, 6]);
    const body = server.requests[2].body;
    if (api === 'tei') {
      expect(body).toEqual({ query: QUERY, texts: DOCS.slice(64), raw_scores: true, truncate: true });
    } else {
      expect(body).toEqual({ model: 'rerank-test', query: QUERY, documents: DOCS.slice(64), top_n: 6 });
      expect(server.requests[0].route).toBe(api === 'cohere-v2' ? '/v2/rerank' : '/v1/rerank');
    }
  });
});

describe('TEI specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ order: 'shuffled', maxClientBatchSize: 8 });
  });
  afterEach(() => {
    server.clearFaults();
    server.reset();
  });
  afterAll(() => server.close());

  const tei = (extra: Record<string, unknown> = {}): Promise<Reranker> =>
    createHttpReranker({ model: 'tei', backend: 'http', api: 'tei', url: server.url, ...FAST, ...extra }, ctx);

  it('halves a request refused with 413, remembers the limit and never exceeds it again', async () => {
    // A maxBatch above the server's limit (8), as a user may set it or a server without /info leaves it.
    const r = await tei({ maxBatch: 32 });
    const docs = DOCS.slice(0, 40);
    expect(Array.from(await r.score(QUERY, docs))).toEqual(Array.from(await expected(QUERY, docs)));
    const statuses = server.requests.map((q) => q.status);
    expect(statuses).toContain(413);
    expect((r.stats!() as HttpRerankStats).maxBatch).toBe(8);

    server.reset();
    expect(Array.from(await r.score(QUERY, DOCS))).toEqual(Array.from(await expected(QUERY, DOCS)));
    expect(server.requests.every((q) => q.status === 200 && (q.body.texts as string[]).length <= 8)).toBe(true);
    expect(server.requests).toHaveLength(Math.ceil(DOCS.length / 8));
  });

  it('uses the caller batch size when smaller than the limit', async () => {
    const r = await tei({ maxBatch: 8 });
    await r.score(QUERY, DOCS.slice(0, 25), { batchSize: 5 });
    expect(server.requests.map((q) => (q.body.texts as string[]).length)).toEqual([5, 5, 5, 5, 5]);
  });

  it('sends raw_scores false and returns TEI sigmoid scores when rawScores is false', async () => {
    const r = await tei({ rawScores: false, maxBatch: 8 });
    const docs = DOCS.slice(0, 16);
    const got = await r.score(QUERY, docs);
    expect(Array.from(got)).toEqual(Array.from(await expected(QUERY, docs)).map(sigmoid));
    expect(server.requests[0].body.raw_scores).toBe(false);
    expect(r.identity.settings).toEqual({ api: 'tei', model: 'tei', rawScores: false });
  });

  it('sums the timing headers into stats', async () => {
    const r = await tei({ maxBatch: 8 });
    await r.score(QUERY, DOCS.slice(0, 20));
    const s = r.stats!();
    expect(server.reported.inferenceMs).toBe(20);
    expect(s.serverInferenceMs).toBe(server.reported.inferenceMs);
    expect(s.serverQueueMs).toBe(server.reported.queueMs);
    expect(s.serverTokenizationMs).toBe(server.reported.tokenizationMs);
    expect(s.requests).toBe(3);
    expect(s.retries).toBe(0);
  });

  it('fails clearly when the server refuses even one document', async () => {
    const tiny = await startFakeServer({ maxClientBatchSize: 0 });
    try {
      const r = await createHttpReranker({ model: 'tei', api: 'tei', url: tiny.url, ...FAST }, ctx);
      const e = await rejection(r.score(QUERY, DOCS.slice(0, 4)));
      expect(e).toBeInstanceOf(RemoteError);
      expect((e as RemoteError).status).toBe(413);
      expect(e.message).toContain('HTTP 413');
      expect(e.message).toContain('batch size 1 > maximum allowed batch size 0');
      expect(e.message).toContain('lower `maxBatch`');
    } finally {
      await tiny.close();
    }
  });

  it('returns an empty result for no documents without calling the server', async () => {
    const r = await tei();
    expect(await r.score(QUERY, [])).toEqual(new Float64Array(0));
    expect(server.requests).toHaveLength(0);
  });
});

describe('TEI /info: the server says which model it serves', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ maxClientBatchSize: 8, info: { model_id: 'BAAI/bge-reranker-base', model_dtype: 'float16', version: '1.7.2' } });
  });
  afterEach(() => {
    server.clearFaults();
    server.setInfo({ model_id: 'BAAI/bge-reranker-base', model_dtype: 'float16', version: '1.7.2' });
    server.reset();
  });
  afterAll(() => server.close());

  const tei = (extra: Record<string, unknown> = {}): Promise<Reranker> =>
    createHttpReranker({ model: 'bge', api: 'tei', url: server.url, ...FAST, ...extra }, ctx);

  it('puts model id, revision, dtype and TEI version in the identity, asking once, outside the stats', async () => {
    const r = await tei();
    expect(r.identity.server).toEqual({ model_id: 'BAAI/bge-reranker-base', model_sha: FAKE_MODEL_SHA, model_dtype: 'float16', max_input_length: '512', version: '1.7.2' });
    expect(server.getRequests.map((q) => [q.route, q.status])).toEqual([['/info', 200]]);
    await r.score(QUERY, DOCS.slice(0, 5));
    expect(server.getRequests).toHaveLength(1);
    expect(r.stats!().requests).toBe(1);
    // A commit id names the weights for good: no re-scoring needed.
    expect(needsScoreCanary(r.identity)).toBe(false);
  });

  it('another model behind the same URL gets another cache key', async () => {
    const a = await tei();
    server.setInfo({ model_id: 'BAAI/bge-reranker-base', model_dtype: 'float16', version: '1.7.2', model_sha: 'fedcba9876543210fedcba9876543210fedcba98' });
    const b = await tei();
    server.setInfo({ model_id: 'BAAI/bge-reranker-large', model_dtype: 'float16', version: '1.7.2' });
    const c = await tei();
    server.setInfo({ model_id: 'BAAI/bge-reranker-base', model_dtype: 'float32', version: '1.7.2' });
    const d = await tei();
    expect(new Set([a, b, c, d].map((r) => r.identity.source)).size).toBe(1);
    expect(new Set([a, b, c, d].map((r) => identityKey(r.identity))).size).toBe(4);
    expect(identityKey((await tei()).identity)).toBe(identityKey(d.identity));
  });

  it('a server without /info (a proxy answering 404) still reranks; the identity says it did not describe itself', async () => {
    server.setInfo(null);
    const r = await tei();
    expect(server.getRequests.map((q) => q.status)).toEqual([404]);
    expect(r.identity.server).toBeNull();
    expect(needsScoreCanary(r.identity)).toBe(true);
    await expectScores(r);
  });

  it('an /info answer that is not TEI\'s, or that keeps failing, is not a description; a transient failure is retried', async () => {
    server.inject({ kind: 'wrong-shape' }, { route: '/info', times: Infinity });
    expect((await tei()).identity.server).toBeNull();
    server.clearFaults();
    server.inject({ kind: 'status', status: 503 }, { route: '/info', times: Infinity });
    const failing = await tei({ retries: 1 });
    expect(failing.identity.server).toBeNull();
    await expectScores(failing);
    server.clearFaults();
    server.reset();
    server.inject({ kind: 'status', status: 503 }, { route: '/info' });
    expect((await tei()).identity.server).toMatchObject({ model_id: 'BAAI/bge-reranker-base' });
    expect(server.getRequests.map((q) => q.status)).toEqual([503, 200]);
  });

  it('a revision that is not a commit (none, or a branch) does not pin the weights', async () => {
    server.setInfo({ model_id: 'BAAI/bge-reranker-base', model_sha: null });
    const none = await tei();
    expect(none.identity.server).not.toHaveProperty('model_sha');
    expect(needsScoreCanary(none.identity)).toBe(true);
    server.setInfo({ model_id: 'BAAI/bge-reranker-base', model_sha: 'main' });
    expect(needsScoreCanary((await tei()).identity)).toBe(true);
  });

  it('takes max_client_batch_size as the default maxBatch: no 413 to discover', async () => {
    const r = await tei();
    await expectScores(r, DOCS.slice(0, 20));
    expect(server.requests.map((q) => [q.status, (q.body.texts as string[]).length])).toEqual([
      [200, 8],
      [200, 8],
      [200, 4],
    ]);
    expect((r.stats!() as HttpRerankStats).maxBatch).toBe(8);
  });

  it('a maxBatch given by the user wins over the server\'s', async () => {
    const r = await tei({ maxBatch: 5 });
    await expectScores(r, DOCS.slice(0, 10));
    expect(server.requests.map((q) => (q.body.texts as string[]).length)).toEqual([5, 5]);
  });

  it('other rerank APIs have no /info: not asked, not self-described', async () => {
    for (const api of ['cohere-v1', 'cohere-v2', 'jina']) {
      const r = await createHttpReranker({ model: 'm', api, url: server.url, ...FAST }, ctx);
      expect(r.identity.server).toBeNull();
      expect(needsScoreCanary(r.identity)).toBe(true);
    }
    expect(server.getRequests).toHaveLength(0);
  });

  it('asks /info with the API key', async () => {
    const KEY = 'sk-info-0123456789';
    const keyed = await startFakeServer({ apiKey: KEY });
    try {
      process.env.RBENCH_TEST_INFO_KEY = KEY;
      const r = await createHttpReranker({ model: 'm', api: 'tei', url: keyed.url, apiKeyEnv: 'RBENCH_TEST_INFO_KEY', ...FAST }, ctx);
      expect(keyed.getRequests.map((q) => q.headers.authorization)).toEqual([`Bearer ${KEY}`]);
      expect(r.identity.server).toMatchObject({ model_id: 'rbench/fake-reranker' });
    } finally {
      delete process.env.RBENCH_TEST_INFO_KEY;
      await keyed.close();
    }
  });

  async function expectScores(r: Reranker, docs: string[] = DOCS.slice(0, 6)): Promise<void> {
    expect(Array.from(await r.score(QUERY, docs))).toEqual(Array.from(await expected(QUERY, docs)));
  }
});

describe('faults', () => {
  let server: FakeServer;
  let jinaServer: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ order: 'shuffled' });
    jinaServer = await startFakeServer({ order: 'shuffled', v1Rerank: 'jina' });
  });
  afterEach(() => {
    for (const s of [server, jinaServer]) {
      s.clearFaults();
      s.reset();
    }
  });
  afterAll(async () => {
    await server.close();
    await jinaServer.close();
  });

  const docs = DOCS.slice(0, 20);
  const reranker = (api: string = 'tei', extra: Record<string, unknown> = {}): Promise<Reranker> =>
    createHttpReranker({ model: 'm', api, url: (api === 'jina' ? jinaServer : server).url, ...FAST, ...extra }, ctx);
  const expectCorrect = async (r: Reranker): Promise<void> => {
    expect(Array.from(await r.score(QUERY, docs))).toEqual(Array.from(await expected(QUERY, docs)));
  };

  it('429 with Retry-After: waits at least that long, then succeeds', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '1' });
    const r = await reranker();
    await expectCorrect(r);
    const [first, second] = server.requests;
    expect(first!.status).toBe(429);
    expect(second!.status).toBe(200);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
    const s = r.stats!() as HttpRerankStats;
    expect(s).toMatchObject({ requests: 2, retries: 1, retryAfterWaits: 1, backoffWaitMs: 0 });
    // The whole wait is the server's: at least its 1 s, counted once (backoff here is 5-10 ms).
    expect(s.retryAfterWaitMs).toBeGreaterThanOrEqual(990);
    expect(s.retryAfterWaitMs).toBeLessThan(1900);
  });

  it('a retry without Retry-After counts as backoff, not as a wait the server asked for', async () => {
    server.inject({ kind: 'status', status: 503 });
    const r = await reranker('tei', { backoffMs: 50, maxBackoffMs: 200 });
    await expectCorrect(r);
    const s = r.stats!() as HttpRerankStats;
    expect(s).toMatchObject({ retries: 1, retryAfterWaits: 0, retryAfterWaitMs: 0 });
    // p-retry waits 50 ms times a random factor in [1, 2).
    expect(s.backoffWaitMs).toBeGreaterThanOrEqual(45);
  });

  it('stats are cumulative snapshots: the difference around one call is what that call did', async () => {
    const r = await reranker('tei', { maxBatch: 10 });
    const s0 = r.stats!() as HttpRerankStats;
    server.inject({ kind: 'status', status: 429, retryAfter: '0' });
    await expectCorrect(r);
    const s1 = r.stats!() as HttpRerankStats;
    await expectCorrect(r);
    const s2 = r.stats!() as HttpRerankStats;
    server.inject({ kind: 'status', status: 429, retryAfter: '0' });
    await expectCorrect(r);
    const s3 = r.stats!() as HttpRerankStats;
    // Earlier snapshots are not changed by later calls.
    expect(s0).toMatchObject({ requests: 0, retries: 0, retryAfterWaits: 0, retryAfterWaitMs: 0, backoffWaitMs: 0 });
    expect(s1).toMatchObject({ requests: 3, retries: 1, retryAfterWaits: 1 });
    expect(s2).toMatchObject({ requests: 5, retries: 1, retryAfterWaits: 1, retryAfterWaitMs: s1.retryAfterWaitMs });
    expect(s3).toMatchObject({ requests: 8, retries: 2, retryAfterWaits: 2 });
    expect(s3.retryAfterWaitMs).toBeGreaterThan(s2.retryAfterWaitMs);
    // Server timing headers accumulate the same way: 20 documents of inference time per call.
    expect([s1, s2, s3].map((s) => s.serverInferenceMs)).toEqual([20, 40, 60]);
  });

  it('429 with a Retry-After beyond maxRetryAfterMs fails at once, saying so', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '3600' });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e).toBeInstanceOf(RemoteError);
    expect(e.message).toMatch(/HTTP 429.*retry after 3600 s, longer than maxRetryAfterMs \(60000 ms\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('500 once, then success', async () => {
    server.inject({ kind: 'status', status: 500 });
    const r = await reranker();
    await expectCorrect(r);
    expect(r.stats!()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('500 always: a clear error after all retries, with the server message', async () => {
    server.inject({ kind: 'status', status: 500, body: JSON.stringify({ error: 'CUDA out of memory', error_type: 'Backend' }) }, { times: Infinity });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e).toBeInstanceOf(RemoteError);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toContain(`TEI rerank request to ${server.url}/rerank failed after 4 attempts: HTTP 500 Internal Server Error: CUDA out of memory (Backend)`);
    expect(e.message).toContain('overloaded or failing');
    expect(server.requests).toHaveLength(4);
  });

  it('other 4xx are not retried and carry the trimmed server message', async () => {
    server.inject({ kind: 'status', status: 422, body: JSON.stringify({ error: `input too long ${'x'.repeat(2000)}`, error_type: 'Tokenizer' }) });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e.message).toContain('failed: HTTP 422 Unprocessable Entity: input too long xxx');
    expect(e.message.length).toBeLessThan(600);
    expect(server.requests).toHaveLength(1);
  });

  it('slow answer once: the attempt times out, the retry succeeds', async () => {
    server.inject({ kind: 'slow', delayMs: 1500 });
    const r = await reranker();
    await expectCorrect(r);
    expect(r.stats!().retries).toBe(1);
  });

  it('slow answers always: a clear timeout error after the retries', async () => {
    server.inject({ kind: 'slow', delayMs: 1500 }, { times: Infinity });
    const e = await rejection((await reranker('tei', { timeoutMs: 150, retries: 2 })).score(QUERY, docs));
    expect(e).toBeInstanceOf(RemoteError);
    expect((e as RemoteError).kind).toBe('timeout');
    expect(e.message).toContain('failed after 3 attempts: no complete answer within 150 ms');
    expect(e.message).toContain('Raise `timeoutMs`');
  });

  it('an answer that stalls mid-body counts against the timeout too', async () => {
    server.inject({ kind: 'stall', delayMs: 1500 });
    const r = await reranker();
    await expectCorrect(r);
    expect(server.requests.map((q) => q.fault ?? 'ok')).toEqual(['stall', 'ok']);
    expect(r.stats!().retries).toBe(1);
  });

  it('malformed JSON once is retried; twice is a clear protocol error', async () => {
    server.inject({ kind: 'malformed-json' });
    await expectCorrect(await reranker());
    server.reset();
    server.inject({ kind: 'malformed-json' }, { times: Infinity });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e.message).toContain(`TEI rerank request to ${server.url}/rerank failed after 2 attempts: the answer is not valid JSON`);
    expect(server.requests).toHaveLength(2);
  });

  it('an answer of the wrong shape is a clear error naming what was expected', async () => {
    server.inject({ kind: 'wrong-shape' }, { times: Infinity });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e.message).toContain('expected the answer to be an array of results, got an object with keys unexpected, items');
    jinaServer.inject({ kind: 'wrong-shape' }, { times: Infinity });
    const e2 = await rejection((await reranker('jina')).score(QUERY, docs));
    expect(e2.message).toContain('Jina rerank request');
    expect(e2.message).toContain('expected an object with `results`');
  });

  it.each([
    ['drop-index', /no score for 1 of the 20 texts sent \(missing index \d+\)/],
    ['out-of-range-index', /a result has index 22, outside 0\.\.19 for the 20 texts sent/],
    ['duplicate-index', /index \d+ appears twice in the results/],
  ] as const)('%s always: an error, never a misattached score', async (kind, message) => {
    server.inject({ kind }, { times: Infinity });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect(e).toBeInstanceOf(RemoteError);
    expect((e as RemoteError).kind).toBe('protocol');
    expect(e.message).toMatch(message);
  });

  it('a missing index once is retried to a correct answer', async () => {
    server.inject({ kind: 'drop-index' });
    const r = await reranker();
    await expectCorrect(r);
    expect(r.stats!().retries).toBe(1);
  });

  it('Jina: a result whose echoed document is not the one at its index is refused', async () => {
    jinaServer.inject({ kind: 'swap-index' }, { times: Infinity });
    const e = await rejection((await reranker('jina')).score(QUERY, docs));
    expect(e.message).toMatch(/the result for index \d+ echoes a different document text than the one sent at that index/);
  });

  it('connection reset mid-answer once is retried; always is a clear network error', async () => {
    server.inject({ kind: 'reset' });
    await expectCorrect(await reranker());
    server.reset();
    server.inject({ kind: 'reset' }, { times: Infinity });
    const e = await rejection((await reranker()).score(QUERY, docs));
    expect((e as RemoteError).kind).toBe('network');
    expect(e.message).toContain('failed after 4 attempts: network error: terminated');
    expect(e.message).toContain('Check that the server is running');
  });

  it('a refused connection is a clear network error', async () => {
    const gone = await startFakeServer();
    const url = gone.url;
    await gone.close();
    const r = await createHttpReranker({ model: 'm', api: 'tei', url, ...FAST, retries: 1 }, ctx);
    const e = await rejection(r.score(QUERY, docs));
    expect(e.message).toMatch(/failed after 2 attempts: network error: fetch failed \(ECONNREFUSED/);
  });

  it('faults on some requests of a split call leave the others correct and in place', async () => {
    server.inject({ kind: 'status', status: 503 }, { times: 2 });
    server.inject({ kind: 'reset' }, { times: 1 });
    server.inject({ kind: 'drop-index' }, { times: 1 });
    const r = await reranker('tei', { maxBatch: 4 });
    const got = await r.score(QUERY, DOCS);
    expect(Array.from(got)).toEqual(Array.from(await expected(QUERY, DOCS)));
    expect(r.stats!().retries).toBe(4);
  });

  it('a caller abort stops the call with the abort reason, without retries', async () => {
    server.inject({ kind: 'slow', delayMs: 1000 }, { times: Infinity });
    const controller = new AbortController();
    const r = await reranker('tei', { timeoutMs: 5000 });
    const p = r.score(QUERY, docs, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stopped by the user')), 50);
    const e = await rejection(p);
    expect(e.message).toBe('stopped by the user');
    expect(server.requests).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('never has more than `concurrency` requests in flight, and does use them', async () => {
    const server = await startFakeServer({ latencyMs: 40 });
    try {
      const r = await createHttpReranker({ model: 'm', api: 'tei', url: server.url, maxBatch: 4, concurrency: 3, ...FAST }, ctx);
      expect(Array.from(await r.score(QUERY, DOCS))).toEqual(Array.from(await expected(QUERY, DOCS)));
      expect(server.requests).toHaveLength(18);
      expect(server.maxInFlight).toBeLessThanOrEqual(3);
      expect(server.maxInFlight).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });
});

describe('API keys', () => {
  const KEY = 'sk-test-9f8e7d6c5b4a';
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer({ apiKey: KEY, v1Rerank: 'cohere' });
  });
  afterEach(() => {
    delete process.env.RBENCH_TEST_KEY;
    delete process.env.RBENCH_TEST_WRONG_KEY;
  });
  afterAll(() => server.close());

  it('sends the key from the named environment variable as a bearer token, and keeps it out of identity', async () => {
    process.env.RBENCH_TEST_KEY = KEY;
    const r = await createHttpReranker({ model: 'rerank-v3', api: 'cohere-v2', url: server.url, apiKeyEnv: 'RBENCH_TEST_KEY', ...FAST }, ctx);
    expect(Array.from(await r.score(QUERY, DOCS.slice(0, 5)))).toEqual(Array.from(await expected(QUERY, DOCS.slice(0, 5))));
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(r.identity)).not.toContain(KEY);
    expect(JSON.stringify(r.identity)).not.toContain('RBENCH_TEST_KEY');
  });

  it('keeps a wrong key out of the error even when the server echoes it', async () => {
    const wrong = 'sk-wrong-0123456789';
    process.env.RBENCH_TEST_WRONG_KEY = wrong;
    const r = await createHttpReranker({ model: 'rerank-v3', api: 'cohere-v2', url: server.url, apiKeyEnv: 'RBENCH_TEST_WRONG_KEY', ...FAST }, ctx);
    const e = await rejection(r.score(QUERY, DOCS.slice(0, 5)));
    expect(server.requests.at(-1)!.status).toBe(401);
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toContain('invalid credentials: got Authorization "Bearer ***"');
    expect(e.message).not.toContain(wrong);
    expect(e.message).toContain('Check the key in $RBENCH_TEST_WRONG_KEY');
    expect(String(e.stack)).not.toContain(wrong);
  });

  it('a missing key variable is a usage error naming it', async () => {
    const e = await rejection(createHttpReranker({ model: 'm', api: 'cohere-v2', url: server.url, apiKeyEnv: 'RBENCH_TEST_KEY' }, ctx));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toContain('the environment variable RBENCH_TEST_KEY (named by `apiKeyEnv`) is not set');
  });
});

describe('spec validation and identity', () => {
  it('identity: remote weights, endpoint without credentials or query string, settings that change scores', async () => {
    const r = await createHttpReranker({ model: 'rerank-english-v3.0', api: 'cohere-v2', url: 'https://api.example.com/v2?token=abc' }, ctx);
    expect(r.identity).toEqual({
      name: 'rerank-english-v3.0',
      backend: 'http',
      source: 'https://api.example.com/v2/rerank',
      weights: 'remote',
      settings: { api: 'cohere-v2', model: 'rerank-english-v3.0', rawScores: null },
      server: null,
    });
  });

  it('accepts and ignores the threads option the harness passes to every backend', async () => {
    // retries 0: nothing answers there, and /info is asked once without retries.
    const a = await createReranker({ model: 'm', backend: 'http', url: 'http://h:1', retries: 0, threads: undefined }, ctx);
    const b = await createReranker({ model: 'm', backend: 'http', url: 'http://h:1', retries: 0, threads: 2 }, ctx);
    expect(b.identity).toEqual(a.identity);
  });

  it('a bare URL as the model routes to the http backend, TEI by default, name without query string', async () => {
    const r = await createReranker('http://127.0.0.1:9/rerank?key=abc', ctx);
    expect(r.identity.name).toBe('http://127.0.0.1:9/rerank');
    expect(r.identity.source).toBe('http://127.0.0.1:9/rerank');
    expect(r.identity.settings).toEqual({ api: 'tei', model: null, rawScores: true });
  });

  it.each([
    [{ model: 'm', api: 'tei' }, /has no endpoint/],
    [{ model: 'm', api: 'tei', url: 'http://user:pw@host:1' }, /`url` contains credentials/],
    [{ model: 'm', api: 'tei', url: 'ftp://host' }, /must use http or https/],
    [{ model: 'm', api: 'openai', url: 'http://h' }, /`api` Invalid option: expected one of "tei"\|"cohere-v1"\|"cohere-v2"\|"jina"/],
    [{ model: 'm', api: 'tei', url: 'http://h', maxbatch: 4 }, /unknown option `maxbatch`\. Allowed options: model, url, apiKeyEnv/],
    [{ model: 'm', api: 'tei', url: 'http://h', maxBatch: 0 }, /`maxBatch`/],
    [{ model: 'm', api: 'jina', url: 'http://h', rawScores: true }, /`rawScores` applies to api tei only/],
    [{ model: 'm', api: 'tei', url: 'http://h', apiKeyEnv: 'not a name' }, /must be an environment variable name/],
  ])('%j is refused with a usage error', async (spec, message) => {
    const e = await rejection(createHttpReranker(spec, ctx));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(message);
  });
});
