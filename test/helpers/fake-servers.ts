/**
 * Local HTTP servers (127.0.0.1, ephemeral port, node:http) speaking the remote inference APIs the http and
 * llm backends call, backed by pluggable models, with injectable faults.
 *
 * Routes of one server: TEI `GET /info`, `POST /rerank` and `POST /embed`; Cohere `POST /v1/rerank` (or Jina's answer
 * shape with `v1Rerank: 'jina'`) and `POST /v2/rerank`; OpenAI `POST /v1/embeddings` and
 * `POST /v1/chat/completions`. Results are sorted by score (as TEI, Cohere and Jina do) or shuffled.
 *
 * Models: `scorer(query, texts)` for rerank routes, `embedder(texts)` for embedding routes, `chat(system,
 * user)` for chat. Defaults are small deterministic functions (`lexicalScorer`, `hashEmbedder`,
 * `overlapJudge`); tests plug in real tiny models through the same signatures.
 *
 * Faults (`inject`) apply to the next `times` matching requests (all when `times` is Infinity); `match` limits a
 * fault to requests whose raw body contains the string, `route` to one route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../../src/random.js';

export type PairScorer = (query: string, texts: string[]) => number[] | Promise<number[]>;
export type TextEmbedder = (texts: string[]) => number[][] | Promise<number[][]>;
export type ChatModel = (system: string, user: string) => string | Promise<string>;

export type Fault =
  /** Answer with this status (body: TEI-style `{error, error_type}` unless given), optionally `Retry-After`. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Wait `delayMs` before answering normally. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** 200 with JSON of the wrong shape. */
  | { kind: 'wrong-shape' }
  /** Leave one result out. */
  | { kind: 'drop-index' }
  /** One result gets an index past the end. */
  | { kind: 'out-of-range-index' }
  /** One result repeats another's index. */
  | { kind: 'duplicate-index' }
  /** Two results exchange their indexes (their scores and echoed documents stay). */
  | { kind: 'swap-index' }
  /** Send the headers and half the body, then destroy the connection. */
  | { kind: 'reset' }
  /** Send the headers and half the body, wait `delayMs`, then the rest. */
  | { kind: 'stall'; delayMs: number }
  /** Chat only: answer with this text instead of the model's. */
  | { kind: 'answer'; text: string };

export interface FaultOptions {
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** Only requests whose raw body contains this string. */
  match?: string;
  /** Only this route, e.g. `/rerank`. Without it a fault applies to every route but `/info`. */
  route?: string;
}

export interface RecordedRequest {
  route: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** ms since the server started (performance.now based). */
  at: number;
  status: number;
  fault: Fault['kind'] | undefined;
}

export interface FakeServerOptions {
  scorer?: PairScorer;
  embedder?: TextEmbedder;
  chat?: ChatModel;
  /** Which API `/v1/rerank` speaks (default cohere). */
  v1Rerank?: 'cohere' | 'jina';
  /** TEI `--max-client-batch-size`: more texts than this in one request get 413 (default 32). */
  maxClientBatchSize?: number;
  /**
   * TEI `GET /info`: these fields over `teiInfo(maxClientBatchSize)`'s; `null`: no such route (404, as from a
   * proxy in front of TEI).
   */
  info?: Record<string, unknown> | null;
  /** Result order: by score, descending (default), or a seeded shuffle. */
  order?: 'score' | 'shuffled';
  /** Delay every answer by this many ms (to make concurrency observable). */
  latencyMs?: number;
  /** Require `Authorization: Bearer <apiKey>`; a wrong one gets 401 whose body echoes the header it got. */
  apiKey?: string;
  seed?: number;
}

/** What the server reported in answers that completed (usage and TEI timing headers), summed. */
export interface Reported {
  promptTokens: number;
  completionTokens: number;
  inferenceMs: number;
  queueMs: number;
  tokenizationMs: number;
}

