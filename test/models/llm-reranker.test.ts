/**
 * The pointwise LLM reranker against a local OpenAI-compatible chat server whose "LLM" judges by word
 * overlap: strict answer parsing, one re-ask, failures as NaN, token sums, templates, identity, faults,
 * waits before retries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { RemoteError } from '../../src/models/http/client.js';
import { needsScoreCanary } from '../../src/models/identity.js';
import { parseAnswer, render } from '../../src/models/llm/prompt.js';
import { createLlmReranker, type LlmRerankStats } from '../../src/models/llm/reranker.js';
import { createReranker } from '../../src/models/registry.js';
import { overlapJudgement, startFakeServer, type FakeServer } from '../helpers/fake-servers.js';
import { rejection } from '../helpers/errors.js';

const ctx = { modelsDir: '/nonexistent-models' };
const FAST = { timeoutMs: 300, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
const QUERY = 'solar panel efficiency in cold climates';
const DOCS = [
  'Wind turbines in offshore farms.',
  'Solar panel output rises in cold weather because efficiency improves at low temperature.',
  'Cold climates and heating costs.',
  'Efficiency of solar cells.',
  'A recipe for bread.',
  'Panel discussion on climates of opinion.',
];

describe('parseAnswer', () => {
  it.each([
    ['2', 2],
    [' 3 \n', 3],
    ['0', 0],
    ['1.5', 1.5],
    ['.5', 0.5],
  ])('reads %j as %d', (answer, value) => {
    expect(parseAnswer(answer, 0, 3)).toBe(value);
  });

  it.each(['Relevance: 2', 'high', '2/3', '4', '-1', '', '2.', '1e0', '2 3', '+2', '２', '3.0001'])('refuses %j', (answer) => {
    expect(parseAnswer(answer, 0, 3)).toBeUndefined();
  });

  it('fills placeholders in one pass, leaving placeholder-like text inside a document alone', () => {
    expect(render('Q={query} D={document} [{min},{max}]', { query: 'q {document}', document: 'd {query}', min: 1, max: 5 })).toBe('Q=q {document} D=d {query} [1,5]');
  });
});

describe('LLM reranker', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer();
  });
  afterEach(() => {
    server.clearFaults();
    server.reset();
  });
  afterAll(() => server.close());

  const llm = (extra: Record<string, unknown> = {}) => createReranker({ model: 'judge-7b', backend: 'llm', url: `${server.url}/v1`, ...FAST, ...extra }, ctx);
  const direct = DOCS.map((d) => overlapJudgement(QUERY, d));

  it('the oracle gives varied judgements', () => {
    expect(new Set(direct).size).toBeGreaterThanOrEqual(3);
  });

  it('scores every pair with the number the model answered, and sums token usage', async () => {
    const r = await llm();
    expect(Array.from(await r.score(QUERY, DOCS))).toEqual(direct);
    expect(server.requests).toHaveLength(DOCS.length);
    const body = server.requests[0].body as { model: string; messages: Array<{ role: string; content: string }>; temperature: number; max_tokens: number };
    expect(server.requests[0].route).toBe('/v1/chat/completions');
    expect(body.model).toBe('judge-7b');
    expect(body.temperature).toBe(0);
    expect(body.max_tokens).toBe(16);
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[0].content).toContain('from 0 (not relevant at all) to 3');
    const stats = r.stats!() as LlmRerankStats;
    expect(stats.promptTokens).toBe(server.reported.promptTokens);
    expect(stats.completionTokens).toBe(server.reported.completionTokens);
    expect(stats.promptTokens).toBeGreaterThan(DOCS.length * 20);
    expect(stats).toMatchObject({ requests: DOCS.length, retries: 0, failures: 0, unparsableAnswers: 0 });
  });

  it('asks again once, with a reminder, after an unparsable answer', async () => {
    server.inject({ kind: 'answer', text: 'Relevance: 2' }, { match: 'A recipe for bread' });
    const r = await llm();
    expect(Array.from(await r.score(QUERY, DOCS))).toEqual(direct);
    const bread = server.requests.filter((q) => JSON.stringify(q.body).includes('A recipe for bread'));
    expect(bread).toHaveLength(2);
    const userOf = (i: number): string => (bread[i].body.messages as Array<{ content: string }>)[1].content;
    expect(userOf(1)).toBe(`${userOf(0)}\n\nReply with a single number from 0 to 3 and nothing else.`);
    expect(r.stats!()).toMatchObject({ failures: 0, unparsableAnswers: 1, requests: DOCS.length + 1 });
    expect(r.stats!().completionTokens).toBe(server.reported.completionTokens);
  });

  it('records a pair answered unparsably twice as a failure with score NaN, never 0', async () => {
    server.inject({ kind: 'answer', text: 'high' }, { match: 'Efficiency of solar cells', times: 2 });
    const r = await llm();
    const scores = await r.score(QUERY, DOCS);
    expect(Number.isNaN(scores[3])).toBe(true);
    expect(Array.from(scores).filter((_, i) => i !== 3)).toEqual(direct.filter((_, i) => i !== 3));
    expect(r.stats!()).toMatchObject({ failures: 1, unparsableAnswers: 2 });
  });

  it('retries transport faults without counting them as failures; a dead server fails the call', async () => {
    server.inject({ kind: 'status', status: 500 });
    server.inject({ kind: 'reset' });
    server.inject({ kind: 'malformed-json' });
    server.inject({ kind: 'status', status: 429, retryAfter: '0' }, { match: 'A recipe for bread' });
    const r = await llm({ concurrency: 1 });
    expect(Array.from(await r.score(QUERY, DOCS))).toEqual(direct);
    expect(r.stats!()).toMatchObject({ retries: 4, failures: 0, retryAfterWaits: 1 });
    expect(r.stats!().backoffWaitMs).toBeGreaterThan(0);
    expect(r.stats!().retryAfterWaitMs).toBeGreaterThan(0);

    server.inject({ kind: 'status', status: 502 }, { times: Infinity });
    const e = await rejection(r.score(QUERY, DOCS));
    expect(e).toBeInstanceOf(RemoteError);
    expect(e.message).toContain(`LLM chat completions request to ${server.url}/v1/chat/completions failed after 4 attempts: HTTP 502`);
  });

  it('a wrong-shaped answer is a clear protocol error', async () => {
    server.inject({ kind: 'wrong-shape' }, { times: Infinity });
    const e = await rejection((await llm()).score(QUERY, DOCS.slice(0, 1)));
    expect(e.message).toContain('expected an object with a non-empty `choices` array, got an object with keys unexpected, items');
  });

  it('uses a custom template and scale, and puts both in the identity', async () => {
    const custom = await startFakeServer({
      chat: (_system, user) => {
        const m = /<q>(.*)<\/q>\s*<d>(.*)<\/d>/s.exec(user)!;
        return String(1 + overlapJudgement(m[1], m[2]));
      },
    });
    try {
      const template = 'Rate 1-5.\n<q>{query}</q>\n<d>{document}</d>';
      const r = await createLlmReranker({ model: 'judge', backend: 'llm', url: `${custom.url}/v1/`, promptTemplate: template, scale: [1, 5], temperature: 0.2, ...FAST }, ctx);
      expect(Array.from(await r.score(QUERY, DOCS))).toEqual(direct.map((d) => d + 1));
      expect((custom.requests[0].body.messages as Array<{ content: string }>)[0].content).toContain('from 1 (not relevant at all) to 5');
      const plain = await llm();
      expect(r.identity.settings).toMatchObject({ model: 'judge', scale: [1, 5], temperature: 0.2, maxTokens: 16 });
      expect(r.identity.settings!.promptSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.identity.settings!.promptSha256).not.toBe(plain.identity.settings!.promptSha256);
      expect(r.identity).toMatchObject({ name: 'judge', backend: 'llm', source: `${custom.url}/v1/chat/completions`, weights: 'remote' });
      // A chat API says nothing of the weights behind a model name: cached scores must be re-checked.
      expect(r.identity.server).toBeNull();
      expect(needsScoreCanary(r.identity)).toBe(true);
      expect(custom.getRequests).toHaveLength(0);
    } finally {
      await custom.close();
    }
  });

  it('keeps the API key in the header only', async () => {
    const KEY = 'sk-llm-secret-42';
    const keyed = await startFakeServer({ apiKey: 'sk-other' });
    process.env.RBENCH_LLM_TEST_KEY = KEY;
    try {
      const r = await createLlmReranker({ model: 'judge', url: `${keyed.url}/v1`, apiKeyEnv: 'RBENCH_LLM_TEST_KEY', ...FAST }, ctx);
      const e = await rejection(r.score(QUERY, DOCS.slice(0, 1)));
      expect(keyed.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
      expect(e.message).toContain('HTTP 401');
      expect(e.message).not.toContain(KEY);
      expect(JSON.stringify(r.identity)).not.toContain(KEY);
    } finally {
      delete process.env.RBENCH_LLM_TEST_KEY;
      await keyed.close();
    }
  });

  it.each([
    [{ model: 'judge', backend: 'llm' }, /has no endpoint/],
    [{ model: 'judge', backend: 'llm', url: 'http://h/v1', promptTemplate: 'Is {query} relevant?' }, /`promptTemplate` lacks \{document\}/],
    [{ model: 'judge', backend: 'llm', url: 'http://h/v1', promptTemplate: 'Rate it.' }, /lacks \{query\} and \{document\}/],
    [{ model: 'judge', backend: 'llm', url: 'http://h/v1', scale: [3, 0] }, /`scale` \[3, 0\] must be \[min, max\] with min < max/],
    [{ model: 'judge', backend: 'llm', url: 'http://h/v1', scale: [0, 2.5] }, /`scale\.1`/],
    [{ model: 'judge', backend: 'llm', url: 'http://h/v1', topP: 1 }, /unknown option `topP`/],
  ])('%j is refused with a usage error', async (spec, message) => {
    const e = await rejection(createLlmReranker(spec, ctx));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(message);
  });
});
