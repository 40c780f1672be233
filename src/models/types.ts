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
  requests?: number;
  retries?: number;
  /** Milliseconds spent waiting because the server answered with `Retry-After` (429/503), summed. */
  retryAfterWaitMs?: number;
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
  /** Accumulated statistics since creation (for remote and LLM backends). */
  stats?(): RerankStats;
  dispose(): Promise<void>;
}