export interface FakeServer {
  readonly url: string;
  /** POSTs to the model routes. */
  readonly requests: RecordedRequest[];
  /** GETs (`/info`), kept apart so that `requests` counts inference calls only. */
  readonly getRequests: RecordedRequest[];
  /** Largest number of requests in flight at once. */
  readonly maxInFlight: number;
  readonly reported: Reported;
  /** From now on `/info` answers these fields over `teiInfo`'s (another model behind the same URL); null: 404. */
  setInfo(fields: Record<string, unknown> | null): void;
  inject(fault: Fault, opts?: FaultOptions): void;
  clearFaults(): void;
  /** Forget recorded requests, in-flight maximum and reported sums. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Default deterministic models

export function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Lexical relevance: Σ over distinct query words found in the text of (1 + ln tf), plus a per-text offset
 * below 0.001 from the text's hash so that different texts almost never tie.
 */
export function lexicalScore(query: string, text: string): number {
  const tf = new Map<string, number>();
  for (const w of words(text)) tf.set(w, (tf.get(w) ?? 0) + 1);
  let s = 0;
  for (const q of new Set(words(query))) {
    const f = tf.get(q);
    if (f) s += 1 + Math.log(f);
  }
  return s + (fnv1a(text) % 1_000_000) / 1_000_000_000;
}

export const lexicalScorer: PairScorer = (query, texts) => texts.map((t) => lexicalScore(query, t));

/** Hashed bag of words, 16 dimensions, not normalised (so that client-side normalisation is visible). */
export function hashEmbedding(text: string, dim = 16): number[] {
  const v = new Array<number>(dim).fill(0);
  for (const w of words(text)) {
    const h = fnv1a(w);
    v[h % dim] += (h >>> 16) & 1 ? 1 : -1;
  }
  v[fnv1a(text) % dim] += 0.5;
  return v;
}

export const hashEmbedder: TextEmbedder = (texts) => texts.map((t) => hashEmbedding(t));

/** The deterministic "LLM" judgement: distinct query words found in the document, capped at 3. */
export function overlapJudgement(query: string, document: string): number {
  const doc = new Set(words(document));
  let n = 0;
  for (const q of new Set(words(query))) if (doc.has(q)) n += 1;
  return Math.min(3, n);
}

/**
 * Reads `Query: …` and `Document: …` from the user prompt (the default template's layout) and answers
 * `overlapJudgement` as a bare number.
 */
export const overlapJudge: ChatModel = (_system, user) => {
  const m = /Query:\s*([\s\S]*?)\n\s*\nDocument:\s*([\s\S]*?)\n\s*\n/.exec(user);
  if (!m) return 'I cannot find the query and the document.';
  return String(overlapJudgement(m[1], m[2]));
};

/** The revision the fake TEI reports by default (a commit id, as `--revision <sha>` would give). */
export const FAKE_MODEL_SHA = '0123456789abcdef0123456789abcdef01234567';

/** A TEI 1.5 `/info` answer (its real shape, every field), for a reranker with these limits. */
export function teiInfo(maxClientBatchSize = 32): Record<string, unknown> {
  return {
    model_id: 'rbench/fake-reranker',
    model_sha: FAKE_MODEL_SHA,
    model_dtype: 'float32',
    model_type: { reranker: { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } } },
    max_concurrent_requests: 512,
    max_input_length: 512,
    max_batch_tokens: 16384,
    max_batch_requests: null,
    max_client_batch_size: maxClientBatchSize,
    auto_truncate: false,
    tokenization_workers: 2,
    version: '1.5.0',
    sha: null,
    docker_label: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The server

interface Rule {
  fault: Fault;
  remaining: number;
  match?: string;
  route?: string;
}

class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}


const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function stringArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new HttpFault(422, { error: `\`${field}\` must be an array of strings`, error_type: 'Validation' });
  return v as string[];
}

