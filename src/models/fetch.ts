/**
 * `rbench models fetch`: downloads the files transformers.js needs to run a Hub model offline into
 * `<modelsDir>/<id>/` (config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json when
 * present, onnx/model.onnx or onnx/model_quantized.onnx, and their `.onnx_data` external data when the
 * repository has it).
 *
 * Protocol (the Hub's, and any mirror's that `$HF_ENDPOINT` names):
 * - `GET <endpoint>/api/models/<id>/revision/<rev>?blobs=true` lists the repository (`siblings`, with sizes
 *   and LFS sha256 when the server gives them);
 * - `GET <endpoint>/<id>/resolve/<rev>/<file>` downloads a file; the Hub answers LFS files with a redirect to
 *   its CDN carrying `X-Linked-Etag` (the sha256) and `X-Linked-Size`. Redirects are followed by hand so those
 *   headers are read, and the bearer token (`$HF_TOKEN`) is sent to the endpoint's origin only.
 *
 * Each file streams to `<file>.part`, is checked against the expected size and sha256 when known, and is
 * renamed into place only then; the ONNX graph comes last, so a folder never looks complete (config + ONNX)
 * before everything is there. Transient failures (network errors, 5xx, 429, truncated bodies) are retried
 * with exponential backoff (p-retry); everything else is a UsageError saying what to do. The token is never
 * logged or written.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import pRetry, { AbortError } from 'p-retry';
import { hostOf, networkFault, unreachableError } from '../data/download.js';
import { UsageError } from '../errors.js';
import { findAlias } from './aliases.js';
import { localModelDir, sha256File } from './local.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const FETCH_DTYPE_FILES = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' } as const;
export type FetchDtype = keyof typeof FETCH_DTYPE_FILES;
/** Written beside the files: what was fetched from where (never the token). */
export const FETCH_RECORD = '.rbench-fetch.json';

export interface FetchOptions {
  modelsDir: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  dtype?: FetchDtype;
  /** Hub or mirror base URL (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Bearer token (default `$HF_TOKEN`). */
  token?: string;
  /** Download again even when a complete, verified copy is present. */
  force?: boolean;
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
  /** Retries per request after the first attempt (default 4). */
  retries?: number;
  /** First retry delay in ms, doubled each time (default 1000). */
  retryDelayMs?: number;
  /** Longest wait for response headers, ms (default 30 000). */
  headersTimeoutMs?: number;
  /** Longest silence while a body streams, ms (default 60 000). */
  idleTimeoutMs?: number;
}

export interface FetchedFile {
  path: string;
  bytes: number;
  sha256: string;
  /** `present`: a verified copy was already there. */
  status: 'downloaded' | 'present';
}

export interface FetchResult {
  id: string;
  dir: string;
  revision: string;
  /** Commit the revision resolved to, when the server said. */
  commit?: string;
  files: FetchedFile[];
  /** Optional files the repository does not have. */
  skipped: string[];
}

interface Sibling {
  rfilename: string;
  size?: number;
  lfs?: { sha256?: string; oid?: string; size?: number };
}

interface RepoInfo {
  sha?: string;
  siblings?: Sibling[];
}

interface Expected {
  size?: number;
  sha256?: string;
}

/** An error worth another attempt (network, 5xx, 429, truncated body). */
class TransientError extends Error {}

/** A 404 for a file, which optional files tolerate. */
class NotFoundError extends UsageError {}

const REQUIRED_META = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
const OPTIONAL_META = ['special_tokens_map.json'];

/** The Hub id for an alias or id; built models and malformed ids are UsageErrors. */
export function hubIdFor(nameOrId: string): string {
  const alias = findAlias(nameOrId);
  if (alias?.built) {
    throw new UsageError(`"${nameOrId}" is built locally, not fetched.`, {
      hint: alias.perCorpus ? 'Run `rbench models build glove --dataset <name|path>`.' : `Run \`rbench models build ${alias.alias}\`.`,
    });
  }
  const id = alias?.id ?? nameOrId;
  if (!/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(id) || id.includes('..')) {
    throw new UsageError(`"${nameOrId}" is neither a model alias nor a Hugging Face id (owner/name).`, { hint: 'See `rbench models list` for the aliases.' });
  }
  return id;
}

