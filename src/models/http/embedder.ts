/**
 * Remote embedding APIs as an `Embedder`: OpenAI-compatible `/v1/embeddings` (OpenAI, vLLM, TEI, Ollama,
 * LiteLLM, ...) and TEI `/embed`.
 *
 * Spec: `{ backend: 'http', api: 'openai' | 'tei' (default openai), url, model?, apiKeyEnv?, maxBatch?,
 * batchSize?, concurrency?, timeoutMs?, retries?, backoffMs?, maxBackoffMs?, maxRetryAfterMs?, queryPrefix?,
 * passagePrefix?, normalize? }`. The prefixes are prepended here, before sending (a remote model's
 * conventions are not known to us: name them in the spec). `normalize` (default true) L2-normalises every
 * vector here, whatever the server did (TEI is also asked to), so that the Embedder contract holds for any
 * server; a zero vector stays zero.
 *
 * For TEI, the factory first asks `GET /info` what the server serves (`identity.server`, see server-info.ts;
 * null when the server does not say, and for the OpenAI API, which has no such route).
 *
 * Texts are sent in requests of at most min(`batchSize`, `maxBatch`) (maxBatch default: TEI's
 * `max_client_batch_size` from `/info`, else 32; halved and
 * remembered on a 413) with bounded concurrency; vectors are placed by index (OpenAI) or checked for count
 * (TEI), and every vector must have the dimension of the first one ever received. `threads` is accepted and
 * ignored (the harness passes it to every backend).
 */
import { z } from 'zod';
import type { EmbedderFactory } from '../registry.js';
import type { Embedder, ModelIdentity } from '../types.js';
import { BatchLimit, forEachChunk } from './batching.js';
import { clientOptionsFor, HttpClient, ProtocolError, type ClientCounters } from './client.js';
import { EMBED_API_DEFS, EMBED_APIS, type EmbedApi, type EmbedApiDef } from './embed-apis.js';
import { fetchTeiInfo } from './server-info.js';
import { baseAndModel, endpointFor, parseSpec, publicName, publicUrl, readApiKey, remoteOptionShape } from './spec.js';

const DEFAULTS = { maxBatch: 32 } as const;

const embedSpecSchema = z.strictObject({
  ...remoteOptionShape,
  backend: z.literal('http').optional(),
  api: z.enum(EMBED_APIS).optional(),
  maxBatch: z.int().min(1).optional(),
  /** Texts per request the harness asks for; requests hold min(batchSize, maxBatch) texts. */
  batchSize: z.int().min(1).optional(),
  queryPrefix: z.string().optional(),
  passagePrefix: z.string().optional(),
  normalize: z.boolean().optional(),
});

/**
 * The client's counters since creation (see `ClientCounters`) and the request size in use. A fresh object on
 * every call, so that snapshots can be subtracted.
 */
export interface HttpEmbedStats extends ClientCounters {
  maxBatch: number;
}

/** Scales `v` to unit L2 norm in place (double-precision sum); a zero vector is left as it is. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s === 0) return v;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] = v[i] * inv;
  return v;
}

class HttpEmbedder implements Embedder {
  private dim: number | undefined;

  constructor(
    readonly identity: ModelIdentity,
    private readonly api: EmbedApiDef,
    private readonly endpoint: URL,
    private readonly client: HttpClient,
    private readonly limit: BatchLimit,
    private readonly apiModel: string | undefined,
    private readonly prefixes: { query: string; passage: string },
    private readonly normalize: boolean,
    private readonly requestSize: number,
  ) {}

  async dimension(): Promise<number> {
    if (this.dim === undefined) await this.embed(['dimension probe']);
    return this.dim!;
  }

  embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.embed(texts.map((t) => this.prefixes.query + t));
  }

  embedDocuments(texts: string[]): Promise<Float32Array[]> {
    return this.embed(texts.map((t) => this.prefixes.passage + t));
  }

  stats(): HttpEmbedStats {
    return { ...this.client.counters, maxBatch: this.limit.value };
  }

  async dispose(): Promise<void> {
    // Nothing held.
  }

  private async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array<Float32Array>(texts.length);
    await forEachChunk(
      texts.length,
      this.requestSize,
      this.limit,
      async (start, end, chunkSignal) => {
        const chunk = texts.slice(start, end);
        const body = this.api.body({ texts: chunk, model: this.apiModel, normalize: this.normalize });
        const { value } = await this.client.postJson(this.endpoint, body, (json) => this.checkDimension(this.api.read(json, chunk.length)), chunkSignal);
        for (let i = 0; i < value.length; i++) out[start + i] = this.normalize ? l2normalize(value[i]) : value[i];
      },
      signal,
    );
    return out;
  }

  private checkDimension(vectors: Float32Array[]): Float32Array[] {
    const d = vectors[0]?.length;
    if (d === undefined) return vectors;
    if (this.dim !== undefined && d !== this.dim) {
      throw new ProtocolError(`vectors of dimension ${d}, but earlier answers had dimension ${this.dim}`);
    }
    this.dim = d;
    return vectors;
  }
}

export const createHttpEmbedder: EmbedderFactory = async (spec) => {
  const o = parseSpec(embedSpecSchema, spec, 'embedder');
  const apiName: EmbedApi = o.api ?? 'openai';
  const api = EMBED_API_DEFS[apiName];
  const { base, apiModel } = baseAndModel(o, 'embedder');
  const endpoint = endpointFor(base, api.route);
  const apiKey = readApiKey(o.apiKeyEnv, 'embedder', o.model);
  const normalize = o.normalize ?? true;
  const prefixes = { query: o.queryPrefix ?? '', passage: o.passagePrefix ?? '' };
  const clientOptions = clientOptionsFor(api.label, o, apiKey);
  const info = apiName === 'tei' ? await fetchTeiInfo(endpoint, api.route, clientOptions) : undefined;
  const identity: ModelIdentity = {
    name: publicName(o.model),
    backend: 'http',
    source: publicUrl(endpoint),
    weights: 'remote',
    settings: { api: apiName, model: apiModel ?? null, queryPrefix: prefixes.query, passagePrefix: prefixes.passage, normalize },
    server: info?.identity ?? null,
  };
  const maxBatch = o.maxBatch ?? info?.maxClientBatchSize ?? DEFAULTS.maxBatch;
  return new HttpEmbedder(identity, api, endpoint, new HttpClient(clientOptions), new BatchLimit(maxBatch), apiModel, prefixes, normalize, o.batchSize ?? maxBatch);
};
