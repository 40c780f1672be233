/**
 * Model interfaces. A backend is one file implementing one of these and registering a factory in
 * `src/models/registry.ts`; nothing else in the code switches on backend names.
 */

/** Where a model's weights come from, recorded with every result that used it. */
export type WeightsKind =
  /** Published weights from the Hub or a local copy of them. */
  | 'pretrained'
  /** Architecture stand-in: exact shape of a real model, random weights. Its quality means nothing. */
  | 'random'
  /** Built by `rbench models build` from data (GloVe vectors, the tiny test models). */
  | 'built'
  /** A remote service: weights unknown to us. */
  | 'remote';

/** Everything needed to tell two models apart in caches and results. */
export interface ModelIdentity {
  /** What the user wrote (alias, Hub id, path or URL). */
  name: string;
  /** Backend that runs it: `transformers`, `http`, `llm`, ... */
  backend: string;
  /** Resolved id or path (Hub id, local folder, endpoint URL without credentials). */
  source: string;
  weights: WeightsKind;
  /** Content hash of the model files when local (sha256 of the ONNX file, config and tokenizer). */
  sha256?: string;
  dtype?: string;
  /** Anything else that changes the scores: pooling, prefixes, max length, sigmoid, prompt template... */
  settings?: Record<string, unknown>;
  /**
   * Remote models: what the server said about the model it serves, read when the model was created (TEI
   * `GET /info`: `model_id`, `model_sha`, `model_dtype`, `version`, ...; see `src/models/http/server-info.ts`).
   * `null` when the server did not describe itself: its API has no such route (Cohere, Jina, OpenAI-compatible,
   * LLM chat) or the route failed (a proxy answering 404, a network error). Absent for local models. Part of
   * the cache key when present; `needsScoreCanary` (src/models/identity.ts) says when it does not pin the weights.
   */
  server?: Record<string, string> | null;
}

export interface Embedder {
  readonly identity: ModelIdentity;
  /** Vector dimension (known once loaded). */
  dimension(): Promise<number>;
  /** Embeds queries (query prefixes/instructions applied by the embedder). Vectors are L2-normalised when the model family says so. */
  embedQueries(texts: string[]): Promise<Float32Array[]>;
  /** Embeds passages (document text = `title + " " + text`, passage prefixes applied by the embedder). */
  embedDocuments(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface RerankOptions {
  /** Pairs per forward pass / per request. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** What a reranker call measured besides the scores (optional; recorded in results when present). */
export interface RerankStats {
  /** Server-reported inference time in ms (TEI `x-inference-time`), summed over requests. */
  serverInferenceMs?: number;
  /** Server-reported queue time in ms (TEI `x-queue-time`). */
  serverQueueMs?: number;
  /** Server-reported tokenization time in ms (TEI `x-tokenization-time`), summed over requests. */
  serverTokenizationMs?: number;
  /** HTTP attempts, retries included. */
  requests?: number;
  retries?: number;
  /** Retries that followed an answer with `Retry-After`. */
  retryAfterWaits?: number;
  /** ms spent waiting before those retries (summed over requests, so parallel waits add up). */
  retryAfterWaitMs?: number;
  /** ms spent in exponential backoff before the other retries (summed over requests). */
  backoffWaitMs?: number;
  /** LLM backends: tokens used. */
  promptTokens?: number;
  completionTokens?: number;
  /** Pairs that could not be scored (e.g. unparsable LLM answers after a retry). Their score is NaN. */
  failures?: number;
}

/**
 * A pointwise reranker: the score of a document does not depend on the other documents in the list,
 * which lets a sweep derive shallow candidate lists from deep ones.
 */
export interface Reranker {
  readonly identity: ModelIdentity;
  /** One score per document, in input order. Document strings are already `title + " " + text`. */
  score(query: string, documents: string[], opts?: RerankOptions): Promise<Float64Array>;
  /**
   * Statistics accumulated since creation (remote and LLM backends). Every call returns a fresh plain object
   * (a snapshot that later calls never change) and does no I/O, so a caller can take one before and one after
   * a `score()` call and subtract them, field by field, to learn what that call did (e.g. a positive
   * `retryAfterWaits` difference: it waited on the server's `Retry-After`). Counts of `score()` calls running
   * concurrently on the same instance mix in such a difference.
   */
  stats?(): RerankStats;
  dispose(): Promise<void>;
}