/** Maps a fetch failure to a transient error (retried) or a UsageError naming the host. */
function networkFailure(url: string, e: unknown, timedOut: string | undefined, offlineHint: string): Error {
  if (e instanceof UsageError || e instanceof TransientError) return e;
  const host = hostOf(url);
  if (timedOut) return new TransientError(`no answer from ${host} for ${timedOut} (${url})`);
  const f = networkFault(e);
  const unreachable = unreachableError(host, f, offlineHint);
  if (unreachable) return unreachable;
  // Errors of the request itself (a blocked port, a malformed URL) will not go away by retrying.
  if (/bad port|invalid url|unsupported protocol|not implemented/i.test(f.detail)) {
    return new UsageError(`cannot request ${url}: ${f.detail}.`, { hint: 'Check --endpoint / $HF_ENDPOINT.' });
  }
  return new TransientError(`request to ${url} failed: ${f.detail}`);
}

interface Ctx {
  endpoint: string;
  origin: string;
  token: string | undefined;
  opts: FetchOptions;
  offlineHint: string;
}

/** One GET with a header timeout; the caller owns the body. Auth only for the endpoint's origin. */
async function get(ctx: Ctx, url: string, signal: AbortSignal, timing: { timedOut?: string }): Promise<Response> {
  const headers: Record<string, string> = { 'user-agent': 'rbench (+models fetch)' };
  if (ctx.token && new URL(url).origin === ctx.origin) headers.authorization = `Bearer ${ctx.token}`;
  try {
    return await fetch(url, { headers, redirect: 'manual', signal });
  } catch (e) {
    throw networkFailure(url, e, timing.timedOut, ctx.offlineHint);
  }
}

function statusError(ctx: Ctx, res: Response, url: string, what: string): Error {
  const host = hostOf(url);
  if (res.status >= 500 || res.status === 429 || res.status === 408) return new TransientError(`HTTP ${res.status} from ${host} for ${url}`);
  if (res.status === 401 || res.status === 403) {
    return new UsageError(`${host} refused access to ${what} (HTTP ${res.status}).`, {
      hint: ctx.token ? 'The token in $HF_TOKEN does not grant access to it: accept the model terms on the Hub or use a token with access.' : 'It may be gated or private: set $HF_TOKEN to a Hugging Face access token.',
    });
  }
  if (res.status === 404) return new NotFoundError(`${what} does not exist on ${host} (HTTP 404 for ${url}).`, { hint: 'Check the model id and --revision.' });
  return new UsageError(`HTTP ${res.status} ${res.statusText} from ${host} for ${url}.`, { hint: 'Check the model id, --revision and --endpoint.' });
}

/** Runs `fn` with retries on transient errors; the last transient error becomes a UsageError. */
async function withRetries<T>(ctx: Ctx, what: string, fn: () => Promise<T>): Promise<T> {
  const retries = ctx.opts.retries ?? 4;
  try {
    return await pRetry(
      async () => {
        try {
          return await fn();
        } catch (e) {
          if (e instanceof TransientError) throw e;
          throw new AbortError(e instanceof Error ? e : new Error(String(e)));
        }
      },
      {
        retries,
        minTimeout: ctx.opts.retryDelayMs ?? 1000,
        factor: 2,
        randomize: true,
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0) ctx.opts.log?.(`${what}: ${error.message}; retrying (${retriesLeft} left)`);
        },
      },
    );
  } catch (e) {
    if (e instanceof TransientError) {
      throw new UsageError(`could not download ${what} after ${retries + 1} attempts: ${e.message}.`, { hint: `The server is failing or the connection is unreliable; run the command again later. ${ctx.offlineHint}` });
    }
    throw e;
  }
}

/** Lists the repository at a revision. */
async function repoInfo(ctx: Ctx, id: string, revision: string): Promise<RepoInfo> {
  const url = `${ctx.endpoint}/api/models/${id}/revision/${encodeURIComponent(revision)}?blobs=true`;
  return withRetries(ctx, `the file list of ${id}`, async () => {
    const timing: { timedOut?: string } = {};
    const controller = new AbortController();
    const timer = setTimeout(() => {
      timing.timedOut = `${ctx.opts.headersTimeoutMs ?? 30_000} ms`;
      controller.abort();
    }, ctx.opts.headersTimeoutMs ?? 30_000);
    try {
      const res = await get(ctx, url, controller.signal, timing);
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        const err = statusError(ctx, res, url, `model ${id} at revision ${revision}`);
        throw err;
      }
      const body = (await res.json()) as unknown;
      if (!body || typeof body !== 'object') throw new UsageError(`${hostOf(url)} answered ${url} with something that is not a repository description.`, { hint: 'Check --endpoint.' });
      return body as RepoInfo;
    } catch (e) {
      throw networkFailure(url, e, timing.timedOut, ctx.offlineHint);
    } finally {
      clearTimeout(timer);
    }
  });
}

