/**
 * Remote rerank APIs as a `Reranker`: text-embeddings-inference `/rerank`, Cohere-compatible `/v1/rerank`
 * and `/v2/rerank` (also vLLM), Jina `/v1/rerank`.
 *
 * Spec: `{ backend: 'http', api: 'tei' | 'cohere-v1' | 'cohere-v2' | 'jina' (default tei), url, model?,
 * apiKeyEnv?, maxBatch?, concurrency?, timeoutMs?, retries?, backoffMs?, maxBackoffMs?, maxRetryAfterMs?,
 * rawScores? }`. `url` is the server address (`http://host:8080`) or the full route; `model` is sent to the
 * APIs that take a model name (when `url` is absent, `model` is the URL and no name is sent). `threads` is
 * accepted and ignored (the harness passes it to every backend).
 *
 * For TEI, the factory first asks `GET /info` what the server serves (model id, revision, dtype, TEI version:
 * `identity.server`, see server-info.ts); a server that does not answer it (a proxy's 404) still works, with
 * `identity.server` null, as for the other APIs, which have no such route.
 *
 * One `score()` call is split into requests of at most `min(opts.batchSize, maxBatch)` documents (maxBatch
 * default: the server's `max_client_batch_size` from TEI `/info`, else 32, TEI's default
 * `--max-client-batch-size`), sent with bounded concurrency; a 413 halves the
 * request and the smaller size is remembered. `top_n` is the number of documents sent, results are placed
 * by index and checked (see batching.ts). TEI scores are logits by default (`rawScores: true`): the sigmoid
 * TEI applies otherwise is monotone, so rankings are the same, but float32 sigmoid outputs saturate to
 * ties near 1 for confident models; set `rawScores: false` for TEI's own default.
 */
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import type { RerankerFactory } from '../registry.js';
import type { ModelIdentity, Reranker, RerankOptions, RerankStats } from '../types.js';
import { BatchLimit, forEachChunk } from './batching.js';
import { clientOptionsFor, HttpClient, type ClientCounters } from './client.js';
import { RERANK_API_DEFS, RERANK_APIS, type RerankApi, type RerankApiDef } from './rerank-apis.js';
import { fetchTeiInfo } from './server-info.js';
import { baseAndModel, endpointFor, parseSpec, publicName, publicUrl, readApiKey, remoteOptionShape } from './spec.js';

const DEFAULTS = { maxBatch: 32 } as const;

const rerankSpecSchema = z.strictObject({
  ...remoteOptionShape,
  backend: z.literal('http').optional(),
  api: z.enum(RERANK_APIS).optional(),
  maxBatch: z.int().min(1).optional(),
  rawScores: z.boolean().optional(),
});

/**
 * Statistics of an http reranker: the client's counters (`requests`, HTTP attempts, retries included;
 * `retries`; the waits before retries, see `ClientCounters`), and for TEI the sums of `x-inference-time`,
 * `x-queue-time`, `x-tokenization-time` (ms) over successful requests.
 */
export interface HttpRerankStats extends Omit<RerankStats, keyof ClientCounters>, ClientCounters {
  /** Largest request size currently used (lowered when the server answered 413). */
  maxBatch: number;
}

/** Sum of TEI timing headers; a header absent from every answer stays undefined. */
class ServerTiming {
  inference: number | undefined;
  queue: number | undefined;
  tokenization: number | undefined;

  add(headers: Headers): void {
    this.inference = addHeader(this.inference, headers.get('x-inference-time'));
    this.queue = addHeader(this.queue, headers.get('x-queue-time'));
    this.tokenization = addHeader(this.tokenization, headers.get('x-tokenization-time'));
  }
}

function addHeader(sum: number | undefined, value: string | null): number | undefined {
  if (value === null) return sum;
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v)) return sum;
  return (sum ?? 0) + v;
}

class HttpReranker implements Reranker {
  private readonly timing = new ServerTiming();

  constructor(
    readonly identity: ModelIdentity,
    private readonly api: RerankApiDef,
    private readonly endpoint: URL,
    private readonly client: HttpClient,
    private readonly limit: BatchLimit,
    private readonly apiModel: string | undefined,
    private readonly rawScores: boolean,
  ) {}

  async score(query: string, documents: string[], opts: RerankOptions = {}): Promise<Float64Array> {
    const out = new Float64Array(documents.length).fill(Number.NaN);
    const requested = opts.batchSize ?? this.limit.value;
    await forEachChunk(
      documents.length,
      requested,
      this.limit,
      async (start, end, signal) => {
        const texts = documents.slice(start, end);
        const body = this.api.body({ query, texts, model: this.apiModel, rawScores: this.rawScores });
        const { value, headers } = await this.client.postJson(this.endpoint, body, (json) => this.api.read(json, texts), signal);
        this.timing.add(headers);
        out.set(value, start);
      },
      opts.signal,
    );
    return out;
  }

  stats(): HttpRerankStats {
    const s: HttpRerankStats = { ...this.client.counters, maxBatch: this.limit.value };
    if (this.timing.inference !== undefined) s.serverInferenceMs = this.timing.inference;
    if (this.timing.queue !== undefined) s.serverQueueMs = this.timing.queue;
    if (this.timing.tokenization !== undefined) s.serverTokenizationMs = this.timing.tokenization;
    return s;
  }

  async dispose(): Promise<void> {
    // Nothing held: fetch keeps no per-client state that outlives the requests.
  }
}

export const createHttpReranker: RerankerFactory = async (spec) => {
  const o = parseSpec(rerankSpecSchema, spec, 'reranker');
  const apiName: RerankApi = o.api ?? 'tei';
  if (o.rawScores !== undefined && apiName !== 'tei') {
    throw new UsageError(`reranker "${o.model}": \`rawScores\` applies to api tei only (${apiName} returns its own relevance scores).`, { key: 'rawScores', hint: 'Remove `rawScores`.' });
  }
  const api = RERANK_API_DEFS[apiName];
  const { base, apiModel } = baseAndModel(o, 'reranker');
  const endpoint = endpointFor(base, api.route);
  const apiKey = readApiKey(o.apiKeyEnv, 'reranker', o.model);
  const rawScores = apiName === 'tei' ? (o.rawScores ?? true) : false;
  const clientOptions = clientOptionsFor(api.label, o, apiKey);
  const info = apiName === 'tei' ? await fetchTeiInfo(endpoint, api.route, clientOptions) : undefined;
  const identity: ModelIdentity = {
    name: publicName(o.model),
    backend: 'http',
    source: publicUrl(endpoint),
    weights: 'remote',
    settings: { api: apiName, model: apiModel ?? null, rawScores: apiName === 'tei' ? rawScores : null },
    server: info?.identity ?? null,
  };
  const maxBatch = o.maxBatch ?? info?.maxClientBatchSize ?? DEFAULTS.maxBatch;
  return new HttpReranker(identity, api, endpoint, new HttpClient(clientOptions), new BatchLimit(maxBatch), apiModel, rawScores);
};

