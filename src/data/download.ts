/**
 * rbench's one HTTP(S) downloader, used by `rbench datasets fetch` (BEIR archives) and `rbench models
 * fetch` (Hub model files). A file is downloaded streamed (never a whole-file buffer), hashed on the way,
 * atomically and resumably:
 * - bytes go to `<dest>.part`; only a complete, verified download is renamed to `<dest>`, so a partial
 *   file never looks complete;
 * - a `.part` left by an interrupted attempt or run is continued with an HTTP Range request (its bytes
 *   are hashed first); a server that ignores the range (200) restarts the file from zero;
 * - the result is checked against the expected size, SHA-256 and MD5 when known; a mismatch deletes the
 *   part and is an error (`ChecksumMismatchError`), except after a resumed transfer, which is first
 *   downloaded once more from zero (the earlier part may be a different version of the file);
 * - transient failures (connection refused mid-way, reset, stalled or cut-short transfers, 5xx, 429, 408)
 *   are retried with exponential backoff and jitter (p-retry), each attempt resuming the part;
 *   everything else fails at once;
 * - redirects are followed by hand (at most 10), so that a bearer token goes to its own origin only and
 *   the Hub's `X-Linked-Etag` / `X-Linked-Size` (the sha256 and size of LFS files) can be read;
 * - a response-header timeout and an idle timeout (no byte for `idleTimeoutMs`) abort a stuck transfer;
 * - every failure is a UsageError (`DownloadError`) that names the host and says what to do.
 * Uses Node's built-in fetch (undici). `fetchJson` shares the requests, retries and messages for API
 * calls (the Hub's file listing).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { UsageError } from '../errors.js';

/** What a file must be; each known value is checked. */
export interface Expected {
  size?: number;
  /** Lower-case hex. */
  sha256?: string;
  /** Lower-case hex. */
  md5?: string;
}

export interface RetryPolicy {
  /** Attempts after the first (default 2). */
  retries?: number;
  /** Delay before the first retry in ms, doubled for each next one, with jitter (default 500). */
  minDelayMs?: number;
}

/** Hints appended to messages: how to get the file some other way, or what to check. */
export interface DownloadHints {
  /** When the host cannot be reached (default: use a mirror or copy the files by hand). */
  offline?: string;
  /** For 404 / 410 (default: check the URL). */
  notFound?: string;
  /** For 401 / 403 (default: it may need an access token). */
  denied?: string;
  /** For other 4xx answers and unusable URLs (default: check the URL). */
  check?: string;
  /** What else to do when the server is failing (`use a mirror (--base-url)`), added to "try again later". */
  mirror?: string;
  /** When the server sends another size than expected. */
  size?: string;
}

export interface RequestOptions {
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** A bearer token, sent only to URLs of `origin` (never to a redirect target elsewhere). */
  auth?: { token: string; origin: string };
  /** Longest wait for the response headers, ms (default 30 000). */
  headersTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Lines about retries (default: none). */
  log?: (line: string) => void;
  /** What messages call the thing fetched (default: the URL). */
  subject?: string;
  hints?: DownloadHints;
}

export interface DownloadOptions extends RequestOptions {
  url: string;
  /** Final path; the transfer writes `<dest>.part` and renames it when complete and verified. */
  dest: string;
  expected?: Expected;
  /** Take the expected sha256 and size from the Hub's `X-Linked-Etag` / `X-Linked-Size` (and an ETag of 64 hex digits). */
  hubHeaders?: boolean;
  /** Compute the MD5 even when none is expected (default: only to check `expected.md5`). */
  md5?: boolean;
  /** Continue an existing `.part` with a Range request (default true). */
  resume?: boolean;
  /** Keep the `.part` after a final failure, for the next run to resume (default true). */
  keepPartial?: boolean;
  /** Longest silence while the body streams, ms (default 60 000). */
  idleTimeoutMs?: number;
  /** Called as bytes arrive: bytes on disk so far, and the total when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Set when `md5` or `expected.md5` asked for it. */
  md5?: string;
  /** Bytes that came from an earlier interrupted attempt or run (0 when it started fresh). */
  resumedFrom: number;
}

export type DownloadFailure = 'not-found' | 'denied' | 'status' | 'unreachable' | 'url' | 'size' | 'checksum' | 'gave-up';

/** A download or request that failed for good; `kind` says how (`not-found` lets callers skip optional files). */
export class DownloadError extends UsageError {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
    opts: { hint?: string; cause?: unknown; status?: number } = {},
  ) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.status = opts.status;
  }
  readonly status: number | undefined;
}

