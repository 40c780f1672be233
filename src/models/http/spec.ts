/**
 * Validation of remote-backend model specs (http rerankers and embedders, the LLM reranker) and the
 * endpoint, key and retry settings they share. Every problem becomes a `UsageError` naming the config key.
 */
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { isHttpUrl, type ModelSpec } from '../registry.js';
import type { RetryPolicy } from './client.js';

/** Options every remote backend accepts, besides its own. */
export const remoteOptionShape = {
  /** What the user wrote: a model name sent to the API, or the endpoint URL itself when `url` is absent. */
  model: z.string().min(1),
  url: z.string().min(1).optional(),
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as COHERE_API_KEY').optional(),
  concurrency: z.int().min(1).max(256).optional(),
  timeoutMs: z.number().positive().optional(),
  retries: z.int().min(0).max(20).optional(),
  /** First retry delay; later ones double (with jitter up to x2), capped at `maxBackoffMs`. */
  backoffMs: z.number().min(0).optional(),
  maxBackoffMs: z.number().min(0).optional(),
  /** Longest `Retry-After` the client waits for; a server asking for more fails the run with a clear error. */
  maxRetryAfterMs: z.number().min(0).optional(),
  /**
   * Intra-op threads of local inference. The harness passes it to every backend; a remote backend has no
   * use for it, so it is accepted and ignored.
   */
  threads: z.int().min(1).optional(),
} as const;

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 5,
  backoffMs: 500,
  maxBackoffMs: 20_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Parses `spec` with a strict zod schema (unknown keys rejected). The error names the model and the
 * offending key (`<what>.<key>`), says what is wrong and lists the allowed keys for an unknown one.
 */
export function parseSpec<T extends z.ZodType>(schema: T, spec: ModelSpec, what: string): z.infer<T> {
  // A key present with the value undefined (`{ threads: ctx.threads }`) is an absent option.
  const defined = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(defined);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : '';
    throw new UsageError(`${what} "${spec.model}": unknown option ${issue.keys.map((k) => `\`${k}\``).join(', ')}.`, {
      key: issue.keys[0],
      hint: allowed ? `Allowed options: ${allowed}.` : undefined,
    });
  }
  const key = issue.path.map(String).join('.');
  throw new UsageError(`${what} "${spec.model}": ${key ? `\`${key}\` ` : ''}${issue.message}.`, { key: key || undefined });
}

/** Picks the retry policy from parsed options, filling defaults. */
export function retryPolicyOf(o: { retries?: number; backoffMs?: number; maxBackoffMs?: number; maxRetryAfterMs?: number }): RetryPolicy {
  return {
    retries: o.retries ?? DEFAULT_RETRY.retries,
    backoffMs: o.backoffMs ?? DEFAULT_RETRY.backoffMs,
    maxBackoffMs: o.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
    maxRetryAfterMs: o.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs,
  };
}

export { isHttpUrl };

/**
 * The base URL and the model name sent to the API. `url` wins; without it `model` must be the URL
 * (the registry routes a bare `http(s)://` model to the http backend) and no model name is sent.
 */
export function baseAndModel(o: { model: string; url?: string }, what: string): { base: URL; apiModel: string | undefined } {
  const raw = o.url ?? (isHttpUrl(o.model) ? o.model : undefined);
  if (raw === undefined) {
    throw new UsageError(`${what} "${o.model}" has no endpoint.`, { key: 'url', hint: 'Add `url: http://host:port` (the server address).' });
  }
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw new UsageError(`${what} "${o.model}": \`url\` is not a valid URL.`, { key: 'url', hint: 'Write it as http://host:port or https://host/path.' });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UsageError(`${what} "${o.model}": \`url\` must use http or https, not ${base.protocol}`, { key: 'url' });
  }
  if (base.username || base.password) {
    throw new UsageError(`${what} "${o.model}": \`url\` contains credentials.`, {
      key: 'url',
      hint: 'Remove them from the URL, put the key in an environment variable and name that variable in `apiKeyEnv`.',
    });
  }
  const apiModel = o.url !== undefined && !isHttpUrl(o.model) ? o.model : undefined;
  return { base, apiModel };
}

/**
 * The endpoint for one API route. A base whose path already ends with the route (`.../v2/rerank`) is used
 * as it is; a base ending with the route's version prefix (`.../v1`) gets the rest; otherwise the whole
 * route is appended to the base path. The query string of the base is kept (some gateways want it).
 */
export function endpointFor(base: URL, route: string): URL {
  const u = new URL(base.href);
  const path = u.pathname.replace(/\/+$/, '');
  const segments = route.split('/').filter(Boolean);
  let rest = route;
  if (path.endsWith(route)) {
    rest = '';
  } else if (segments.length > 1 && path.endsWith(`/${segments[0]}`)) {
    rest = `/${segments.slice(1).join('/')}`;
  }
  u.pathname = `${path}${rest}` || '/';
  return u;
}

/** A URL as it may appear in identities, logs and messages: no credentials, no query string, no fragment. */
export function publicUrl(u: URL): string {
  const c = new URL(u.href);
  c.username = '';
  c.password = '';
  c.search = '';
  c.hash = '';
  return c.href;
}

/**
 * Reads the API key from the environment variable named by `apiKeyEnv`. Missing or empty is a usage
 * error naming the variable (never a value).
 */
export function readApiKey(apiKeyEnv: string | undefined, what: string, model: string): string | undefined {
  if (apiKeyEnv === undefined) return undefined;
  const key = process.env[apiKeyEnv];
  if (key === undefined || key.trim() === '') {
    throw new UsageError(`${what} "${model}": the environment variable ${apiKeyEnv} (named by \`apiKeyEnv\`) is not set.`, {
      key: 'apiKeyEnv',
      hint: `Export ${apiKeyEnv}=<your key> before running, or remove \`apiKeyEnv\` for a server without authentication.`,
    });
  }
  return key.trim();
}

/** What the user wrote, as it may appear in identities: a URL loses credentials and query string. */
export function publicName(model: string): string {
  if (!isHttpUrl(model)) return model;
  try {
    return publicUrl(new URL(model));
  } catch {
    return model;
  }
}
