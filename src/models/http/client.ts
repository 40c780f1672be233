/**
 * The HTTP client every remote backend uses: JSON POSTs (and GETs, for a server's self-description) over
 * Node's built-in fetch (undici) with
 *
 * - a per-attempt timeout (`AbortSignal.timeout`) covering headers and body, combined with the caller's signal;
 * - retries (p-retry) with exponential backoff and jitter on 408, 429, 5xx, network errors (refused, reset,
 *   cut-off bodies) and timeouts, honouring `Retry-After` (seconds or HTTP date) on any retried status;
 * - no retry on other 4xx: they fail at once with the server's own message, trimmed;
 * - the time spent waiting between attempts counted per cause (see `ClientCounters`);
 * - one retry for a 2xx answer that is not JSON or not of the expected shape (a truncated body from a proxy or
 *   an overloaded server is transient often enough to deserve one more try; a second bad answer is a server
 *   that does not speak the configured API, and retrying further would only hide it);
 * - bounded concurrency (p-limit): at most `concurrency` requests in flight per client, a retried request
 *   keeping its slot while it waits;
 * - the API key sent as `Authorization: Bearer`, and removed from every message this module produces
 *   (server error bodies that echo it included).
 *
 * Failures surface as `RemoteError` (a `UsageError`: the user must fix the endpoint, key or server), whose
 * message names the API, the endpoint (without credentials or query string), the number of attempts, what
 * went wrong and what to do.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { UsageError } from '../../errors.js';
import { publicUrl, retryPolicyOf } from './spec.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Delay before the first retry in ms; doubled for each later one, times a random factor in [1, 2). */
  backoffMs: number;
  maxBackoffMs: number;
  /** Longest `Retry-After` honoured; a server asking for more fails with a clear error instead of a silent hour-long wait. */
  maxRetryAfterMs: number;
}

export interface HttpClientOptions extends RetryPolicy {
  /** Names the API in messages, e.g. `TEI rerank`, `Cohere v2 rerank`. */
  label: string;
  /** Per-attempt limit in ms for the whole exchange (connect, headers, body). */
  timeoutMs: number;
  concurrency: number;
  apiKey?: string;
  /** Environment variable the key came from, for hints (never the key). */
  apiKeyEnv?: string;
}

/** Thrown by response parsers when a 2xx answer is not of the expected shape. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type FailureKind = 'http' | 'timeout' | 'network' | 'protocol';

/** A remote call that failed for good. `status` is set for HTTP errors (e.g. 413 for "too many texts"). */
export class RemoteError extends UsageError {
  override readonly name = 'RemoteError';
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly endpoint: string,
    readonly attempts: number,
    readonly status: number | undefined,
    hint: string | undefined,
  ) {
    super(message, { hint });
  }
}

export interface PostResult<T> {
  value: T;
  headers: Headers;
}

/** Validates and converts a parsed 2xx JSON body; throws `ProtocolError` when it is not what the API promises. */
export type ResponseParser<T> = (json: unknown, headers: Headers) => T;

/**
 * What the client did since it was created; every field only grows. A wait is the time from the end of a
 * failed attempt to the start of its retry, measured on the clock (so it includes timer lateness), and is
 * summed over requests: two requests waiting 1 s at the same time count 2 s.
 */
export interface ClientCounters {
  /** HTTP attempts made (retries included). */
  requests: number;
  /** Attempts that were retries. */
  retries: number;
  /**
   * Retries whose failed attempt carried a `Retry-After` the client honoured (any value, 0 included). Their
   * whole wait, backoff included, is in `retryAfterWaitMs`: the server asked for it.
   */
  retryAfterWaits: number;
  /** ms waited before the retries counted in `retryAfterWaits`. */
  retryAfterWaitMs: number;
  /** ms waited before the other retries: exponential backoff alone. */
  backoffWaitMs: number;
}

/** One failed attempt, before the retry decision. */
class AttemptFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly detail: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(detail);
    this.name = 'AttemptFailure';
  }
}

const MAX_BODY_IN_MESSAGE = 300;

/** The options every remote backend accepts for its client (parsed from its spec). */
export interface RemoteClientSpec {
  timeoutMs?: number;
  concurrency?: number;
  apiKeyEnv?: string;
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
}

/** Defaults shared by the remote backends: 60 s per attempt, 4 requests in flight. */
export const CLIENT_DEFAULTS = { timeoutMs: 60_000, concurrency: 4 } as const;

/** Client options for a backend's parsed spec: its timeouts, concurrency, key and retry policy, defaults filled. */
export function clientOptionsFor(label: string, o: RemoteClientSpec, apiKey: string | undefined): HttpClientOptions {
  return {
    label,
    timeoutMs: o.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    concurrency: o.concurrency ?? CLIENT_DEFAULTS.concurrency,
    apiKey,
    apiKeyEnv: o.apiKeyEnv,
    ...retryPolicyOf(o),
  };
}