/** The downloaded bytes have another checksum than expected; the part was deleted. */
export class ChecksumMismatchError extends DownloadError {
  constructor(
    readonly subject: string,
    readonly algorithm: 'sha256' | 'md5',
    readonly expected: string,
    readonly actual: string,
    readonly bytes: number,
  ) {
    super('checksum', `checksum mismatch for ${subject}: it has ${algorithm} ${actual}, expected ${expected} (${bytes} bytes); the download was deleted.`, {
      hint: 'The server sent a different file (a truncated copy, an error page, another version); try again or use another mirror.',
    });
  }
}

/** A failure worth another attempt; its message and hint become the UsageError's when attempts run out. */
class TransientError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const DEFAULT_OFFLINE_HINT = 'Are you offline? Point at a mirror, or copy the files by hand and pass their path.';
const MAX_REDIRECTS = 10;

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** What went wrong with a request, from Node's (undici's) error and its `cause`. */
export interface NetworkFault {
  kind: 'unresolved' | 'refused' | 'unreachable' | 'closed' | 'other';
  code: string | undefined;
  detail: string;
}

export function networkFault(e: unknown): NetworkFault {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (e as NodeJS.ErrnoException)?.code;
  const detail = cause?.message ?? (e instanceof Error ? e.message : String(e));
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return { kind: 'unresolved', code, detail };
    case 'ECONNREFUSED':
      return { kind: 'refused', code, detail };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { kind: 'unreachable', code, detail };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'EPIPE':
      return { kind: 'closed', code, detail };
    default:
      return { kind: /terminated|other side closed|premature|does not match content-length/i.test(detail) ? 'closed' : 'other', code, detail };
  }
}

interface Ctx {
  subject: string | undefined;
  hints: Required<Pick<DownloadHints, 'offline'>> & DownloadHints;
  keepPartial: boolean;
}

/**
 * The one classification of a failed request: a host that cannot be reached at all, or a URL that
 * cannot be requested, fails at once (DownloadError); a timeout, a connection closed mid-way or another
 * network error is transient.
 */
function classify(url: string, e: unknown, timedOut: string | undefined, ctx: Ctx): Error {
  if (e instanceof UsageError || e instanceof TransientError) return e;
  const host = hostOf(url);
  const offline = ctx.hints.offline;
  if (timedOut) return new TransientError(`no answer from ${host} for ${timedOut} while downloading ${url}`, `The server is slow or unreachable; try again later. ${offline}`);
  const f = networkFault(e);
  if (f.kind === 'unresolved') return new DownloadError('unreachable', `cannot reach ${host}: the name does not resolve (${f.code}).`, { hint: offline, cause: e });
  if (f.kind === 'refused') return new DownloadError('unreachable', `cannot reach ${host}: connection refused.`, { hint: `Nothing is listening there. ${offline}`, cause: e });
  if (f.kind === 'unreachable') return new DownloadError('unreachable', `cannot reach ${host} (${f.code}).`, { hint: offline, cause: e });
  if (f.kind === 'closed') {
    return new TransientError(
      `the connection to ${host} was closed during the download of ${url} (${f.detail})`,
      ctx.keepPartial ? 'Run the command again: it resumes where it stopped.' : 'The connection is unreliable; run the command again later.',
    );
  }
  // Errors of the request itself (a blocked port, a malformed URL) will not go away by retrying.
  if (/bad port|invalid url|unsupported protocol|not implemented/i.test(f.detail)) {
    return new DownloadError('url', `cannot request ${url}: ${f.detail}.`, { hint: ctx.hints.check ?? 'Check the URL.', cause: e });
  }
  return new TransientError(`request to ${url} failed: ${f.detail}`, offline);
}

/** The error for an unsuccessful HTTP status: transient for 5xx, 429 and 408, else a DownloadError. */
function statusFailure(res: Response, url: string, ctx: Ctx): Error {
  const host = hostOf(url);
  const status = res.status;
  if (status >= 500 || status === 429 || status === 408) {
    return new TransientError(`HTTP ${status} ${res.statusText} from ${host} for ${url}`, `The server is failing or busy; try again later${ctx.hints.mirror ? ` or ${ctx.hints.mirror}` : ''}.`);
  }
  const what = ctx.subject ?? url;
  if (status === 404 || status === 410) {
    return new DownloadError('not-found', `${what} does not exist (HTTP ${status} from ${host}${ctx.subject ? ` for ${url}` : ''}).`, { hint: ctx.hints.notFound ?? 'Check the URL.', status });
  }
  if (status === 401 || status === 403) {
    return new DownloadError('denied', `${host} refused access to ${what} (HTTP ${status}).`, { hint: ctx.hints.denied ?? 'It may need an access token.', status });
  }
  return new DownloadError('status', `HTTP ${status} ${res.statusText} from ${host} for ${url}.`, { hint: ctx.hints.check ?? 'Check the URL and whether it needs access rights.', status });
}

