/**
 * A remote server's description of the model it serves, for model identities.
 *
 * Text-embeddings-inference answers `GET /info` with JSON such as
 * `{ model_id: "BAAI/bge-reranker-base", model_sha: "2cfc18c9…" | null, model_dtype: "float16",
 * model_type: { reranker: {…} } | { embedding: { pooling: "cls" } }, max_input_length: 512,
 * max_client_batch_size: 32, version: "1.5.0", … }`. `model_sha` is the `--revision` the server was started
 * with (null when none was given, and possibly a branch name such as `main`), not necessarily a commit.
 *
 * The other APIs (Cohere, Jina, OpenAI-compatible embeddings and chat) have no such route; their identities
 * carry `server: null`, as does a TEI whose `/info` could not be read.
 */
import { describeJson, HttpClient, ProtocolError, RemoteError, type HttpClientOptions } from './client.js';

/** What `GET /info` said: the fields that identify the weights, and the server's request-size limit. */
export interface TeiInfo {
  /**
   * `model_id`, and when present `model_sha`, `model_dtype`, `pooling` (embedding models), `max_input_length`
   * (longer inputs are truncated, which changes scores), `version` (of TEI), all as strings. This goes into
   * `ModelIdentity.server`, hence into cache keys.
   */
  identity: Record<string, string>;
  /** `max_client_batch_size`: the most texts one request may carry. */
  maxClientBatchSize: number | undefined;
}

const STRING_FIELDS = ['model_id', 'model_sha', 'model_dtype', 'version'] as const;

/** Reads a TEI `/info` answer; throws `ProtocolError` when it is not one (no string `model_id`). */
export function readTeiInfo(json: unknown): TeiInfo {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ProtocolError(`expected an object with \`model_id\`, got ${describeJson(json)}`);
  const o = json as Record<string, unknown>;
  if (typeof o.model_id !== 'string' || o.model_id === '') throw new ProtocolError(`expected an object with a string \`model_id\`, got ${describeJson(json)}`);
  const identity: Record<string, string> = {};
  for (const f of STRING_FIELDS) if (typeof o[f] === 'string' && o[f] !== '') identity[f] = o[f];
  const type = o.model_type;
  const embedding = type !== null && typeof type === 'object' ? (type as Record<string, unknown>).embedding : undefined;
  const pooling = embedding !== null && typeof embedding === 'object' ? (embedding as Record<string, unknown>).pooling : undefined;
  if (typeof pooling === 'string') identity.pooling = pooling;
  if (isPositiveInt(o.max_input_length)) identity.max_input_length = String(o.max_input_length);
  return { identity, maxClientBatchSize: isPositiveInt(o.max_client_batch_size) ? o.max_client_batch_size : undefined };
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** The `/info` URL next to an API endpoint: `route` (e.g. `/rerank`) ending its path is replaced. */
export function infoUrl(endpoint: URL, route: string): URL {
  const u = new URL(endpoint.href);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = `${path.endsWith(route) ? path.slice(0, -route.length) : path}/info`;
  return u;
}

/** `/info` is small and answered without queueing: a short timeout and at most two retries. */
const INFO_LIMITS = { timeoutMs: 10_000, retries: 2 } as const;

/**
 * Asks a TEI server to describe itself. Never fails the run: a server that does not answer, answers an error
 * (a proxy without the route: 404) or answers something that is not TEI's `/info` gives `undefined`, and the
 * model's identity then says the server did not describe itself. Uses a client of its own, so that this
 * request is not counted in the model's request statistics.
 */
export async function fetchTeiInfo(endpoint: URL, route: string, opts: HttpClientOptions): Promise<TeiInfo | undefined> {
  const client = new HttpClient({
    ...opts,
    label: 'TEI info',
    timeoutMs: Math.min(opts.timeoutMs, INFO_LIMITS.timeoutMs),
    retries: Math.min(opts.retries, INFO_LIMITS.retries),
  });
  try {
    return (await client.getJson(infoUrl(endpoint, route), readTeiInfo)).value;
  } catch (e) {
    if (e instanceof RemoteError) return undefined;
    throw e;
  }
}