/** A client for a backend's parsed spec (see `clientOptionsFor`). */
export function clientFor(label: string, o: RemoteClientSpec, apiKey: string | undefined): HttpClient {
  return new HttpClient(clientOptionsFor(label, o, apiKey));
}

export class HttpClient {
  private readonly limit: LimitFunction;
  readonly counters: ClientCounters = { requests: 0, retries: 0, retryAfterWaits: 0, retryAfterWaitMs: 0, backoffWaitMs: 0 };

  constructor(private readonly opts: HttpClientOptions) {
    this.limit = pLimit(opts.concurrency);
  }

  /**
   * POSTs `body` as JSON to `url` and returns `parse(responseJson)`, retrying as described in the module
   * header. Waits for a concurrency slot first. A caller abort rejects with the signal's reason, unretried.
   */
  postJson<T>(url: URL, body: unknown, parse: ResponseParser<T>, signal?: AbortSignal): Promise<PostResult<T>> {
    return this.limit(() => this.withRetries(url, JSON.stringify(body), parse, signal));
  }

  /** GETs `url` and returns `parse(responseJson)`, with the same retries, slots and errors as `postJson`. */
  getJson<T>(url: URL, parse: ResponseParser<T>, signal?: AbortSignal): Promise<PostResult<T>> {
    return this.limit(() => this.withRetries(url, undefined, parse, signal));
  }

  /** `payload` undefined: a GET. */
  private async withRetries<T>(url: URL, payload: string | undefined, parse: ResponseParser<T>, signal?: AbortSignal): Promise<PostResult<T>> {
    const { retries, backoffMs, maxBackoffMs, maxRetryAfterMs } = this.opts;
    let attempts = 0;
    let protocolFailures = 0;
    /** Set when an attempt failed and will be retried: when, and whether the server gave a Retry-After. */
    let waiting: { since: number; retryAfter: boolean } | undefined;
    try {
      return await pRetry(
        async () => {
          signal?.throwIfAborted();
          if (waiting !== undefined) this.countWait(waiting.retryAfter, performance.now() - waiting.since);
          waiting = undefined;
          attempts += 1;
          this.counters.requests += 1;
          if (attempts > 1) this.counters.retries += 1;
          try {
            return await this.attempt(url, payload, parse, signal);
          } catch (e) {
            if (signal?.aborted) throw new AbortError(asError(signal.reason));
            if (!(e instanceof AttemptFailure)) throw new AbortError(asError(e));
            if (e.kind === 'protocol') protocolFailures += 1;
            if (!e.retryable || (e.kind === 'protocol' && protocolFailures > 1)) throw new AbortError(e);
            if (e.retryAfterMs !== undefined && e.retryAfterMs > maxRetryAfterMs) {
              throw new AbortError(
                new AttemptFailure(e.kind, `${e.detail}; the server asks to retry after ${Math.round(e.retryAfterMs / 1000)} s, longer than maxRetryAfterMs (${maxRetryAfterMs} ms)`, false, e.status),
              );
            }
            // Counted only if a retry follows (none does when the retries are spent).
            waiting = { since: performance.now(), retryAfter: e.retryAfterMs !== undefined };
            throw e;
          }
        },
        {
          retries,
          factor: 2,
          minTimeout: backoffMs,
          maxTimeout: maxBackoffMs,
          randomize: true,
          signal,
          // p-retry 7 knows nothing of Retry-After. Its own delay is at least min(backoff·2^k, maxBackoff), so
          // waiting the difference first makes the total max(Retry-After, backoff) plus the backoff's jitter.
          onFailedAttempt: async ({ error, retriesConsumed, retriesLeft }) => {
            if (retriesLeft <= 0 || !(error instanceof AttemptFailure) || error.retryAfterMs === undefined) return;
            const minBackoff = Math.min(backoffMs * 2 ** retriesConsumed, maxBackoffMs);
            const extra = error.retryAfterMs - minBackoff;
            if (extra > 0) await sleep(extra, undefined, { signal });
          },
        },
      );
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      if (e instanceof AttemptFailure) throw this.remoteError(url, e, attempts);
      throw e;
    }
  }

  private countWait(retryAfter: boolean, ms: number): void {
    if (retryAfter) {
      this.counters.retryAfterWaits += 1;
      this.counters.retryAfterWaitMs += ms;
    } else {
      this.counters.backoffWaitMs += ms;
    }
  }