function context(opts: RequestOptions, keepPartial: boolean): Ctx {
  return { subject: opts.subject, hints: { ...opts.hints, offline: opts.hints?.offline ?? DEFAULT_OFFLINE_HINT }, keepPartial };
}

/** Runs `attempt` with retries on transient errors; the last transient error becomes a DownloadError. */
async function retrying<T>(opts: RequestOptions, what: string, attempt: () => Promise<T>): Promise<T> {
  const retries = opts.retry?.retries ?? 2;
  try {
    return await pRetry(
      async () => {
        try {
          return await attempt();
        } catch (e) {
          if (e instanceof TransientError) throw e;
          throw new AbortError(e instanceof Error ? e : new Error(String(e)));
        }
      },
      {
        retries,
        minTimeout: opts.retry?.minDelayMs ?? 500,
        factor: 2,
        randomize: true,
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0) opts.log?.(`${what}: ${error.message}; retrying (${retriesLeft} left)`);
        },
      },
    );
  } catch (e) {
    if (e instanceof TransientError) {
      const message = retries > 0 ? `${e.message}; could not download ${what} after ${retries + 1} attempts.` : `${e.message}.`;
      throw new DownloadError('gave-up', message, { hint: e.hint, cause: e });
    }
    throw e;
  }
}

/** Aborts a request when no response or no byte comes for a while; `timedOut` says which wait ran out. */
class Watchdog {
  readonly controller = new AbortController();
  timedOut: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  arm(ms: number, what: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = what;
      this.controller.abort();
    }, ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Hub checksum headers seen on the way (redirects included). */
interface Linked {
  sha256?: string;
  size?: number;
}

function unquoteEtag(v: string | null): string | undefined {
  if (!v) return undefined;
  const s = v.replace(/^W\//, '').replace(/^"|"$/g, '');
  return /^[0-9a-f]{64}$/.test(s) ? s : undefined;
}

/**
 * One GET, redirects followed by hand; the caller owns the body of the response returned. The token
 * goes only to its origin; `linked` collects the Hub's checksum headers from every hop.
 */
async function request(url: string, opts: RequestOptions, extra: Record<string, string>, dog: Watchdog, ctx: Ctx, linked?: Linked): Promise<{ res: Response; url: string }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': 'rbench', ...opts.headers, ...extra };
    let sameOrigin = false;
    try {
      sameOrigin = opts.auth !== undefined && new URL(current).origin === opts.auth.origin;
    } catch {
      // An unparsable URL fails in fetch below, with its message.
    }
    if (sameOrigin && opts.auth) headers.authorization = `Bearer ${opts.auth.token}`;
    let res: Response;
    try {
      res = await fetch(current, { headers, redirect: 'manual', signal: dog.controller.signal });
    } catch (e) {
      throw classify(current, e, dog.timedOut, ctx);
    }
    if (linked) {
      linked.sha256 ??= unquoteEtag(res.headers.get('x-linked-etag'));
      const size = Number(res.headers.get('x-linked-size') ?? NaN);
      if (linked.size === undefined && Number.isFinite(size)) linked.size = size;
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || res.status === 304) return { res, url: current };
    await res.body?.cancel().catch(() => {});
    if (!location || hop >= MAX_REDIRECTS) {
      throw new DownloadError('status', `${hostOf(current)} redirected ${ctx.subject ?? url} ${location ? 'too many times' : 'without a Location'}.`, { hint: ctx.hints.check ?? 'Check the URL.' });
    }
    current = new URL(location, current).toString();
  }
}

/**
 * GETs `url` and parses its JSON body (an API call such as the Hub's file listing), with the
 * downloader's redirects, token rule, timeout, retries and messages.
 */
export async function fetchJson(url: string, opts: RequestOptions = {}): Promise<unknown> {
  return (await fetchJsonPage(url, opts)).body;
}

/** The target of a `Link: <url>; rel="next"` header (RFC 8288; the Hub pages its file listings so), resolved against `base`. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(m[2]);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return new URL(m[1], base).toString();
  }
  return undefined;
}

/**
 * Every page of a paged JSON listing: GETs `url`, then each `Link: rel="next"` in turn (at most
 * `maxPages`), and returns the bodies in order.
 */
