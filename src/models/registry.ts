/**
 * Backend registry: the one place that maps a model spec to the file that implements it. Backends are
 * imported lazily so that a command loads only the runtimes it uses (onnxruntime is heavy to start).
 * Adding a backend is adding one file exporting a factory and one line below.
 */
import { UsageError } from '../errors.js';
import type { Embedder, Reranker } from './types.js';

/** Runtime context every backend receives. */
export interface ModelContext {
  /** Folder holding built and fetched models (Hub layout: `<modelsDir>/<id>/...`). */
  modelsDir: string;
  /** Intra-op threads for local inference (default: all cores). */
  threads?: number;
}

/**
 * A model as a config names it. A bare string is `{ model: string }`. Backend-specific options
 * (dtype, maxLength, api, url, apiKeyEnv, ...) travel in the same object and are validated by the backend.
 */
export interface ModelSpec {
  model: string;
  backend?: string;
  [option: string]: unknown;
}

export type RerankerFactory = (spec: ModelSpec, ctx: ModelContext) => Promise<Reranker>;
export type EmbedderFactory = (spec: ModelSpec, ctx: ModelContext) => Promise<Embedder>;

const RERANKER_BACKENDS: Record<string, () => Promise<RerankerFactory>> = {
  transformers: async () => (await import('./transformers/reranker.js')).createTransformersReranker,
  http: async () => (await import('./http/reranker.js')).createHttpReranker,
  llm: async () => (await import('./llm/reranker.js')).createLlmReranker,
};

const EMBEDDER_BACKENDS: Record<string, () => Promise<EmbedderFactory>> = {
  transformers: async () => (await import('./transformers/embedder.js')).createTransformersEmbedder,
  http: async () => (await import('./http/embedder.js')).createHttpEmbedder,
};

/** Whether a string is an http(s) URL (a model given as its endpoint). */
export const isHttpUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** A spec names the http backend implicitly when its model or url is an http(s) URL. */
function backendOf(spec: ModelSpec): string {
  if (spec.backend) return spec.backend;
  if (typeof spec.url === 'string' || isHttpUrl(spec.model)) return 'http';
  return 'transformers';
}

/** Backends that send texts over the network. */
const REMOTE_BACKENDS: ReadonlySet<string> = new Set(['http', 'llm']);

/**
 * Whether a model spec is served over the network: a remote backend (`http`, `llm`), a `url`, or a model
 * given as an http(s) URL (a bare string or `model:`). The one rule behind `--offline`, the up-front check
 * of local models and the config's model-name check.
 */
export function isRemoteModelSpec(spec: string | ModelSpec): boolean {
  const s = normalizeSpec(spec);
  return REMOTE_BACKENDS.has(backendOf(s)) || s.url !== undefined || isHttpUrl(s.model);
}

export function normalizeSpec(spec: string | ModelSpec): ModelSpec {
  return typeof spec === 'string' ? { model: spec } : spec;
}

export async function createReranker(spec: string | ModelSpec, ctx: ModelContext): Promise<Reranker> {
  const s = normalizeSpec(spec);
  const backend = backendOf(s);
  const load = RERANKER_BACKENDS[backend];
  if (!load) {
    throw new UsageError(`unknown reranker backend "${backend}".`, { hint: `Use one of: ${Object.keys(RERANKER_BACKENDS).join(', ')}.` });
  }
  return (await load())(s, ctx);
}

export async function createEmbedder(spec: string | ModelSpec, ctx: ModelContext): Promise<Embedder> {
  const s = normalizeSpec(spec);
  const backend = backendOf(s);
  const load = EMBEDDER_BACKENDS[backend];
  if (!load) {
    throw new UsageError(`unknown embedder backend "${backend}".`, { hint: `Use one of: ${Object.keys(EMBEDDER_BACKENDS).join(', ')}.` });
  }
  return (await load())(s, ctx);
}