function unquoteEtag(v: string | null): string | undefined {
  if (!v) return undefined;
  const s = v.replace(/^W\//, '').replace(/^"|"$/g, '');
  return /^[0-9a-f]{64}$/.test(s) ? s : undefined;
}

/** Downloads one file to `dest` (via `<dest>.part`), verifying size and sha256. Returns its size and sha256. */
async function downloadOne(ctx: Ctx, id: string, revision: string, file: string, dest: string, expected: Expected): Promise<{ bytes: number; sha256: string }> {
  const first = `${ctx.endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  const part = `${dest}.part`;
  const headersTimeout = ctx.opts.headersTimeoutMs ?? 30_000;
  const idleTimeout = ctx.opts.idleTimeoutMs ?? 60_000;
  return withRetries(ctx, `${id}/${file}`, async () => {
    const controller = new AbortController();
    const timing: { timedOut?: string } = {};
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timing.timedOut = what;
        controller.abort();
      }, ms);
    };
    let url = first;
    const want: Expected = { ...expected };
    try {
      arm(headersTimeout, `${headersTimeout} ms waiting for the response`);
      let res = await get(ctx, url, controller.signal, timing);
      for (let hop = 0; res.status >= 300 && res.status < 400; hop++) {
        want.sha256 ??= unquoteEtag(res.headers.get('x-linked-etag'));
        const linkedSize = Number(res.headers.get('x-linked-size') ?? NaN);
        if (want.size === undefined && Number.isFinite(linkedSize)) want.size = linkedSize;
        const location = res.headers.get('location');
        await res.body?.cancel().catch(() => {});
        if (!location || hop >= 5) throw new UsageError(`${hostOf(url)} redirected ${file} ${location ? 'too many times' : 'without a Location'}.`, { hint: 'Check --endpoint.' });
        url = new URL(location, url).toString();
        res = await get(ctx, url, controller.signal, timing);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw statusError(ctx, res, url, `${id}/${file} (revision ${revision})`);
      }
      if (!res.body) throw new TransientError(`${hostOf(url)} sent no body for ${file}`);
      want.sha256 ??= unquoteEtag(res.headers.get('x-linked-etag')) ?? unquoteEtag(res.headers.get('etag'));
      const length = Number(res.headers.get('content-length') ?? NaN);
      const total = want.size ?? (Number.isFinite(length) ? length : undefined);
      if (want.size !== undefined && Number.isFinite(length) && length !== want.size) {
        await res.body.cancel().catch(() => {});
        throw new UsageError(`${hostOf(url)} sends ${length} bytes for ${file}, but the repository lists ${want.size}.`, { hint: 'The mirror is out of date or the revision moved; try again or name a commit with --revision.' });
      }
      const sha = createHash('sha256');
      let bytes = 0;
      let lastPct = -1;
      const idleWhat = `${idleTimeout} ms (the transfer stalled)`;
      arm(idleTimeout, idleWhat);
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          arm(idleTimeout, idleWhat);
          sha.update(chunk);
          bytes += chunk.length;
          if (total && total > 50e6) {
            const pct = Math.floor((bytes * 10) / total) * 10;
            if (pct !== lastPct) {
              lastPct = pct;
              ctx.opts.log?.(`${id}/${file}: ${pct}% of ${(total / 1e6).toFixed(0)} MB`);
            }
          }
          done(null, chunk);
        },
      });
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, fs.createWriteStream(part));
      } catch (e) {
        throw networkFailure(url, e, timing.timedOut, ctx.offlineHint);
      }
      if (total !== undefined && bytes !== total) throw new TransientError(`the body of ${file} ended after ${bytes} of ${total} bytes`);
      const digest = sha.digest('hex');
      if (want.sha256 && digest !== want.sha256) throw new TransientError(`${file} has sha256 ${digest}, expected ${want.sha256}`);
      fs.renameSync(part, dest);
      return { bytes, sha256: digest };
    } catch (e) {
      fs.rmSync(part, { force: true });
      throw networkFailure(url, e, timing.timedOut, ctx.offlineHint);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Whether `dest` already holds the expected file (size, and sha256 when known). */
async function verifiedCopy(dest: string, expected: Expected): Promise<string | undefined> {
  try {
    const st = fs.statSync(dest);
    if (expected.size === undefined && expected.sha256 === undefined) return undefined;
    if (expected.size !== undefined && st.size !== expected.size) return undefined;
    const digest = await sha256File(dest);
    if (expected.sha256 !== undefined && digest !== expected.sha256) return undefined;
    return digest;
  } catch {
    return undefined;
  }
}

/** Downloads a Hub model for offline use (see the module comment). */
export async function fetchModel(nameOrId: string, opts: FetchOptions): Promise<FetchResult> {
  const id = hubIdFor(nameOrId);
  const revision = opts.revision ?? 'main';
  const dtype = opts.dtype ?? 'fp32';
  if (!(dtype in FETCH_DTYPE_FILES)) throw new UsageError(`unknown dtype "${dtype}".`, { hint: `Use one of: ${Object.keys(FETCH_DTYPE_FILES).join(', ')}.` });
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  let origin: string;
  try {
    origin = new URL(endpoint).origin;
  } catch {
    throw new UsageError(`endpoint "${endpoint}" is not a URL.`, { hint: 'Pass --endpoint https://huggingface.co or a mirror URL.' });
  }
  const token = opts.token ?? (process.env.HF_TOKEN || undefined);
  const dir = localModelDir(id, opts.modelsDir);
  const offlineHint = `Is this machine offline? Set $HF_ENDPOINT (or --endpoint) to a reachable mirror, or copy the model folder (config.json, tokenizer files, onnx/${path.basename(FETCH_DTYPE_FILES[dtype])}) into ${dir} by hand.`;
  const ctx: Ctx = { endpoint, origin, token, opts, offlineHint };
  const log = opts.log ?? (() => {});

  log(`${id}: listing revision ${revision} on ${hostOf(endpoint)}`);
  const info = await repoInfo(ctx, id, revision);
  const siblings = new Map<string, Sibling>();
  for (const s of info.siblings ?? []) if (s && typeof s.rfilename === 'string') siblings.set(s.rfilename, s);
  const listed = siblings.size > 0;

  const onnxFile = FETCH_DTYPE_FILES[dtype];
  const required = [...REQUIRED_META, onnxFile];
  if (listed) {
    const absent = required.filter((f) => !siblings.has(f));
    if (absent.length > 0) {
      const variants = Object.entries(FETCH_DTYPE_FILES)
        .filter(([, f]) => siblings.has(f))
        .map(([d]) => d);
      throw new UsageError(`${id} (revision ${revision}) has no ${absent.join(', ')}.`, {
        hint:
          absent.includes(onnxFile) && variants.length > 0
            ? `It has ONNX weights for dtype ${variants.join(', ')}: pass --dtype ${variants[0]}.`
            : 'transformers.js needs an ONNX export with these files (Xenova/* and onnx-community/* repositories have them).',
      });
    }
  }
  // External data of the chosen ONNX file: `<file>_data`, `<file>_data_1`, ... as listed.
  const dataFiles = [...siblings.keys()].filter((f) => f === `${onnxFile}_data` || f.startsWith(`${onnxFile}_data_`)).sort();
  const expectedOf = (f: string): Expected => {
    const s = siblings.get(f);
    if (!s) return {};
    const sha = s.lfs?.sha256 ?? (s.lfs?.oid && /^[0-9a-f]{64}$/.test(s.lfs.oid) ? s.lfs.oid : undefined);
    return { size: s.lfs?.size ?? s.size, sha256: sha };
  };

  const files: FetchedFile[] = [];
  const skipped: string[] = [];
  // Metadata first, external data next, the ONNX graph last.
  const plan: Array<{ file: string; optional: boolean }> = [
    ...REQUIRED_META.map((file) => ({ file, optional: false })),
    ...OPTIONAL_META.filter((f) => !listed || siblings.has(f)).map((file) => ({ file, optional: true })),
    ...dataFiles.map((file) => ({ file, optional: false })),
    { file: onnxFile, optional: false },
  ];
  for (const { file, optional } of plan) {
    const dest = path.join(dir, ...file.split('/'));
    const expected = expectedOf(file);
    if (!opts.force) {
      const have = await verifiedCopy(dest, expected);
      if (have) {
        files.push({ path: file, bytes: fs.statSync(dest).size, sha256: have, status: 'present' });
        log(`${id}/${file}: already present and verified`);
        continue;
      }
    }
    try {
      const r = await downloadOne(ctx, id, revision, file, dest, expected);
      files.push({ path: file, bytes: r.bytes, sha256: r.sha256, status: 'downloaded' });
      log(`${id}/${file}: ${(r.bytes / 1e6).toFixed(r.bytes > 1e6 ? 0 : 3)} MB`);
    } catch (e) {
      if (optional && e instanceof NotFoundError) {
        skipped.push(file);
        log(`${id}/${file}: not in the repository (optional), skipped`);
        continue;
      }
      throw e;
    }
  }
  const record = {
    id,
    revision,
    ...(info.sha ? { commit: info.sha } : {}),
    endpoint,
    dtype,
    files: files.map(({ path: p, bytes, sha256 }) => ({ path: p, bytes, sha256 })),
  };
  fs.writeFileSync(path.join(dir, FETCH_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  return { id, dir, revision, ...(info.sha ? { commit: info.sha } : {}), files, skipped };
}