export async function fetchJsonPages(url: string, opts: RequestOptions = {}, maxPages = 10_000): Promise<unknown[]> {
  const bodies: unknown[] = [];
  const seen = new Set<string>();
  let next: string | undefined = url;
  while (next !== undefined) {
    if (seen.has(next) || bodies.length >= maxPages) {
      throw new DownloadError('status', `${hostOf(url)} pages its answer to ${url} without end (page ${bodies.length + 1} repeats or exceeds ${maxPages}).`, { hint: opts.hints?.check ?? 'Check the URL.' });
    }
    seen.add(next);
    const page = await fetchJsonPage(next, opts);
    bodies.push(page.body);
    next = page.next;
  }
  return bodies;
}

async function fetchJsonPage(url: string, opts: RequestOptions): Promise<{ body: unknown; next?: string }> {
  const ctx = context(opts, false);
  return retrying(opts, opts.subject ?? url, async () => {
    const dog = new Watchdog();
    const timeout = opts.headersTimeoutMs ?? 30_000;
    dog.arm(timeout, duration(timeout));
    let at = url;
    try {
      const { res, url: final } = await request(url, opts, { accept: 'application/json' }, dog, ctx);
      at = final;
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw statusFailure(res, final, ctx);
      }
      const text = await res.text();
      const next = nextLink(res.headers.get('link'), final);
      try {
        return { body: JSON.parse(text) as unknown, ...(next !== undefined ? { next } : {}) };
      } catch {
        throw new DownloadError('status', `${hostOf(final)} answered ${final} with something that is not JSON.`, { hint: ctx.hints.check ?? 'Check the URL.' });
      }
    } catch (e) {
      throw classify(at, e, dog.timedOut, ctx);
    } finally {
      dog.stop();
    }
  });
}

async function sizeOf(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

async function hashInto(file: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) for (const h of hashes) h.update(chunk);
}

/**
 * Whether `file` already holds the expected bytes (every known value of `expected` checked; nothing
 * known means no); returns its size and sha256 when it does.
 */
export async function verifiedCopy(file: string, expected: Expected): Promise<{ bytes: number; sha256: string } | undefined> {
  if (expected.size === undefined && expected.sha256 === undefined && expected.md5 === undefined) return undefined;
  const bytes = await sizeOf(file);
  if (bytes === 0 && expected.size !== 0) return undefined;
  if (expected.size !== undefined && bytes !== expected.size) return undefined;
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  try {
    await hashInto(file, [sha, md5]);
  } catch {
    return undefined;
  }
  const sha256 = sha.digest('hex');
  if (expected.sha256 !== undefined && sha256 !== expected.sha256) return undefined;
  if (expected.md5 !== undefined && md5.digest('hex') !== expected.md5) return undefined;
  return { bytes, sha256 };
}

/** Downloads `url` to `dest` (see the module comment). */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  const keepPartial = opts.keepPartial ?? true;
  const ctx = context(opts, keepPartial);
  await mkdir(path.dirname(opts.dest), { recursive: true });
  if (opts.resume === false) await rm(part, { force: true });
  try {
    return await retrying(opts, opts.subject ?? opts.url, () => attempt(opts, part, ctx, true));
  } catch (e) {
    if (!keepPartial) await rm(part, { force: true });
    throw e;
  }
}