function requireString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new HttpFault(422, { error: `\`${field}\` must be a string`, error_type: 'Validation' });
  return v;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const scorer = options.scorer ?? lexicalScorer;
  const embedder = options.embedder ?? hashEmbedder;
  const chat = options.chat ?? overlapJudge;
  const maxBatch = options.maxClientBatchSize ?? 32;
  const random = mulberry32(options.seed ?? 12345);
  const start = performance.now();
  const rules: Rule[] = [];
  const requests: RecordedRequest[] = [];
  const getRequests: RecordedRequest[] = [];
  const infoOf = (fields: Record<string, unknown> | null | undefined): Record<string, unknown> | null => (fields === null ? null : { ...teiInfo(maxBatch), ...fields });
  let info = infoOf(options.info);
  const reported: Reported = { promptTokens: 0, completionTokens: 0, inferenceMs: 0, queueMs: 0, tokenizationMs: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** A fault without `route` is for the model routes; `GET /info` gets only those that name it. */
  const takeFault = (route: string, raw: string): Fault | undefined => {
    for (const r of rules) {
      if (r.remaining <= 0) continue;
      if (r.route === undefined ? route === '/info' : r.route !== route) continue;
      if (r.match !== undefined && !raw.includes(r.match)) continue;
      r.remaining -= 1;
      return r.fault;
    }
    return undefined;
  };

  const order = <T extends { score: number }>(items: T[]): T[] => {
    if (options.order === 'shuffled') {
      const a = items.slice();
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    }
    return items.slice().sort((x, y) => y.score - x.score);
  };

  const checkBatch = (n: number): void => {
    if (n > maxBatch) throw new HttpFault(413, { error: `batch size ${n} > maximum allowed batch size ${maxBatch}`, error_type: 'Validation' });
    if (n === 0) throw new HttpFault(400, { error: 'batch is empty', error_type: 'Empty' });
  };

  /** Index-carrying results the list faults operate on. */
  const mutate = (list: Array<Record<string, unknown>>, fault: Fault | undefined, n: number): void => {
    if (!fault || list.length === 0) return;
    if (fault.kind === 'drop-index') list.splice(Math.floor(list.length / 2), 1);
    else if (fault.kind === 'out-of-range-index') list[0].index = n + 2;
    else if (fault.kind === 'duplicate-index' && list.length > 1) list[1].index = list[0].index;
    else if (fault.kind === 'swap-index' && list.length > 1) [list[0].index, list[1].index] = [list[1].index, list[0].index];
  };

  /** The normal answer of a route: [body, extra headers, usage/timing to count when sent]. */
  const answer = async (route: string, body: Record<string, unknown>, fault: Fault | undefined): Promise<{ json: unknown; headers: Record<string, string>; counts: Partial<Reported> }> => {
    switch (route) {
      case '/rerank': {
        const query = requireString(body.query, 'query');
        const texts = stringArray(body.texts, 'texts');
        checkBatch(texts.length);
        const raw = await scorer(query, texts);
        const scores = body.raw_scores === true ? raw : raw.map(sigmoid);
        const list: Array<Record<string, unknown> & { score: number }> = order(scores.map((score, index) => ({ index, score })));
        if (body.return_text === true) for (const r of list) r.text = texts[r.index as number];
        mutate(list, fault, texts.length);
        const t = { inferenceMs: texts.length, queueMs: 1, tokenizationMs: 2 };
        return {
          json: list,
          headers: { 'x-inference-time': String(t.inferenceMs), 'x-queue-time': String(t.queueMs), 'x-tokenization-time': String(t.tokenizationMs), 'x-total-time': String(texts.length + 3) },
          counts: t,
        };
      }
      case '/v1/rerank':
      case '/v2/rerank': {
        const query = requireString(body.query, 'query');
        const docs = stringArray(body.documents, 'documents');
        checkBatch(docs.length);
        const topN = typeof body.top_n === 'number' ? body.top_n : docs.length;
        const scores = await scorer(query, docs);
        const jina = route === '/v1/rerank' && options.v1Rerank === 'jina';
        const list: Array<Record<string, unknown> & { score: number }> = order(scores.map((s, index) => ({ index, score: s })))
          .slice(0, topN)
          .map((r) => (jina ? { index: r.index, relevance_score: r.score, document: { text: docs[r.index] }, score: r.score } : { index: r.index, relevance_score: r.score, score: r.score }));
        mutate(list, fault, docs.length);
        for (const r of list) delete (r as Record<string, unknown>).score;
        const json = jina
          ? { model: body.model ?? 'fake-jina', results: list, usage: { total_tokens: docs.reduce((a, d) => a + words(d).length, 0) } }
          : { id: `fake-${requests.length}`, results: list, meta: { api_version: { version: route === '/v2/rerank' ? '2' : '1' }, billed_units: { search_units: 1 } } };
        return { json, headers: {}, counts: {} };
      }
      case '/embed': {
        const inputs = stringArray(body.inputs, 'inputs');
        checkBatch(inputs.length);
        let vectors = await embedder(inputs);
        if (body.normalize !== false) vectors = vectors.map((v) => { const n = Math.hypot(...v); return n === 0 ? v : v.map((x) => x / n); });
        if (fault?.kind === 'drop-index') vectors = vectors.slice(0, -1);
        if (fault?.kind === 'out-of-range-index') vectors = [...vectors, vectors[0]];
        return { json: vectors, headers: {}, counts: {} };
      }
      case '/v1/embeddings': {
        const input = stringArray(body.input, 'input');
        checkBatch(input.length);
        const vectors = await embedder(input);
        const data: Array<Record<string, unknown> & { score: number }> = order(vectors.map((embedding, index) => ({ object: 'embedding', index, embedding, score: -index })));
        mutate(data, fault, input.length);
        for (const d of data) delete (d as Record<string, unknown>).score;
        const tokens = input.reduce((a, t) => a + words(t).length, 0);
        return { json: { object: 'list', data, model: body.model ?? 'fake-embed', usage: { prompt_tokens: tokens, total_tokens: tokens } }, headers: {}, counts: {} };
      }
      case '/v1/chat/completions': {
        const messages = body.messages;
        if (!Array.isArray(messages)) throw new HttpFault(400, { error: { message: '`messages` must be an array', type: 'invalid_request_error' } });
        const text = (role: string): string => messages.filter((m: { role?: unknown }) => m.role === role).map((m: { content?: unknown }) => String(m.content)).join('\n');
        const system = text('system');
        const user = text('user');
        const content = fault?.kind === 'answer' ? fault.text : await chat(system, user);
        const usage = { prompt_tokens: words(system).length + words(user).length, completion_tokens: Math.max(1, words(content).length) };
        return {
          json: {
            id: `chatcmpl-${requests.length}`,
            object: 'chat.completion',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
          },
          headers: {},
          counts: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens },
        };
      }
      default:
        throw new HttpFault(404, { error: `no route ${route}`, error_type: 'NotFound' });
    }
  };

  const count = (c: Partial<Reported>): void => {
    for (const k of Object.keys(c) as Array<keyof Reported>) reported[k] += c[k] ?? 0;
  };

  const server = http.createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const route = (req.url ?? '/').split('?')[0];
        const isGet = req.method === 'GET';
        const record: RecordedRequest = { route, headers: req.headers, body: {}, at: performance.now() - start, status: 0, fault: undefined };
        (isGet ? getRequests : requests).push(record);
        const send = (status: number, text: string, headers: Record<string, string> = {}, onSent?: () => void): void => {
          record.status = status;
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
          res.end(text, onSent);
        };
        try {
          if (isGet) {
            if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
              throw new HttpFault(401, { error: 'invalid credentials', error_type: 'Unauthorized' });
            }
            if (route !== '/info' || info === null) throw new HttpFault(404, { error: `no route ${route}`, error_type: 'NotFound' });
            const fault = takeFault(route, raw);
            record.fault = fault?.kind;
            if (fault?.kind === 'status') send(fault.status, fault.body ?? JSON.stringify({ error: `injected ${fault.status}`, error_type: 'Backend' }), fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {});
            else if (fault?.kind === 'wrong-shape') send(200, JSON.stringify({ unexpected: true }));
            else send(200, JSON.stringify(info));
            return;
          }
          try {
            record.body = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            throw new HttpFault(422, { error: 'request body is not JSON', error_type: 'Validation' });
          }
          if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
            throw new HttpFault(401, { error: `invalid credentials: got Authorization "${req.headers.authorization ?? ''}"`, error_type: 'Unauthorized' });
          }
          // Request validation (TEI's batch-size check) comes before any injected fault, so that faults
          // are spent on requests that would otherwise succeed.
          const texts = record.body.texts ?? record.body.documents ?? record.body.inputs ?? record.body.input;
          if (Array.isArray(texts)) checkBatch(texts.length);
          const fault = takeFault(route, raw);
          record.fault = fault?.kind;
          if (options.latencyMs) await delay(options.latencyMs);
          if (fault?.kind === 'status') {
            const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
            send(fault.status, fault.body ?? JSON.stringify({ error: `injected ${fault.status}`, error_type: fault.status === 429 ? 'Overloaded' : 'Backend' }), headers);
            return;
          }
          if (fault?.kind === 'slow') await delay(fault.delayMs);
          if (fault?.kind === 'malformed-json') {
            send(200, '{"results": [{"index": 0, "relevance_score": 0.5}, {"index": 1, "rel');
            return;
          }
          if (fault?.kind === 'wrong-shape') {
            send(200, JSON.stringify({ unexpected: true, items: [] }));
            return;
          }
          const { json, headers, counts } = await answer(route, record.body, fault);
          const text = JSON.stringify(json);
          if (fault?.kind === 'reset') {
            record.status = 200;
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
            res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
            return;
          }
          if (fault?.kind === 'stall') {
            record.status = 200;
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
            const half = Math.floor(text.length / 2);
            res.write(text.slice(0, half));
            await delay(fault.delayMs);
            if (!res.destroyed) res.end(text.slice(half), () => count(counts));
            return;
          }
          send(200, text, headers, () => count(counts));
        } catch (e) {
          if (e instanceof HttpFault) send(e.status, JSON.stringify(e.body));
          else send(500, JSON.stringify({ error: e instanceof Error ? e.message : String(e), error_type: 'Backend' }));
        }
      })();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    getRequests,
    get maxInFlight() {
      return maxInFlight;
    },
    reported,
    setInfo(fields) {
      info = infoOf(fields);
    },
    inject(fault, opts = {}) {
      rules.push({ fault, remaining: opts.times ?? 1, match: opts.match, route: opts.route });
    },
    clearFaults() {
      rules.length = 0;
    },
    reset() {
      requests.length = 0;
      getRequests.length = 0;
      maxInFlight = inFlight;
      for (const k of Object.keys(reported) as Array<keyof Reported>) reported[k] = 0;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