  /** One exchange. Every failure becomes an `AttemptFailure` saying whether it may be retried. */
  private async attempt<T>(url: URL, payload: string | undefined, parse: ResponseParser<T>, signal?: AbortSignal): Promise<PostResult<T>> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const combined = linkSignals([signal, timeout]);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'rbench' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.apiKey !== undefined) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let response: Response;
    let text: string;
    try {
      const init: RequestInit = payload === undefined ? { method: 'GET' } : { method: 'POST', body: payload };
      response = await fetch(url, { ...init, headers, signal: combined.signal });
      text = await response.text();
    } catch (e) {
      if (signal?.aborted) throw e;
      if (timeout.aborted) throw new AttemptFailure('timeout', `no complete answer within ${this.opts.timeoutMs} ms`, true);
      throw new AttemptFailure('network', `network error: ${describeNetworkError(e)}`, true);
    } finally {
      combined.release();
    }
    if (!response.ok) {
      const status = response.status;
      const retryable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      const statusLine = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
      const summary = summarizeErrorBody(text);
      throw new AttemptFailure('http', summary ? `${statusLine}: ${summary}` : statusLine, retryable, status, retryAfterMs);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AttemptFailure('protocol', `the answer is not valid JSON (${text.length} bytes, starting ${JSON.stringify(trimText(text, 80))})`, true);
    }
    try {
      return { value: parse(json, response.headers), headers: response.headers };
    } catch (e) {
      if (e instanceof ProtocolError) throw new AttemptFailure('protocol', e.message, true);
      throw e;
    }
  }

  private remoteError(url: URL, f: AttemptFailure, attempts: number): RemoteError {
    const endpoint = publicUrl(url);
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    const message = this.redact(`${this.opts.label} request to ${endpoint} failed${tries}: ${f.detail}.`);
    return new RemoteError(message, f.kind, endpoint, attempts, f.status, this.hintFor(f));
  }

  private hintFor(f: AttemptFailure): string {
    const keyHint = this.opts.apiKeyEnv
      ? `Check the key in $${this.opts.apiKeyEnv}.`
      : 'The server wants a key: put it in an environment variable and name it in `apiKeyEnv`.';
    switch (f.kind) {
      case 'timeout':
        return 'Raise `timeoutMs`, or lower `maxBatch` or `concurrency`.';
      case 'network':
        return 'Check that the server is running and that `url` points at it.';
      case 'protocol':
        return 'The server does not answer as the configured `api` promises: check `api` and `url`.';
      case 'http': {
        const s = f.status ?? 0;
        if (s === 401 || s === 403) return keyHint;
        if (s === 404 || s === 405) return 'Check `url` and `api`: the server has no such route.';
        if (s === 413) return 'The server refused the request size, even for one document: lower `maxBatch` or shorten the texts.';
        if (s === 429 || s >= 500) return 'The server is overloaded or failing: retry later, lower `concurrency`, or raise `retries`.';
        return 'Fix the request according to the server message (check `model` and `api`).';
      }
    }
  }

  /** Removes the API key from any text (a server may echo the Authorization header). */
  redact(text: string): string {
    const key = this.opts.apiKey;
    return key ? text.split(key).join('***') : text;
  }
}

/**
 * A signal that aborts (with the same reason) when any of `sources` does; `release()` detaches it. Written
 * by hand instead of `AbortSignal.any()` because on Node 20 a composite stays referenced by a long-lived
 * source (a run-wide signal) until that source is collected (nodejs/node#54614, #55351): one per request
 * over a long sweep adds up. Here the listeners are removed explicitly.
 */
export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const present = sources.filter((s): s is AbortSignal => s !== undefined);
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const listeners = present.map((s) => {
    const onAbort = (): void => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return { signal: controller.signal, release: () => listeners.forEach((remove) => remove()) };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP-date names its day and month; anything else (e.g. "-5", which Date.parse reads as a year) is not one.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** undici wraps the real cause (ECONNREFUSED, "other side closed") in `TypeError: fetch failed` / `terminated`. */
function describeNetworkError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${e.message} (${code ? `${code}: ` : ''}${cause.message})`;
  }
  return e.message;
}

function trimText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * The useful part of an error body: the message field of the common error shapes (TEI `{error, error_type}`,
 * OpenAI `{error: {message}}`, Cohere `{message}`, FastAPI/Jina `{detail}`), else the raw text, trimmed.
 */
export function summarizeErrorBody(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return trimText(text, MAX_BODY_IN_MESSAGE);
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    const nested = o.error !== null && typeof o.error === 'object' ? (o.error as Record<string, unknown>).message : undefined;
    const msg = typeof o.error === 'string' ? o.error : typeof nested === 'string' ? nested : typeof o.message === 'string' ? o.message : o.detail !== undefined ? (typeof o.detail === 'string' ? o.detail : JSON.stringify(o.detail)) : undefined;
    if (msg !== undefined) {
      const type = typeof o.error_type === 'string' ? ` (${o.error_type})` : '';
      return trimText(`${msg}${type}`, MAX_BODY_IN_MESSAGE);
    }
  }
  return trimText(text, MAX_BODY_IN_MESSAGE);
}

/** A short description of a JSON value's shape for protocol errors: `an object with keys a, b`, `an array of 3`. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    return keys.length ? `an object with keys ${keys.slice(0, 8).join(', ')}` : 'an empty object';
  }
  return `a ${typeof v}`;
}

export function isTooLarge(e: unknown): e is RemoteError {
  return e instanceof RemoteError && e.status === 413;
}