/** One attempt: resumes `part` when allowed, streams, verifies, renames. */
async function attempt(opts: DownloadOptions, part: string, ctx: Ctx, mayResume: boolean): Promise<DownloadResult> {
  const want: Expected = { ...opts.expected };
  let have = mayResume && opts.resume !== false ? await sizeOf(part) : 0;
  if (have === 0 || (want.size !== undefined && have > want.size)) {
    have = 0;
    await rm(part, { force: true });
  }
  const headersTimeout = opts.headersTimeoutMs ?? 30_000;
  const idleTimeout = opts.idleTimeoutMs ?? 60_000;
  const dog = new Watchdog();
  const linked: Linked = {};
  let url = opts.url;
  const fresh = async (): Promise<DownloadResult> => {
    dog.stop();
    await rm(part, { force: true });
    return attempt(opts, part, ctx, false);
  };
  try {
    dog.arm(headersTimeout, `${duration(headersTimeout)} (waiting for the response)`);
    const got = await request(opts.url, opts, have > 0 ? { range: `bytes=${have}-` } : {}, dog, ctx, opts.hubHeaders ? linked : undefined);
    const res = got.res;
    url = got.url;
    if (opts.hubHeaders) {
      want.sha256 ??= linked.sha256 ?? unquoteEtag(res.headers.get('etag'));
      want.size ??= linked.size;
    }

    let append = false;
    if (have > 0 && res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (start === undefined || Number(start) !== have) {
        await res.body?.cancel().catch(() => {});
        return await fresh();
      }
      append = true;
    } else if (have > 0 && res.status === 416) {
      // Range past the end: the part may already be whole; the checksums decide.
      const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
      await res.body?.cancel().catch(() => {});
      if (total === undefined || Number(total) !== have) return await fresh();
      dog.stop();
      return await finish(opts, part, want, have, have, ctx);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw statusFailure(res, url, ctx);
    }
    if (!res.body) throw new TransientError(`${hostOf(url)} sent no body for ${url}`, 'Try again later.');
    if (!append) have = 0;

    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? have + length : want.size;
    if (want.size !== undefined && total !== undefined && total !== want.size) {
      await res.body.cancel().catch(() => {});
      throw new DownloadError('size', `${hostOf(url)} sends ${total} bytes for ${ctx.subject ?? url}, but ${want.size} were expected.`, {
        hint: ctx.hints.size ?? 'The server has another version of the file; try again later or use another mirror.',
      });
    }

    const hashes = { sha: createHash('sha256'), md5: opts.md5 || want.md5 !== undefined ? createHash('md5') : undefined };
    if (append) await hashInto(part, hashes.md5 ? [hashes.sha, hashes.md5] : [hashes.sha]);
    let bytes = have;
    const idleWhat = `${duration(idleTimeout)} (the transfer stalled)`;
    dog.arm(idleTimeout, idleWhat);
    // Each chunk is on disk before the next is read, and the file is closed (not destroyed) when the
    // transfer fails: every byte received is kept, so the next attempt resumes exactly where this one
    // stopped (a stream pipeline would drop the chunks still queued for writing).
    const out = await open(part, append ? 'a' : 'w');
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        dog.arm(idleTimeout, idleWhat);
        await out.write(chunk);
        hashes.sha.update(chunk);
        hashes.md5?.update(chunk);
        bytes += chunk.length;
        opts.onProgress?.(bytes, total);
      }
    } catch (e) {
      throw classify(url, e, dog.timedOut, ctx);
    } finally {
      await out.close();
    }
    if (total !== undefined && bytes !== total) {
      throw new TransientError(
        `the connection to ${hostOf(url)} ended after ${bytes} of ${total} bytes of ${url}`,
        ctx.keepPartial ? 'Run the command again: it resumes where it stopped.' : 'The connection is unreliable; run the command again later.',
      );
    }
    dog.stop();
    return await complete(opts, part, want, { bytes, sha256: hashes.sha.digest('hex'), md5: hashes.md5?.digest('hex'), resumedFrom: append ? have : 0 }, ctx, mayResume);
  } catch (e) {
    throw classify(url, e, dog.timedOut, ctx);
  } finally {
    dog.stop();
  }
}

/** A part that the server says is already whole: hashed, then verified like a download. */
async function finish(opts: DownloadOptions, part: string, want: Expected, bytes: number, resumedFrom: number, ctx: Ctx): Promise<DownloadResult> {
  const sha = createHash('sha256');
  const md5 = opts.md5 || want.md5 !== undefined ? createHash('md5') : undefined;
  await hashInto(part, md5 ? [sha, md5] : [sha]);
  return complete(opts, part, want, { bytes, sha256: sha.digest('hex'), md5: md5?.digest('hex'), resumedFrom }, ctx, true);
}

/**
 * Checks the finished part against `want` and renames it into place. A mismatch deletes the part; when
 * some of it came from an earlier attempt, the file is downloaded once more from zero before giving up.
 */
async function complete(opts: DownloadOptions, part: string, want: Expected, got: Omit<DownloadResult, 'path'>, ctx: Ctx, mayResume: boolean): Promise<DownloadResult> {
  const mismatch =
    want.sha256 !== undefined && got.sha256 !== want.sha256
      ? { algorithm: 'sha256' as const, expected: want.sha256, actual: got.sha256 }
      : want.md5 !== undefined && got.md5 !== want.md5
        ? { algorithm: 'md5' as const, expected: want.md5, actual: got.md5 ?? '' }
        : undefined;
  if (mismatch) {
    await rm(part, { force: true });
    if (got.resumedFrom > 0 && mayResume) return attempt(opts, part, ctx, false);
    throw new ChecksumMismatchError(ctx.subject ?? opts.url, mismatch.algorithm, mismatch.expected, mismatch.actual, got.bytes);
  }
  await rename(part, opts.dest);
  return { path: opts.dest, ...got };
}
