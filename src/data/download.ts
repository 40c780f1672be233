/**
 * Downloading one file over HTTP(S) to disk, streamed (never a whole-file buffer), hashed on the way
 * (SHA-256 and MD5), atomic and resumable:
 * - bytes go to `<dest>.part`; only a complete download is renamed to `<dest>`, so a partial file never
 *   looks complete;
 * - a `.part` left by an interrupted run is continued with an HTTP Range request (its bytes are re-hashed
 *   first); a server that ignores the range (200) restarts the file from zero;
 * - a response-header timeout and an idle timeout (no byte for `idleTimeoutMs`) abort a stuck transfer;
 * - every failure is a UsageError that names the host and says what to do (offline, 404, refused,
 *   cut off, wrong length).
 * Uses Node's built-in fetch (undici); redirects are followed.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { UsageError } from '../errors.js';

export interface DownloadOptions {
  url: string;
  /** Final path; the transfer writes `<dest>.part` and renames it when complete. */
  dest: string;
  /** Continue an existing `.part` with a Range request (default true). */
  resume?: boolean;
  /** Longest wait for the response headers, ms (default 30 000). */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams, ms (default 60 000). */
  idleTimeoutMs?: number;
  /** Called as bytes arrive: bytes on disk so far, and the total when the server says. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** What to suggest when the host cannot be reached (appended to the message). */
  offlineHint?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  md5: string;
  /** Bytes that came from an earlier interrupted run (0 when it started fresh). */
  resumedFrom: number;
}

const DEFAULT_OFFLINE_HINT = 'Are you offline? Point at a mirror with --base-url, or copy the files by hand and pass their path.';

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

async function sizeOf(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

async function hashExisting(file: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) for (const h of hashes) h.update(chunk);
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

/** The UsageError for a host that cannot be reached at all (no name, refused, unreachable), else undefined. */
export function unreachableError(host: string, f: NetworkFault, offlineHint: string, cause?: unknown): UsageError | undefined {
  if (f.kind === 'unresolved') return new UsageError(`cannot reach ${host}: the name does not resolve (${f.code}).`, { hint: offlineHint, cause });
  if (f.kind === 'refused') return new UsageError(`cannot reach ${host}: connection refused.`, { hint: `Nothing is listening there. ${offlineHint}`, cause });
  if (f.kind === 'unreachable') return new UsageError(`cannot reach ${host} (${f.code}).`, { hint: offlineHint, cause });
  return undefined;
}

/** Maps a network error to a UsageError naming the host. */
export function networkError(url: string, e: unknown, offlineHint: string, timedOut?: string): UsageError {
  if (e instanceof UsageError) return e;
  const host = hostOf(url);
  if (timedOut) return new UsageError(`no answer from ${host} for ${timedOut} while downloading ${url}.`, { hint: `The server is slow or unreachable; try again later. ${offlineHint}`, cause: e });
  const f = networkFault(e);
  const unreachable = unreachableError(host, f, offlineHint, e);
  if (unreachable) return unreachable;
  if (f.kind === 'closed') {
    return new UsageError(`the connection to ${host} was closed during the download of ${url} (${f.detail}).`, { hint: 'Run the command again: it resumes where it stopped.', cause: e });
  }
  return new UsageError(`download of ${url} failed: ${f.detail}.`, { hint: offlineHint, cause: e });
}

/** Downloads `url` to `dest` (see the module comment). */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  const offlineHint = opts.offlineHint ?? DEFAULT_OFFLINE_HINT;
  const headersTimeout = opts.headersTimeoutMs ?? 30_000;
  const idleTimeout = opts.idleTimeoutMs ?? 60_000;
  let have = opts.resume === false ? 0 : await sizeOf(part);
  if (have === 0) await rm(part, { force: true });

  const controller = new AbortController();
  let timedOut: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, what: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = what;
      controller.abort();
    }, ms);
  };

  try {
    arm(headersTimeout, `${duration(headersTimeout)} (waiting for the response)`);
    let res: Response;
    try {
      res = await fetch(opts.url, { signal: controller.signal, redirect: 'follow', headers: have > 0 ? { range: `bytes=${have}-` } : {} });
    } catch (e) {
      throw networkError(opts.url, e, offlineHint, timedOut);
    }

    let append = false;
    if (have > 0 && res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
      if (start !== undefined && Number(start) === have) append = true;
      else {
        await res.body?.cancel();
        await rm(part, { force: true });
        return downloadFile({ ...opts, resume: false });
      }
    } else if (have > 0 && res.status === 416) {
      // Range past the end: the partial file may already be whole; it is checked by the caller's checksum.
      const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
      await res.body?.cancel();
      if (total !== undefined && Number(total) === have) return await finish(part, opts.dest, have);
      await rm(part, { force: true });
      return downloadFile({ ...opts, resume: false });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      const host = hostOf(opts.url);
      if (res.status === 404 || res.status === 410) {
        throw new UsageError(`${opts.url} does not exist (HTTP ${res.status} from ${host}).`, { hint: 'Check the dataset name and the base URL.' });
      }
      throw new UsageError(`HTTP ${res.status} ${res.statusText} from ${host} for ${opts.url}.`, {
        hint: res.status >= 500 || res.status === 429 ? 'The server is failing or busy; try again later or use a mirror (--base-url).' : 'Check the URL and whether it needs access rights.',
      });
    }
    if (!res.body) throw new UsageError(`${hostOf(opts.url)} sent no body for ${opts.url}.`, { hint: 'Try again later.' });
    if (!append) have = 0;

    const sha = createHash('sha256');
    const md5 = createHash('md5');
    if (append) await hashExisting(part, [sha, md5]);
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? have + length : undefined;
    let bytes = have;
    const idleWhat = `${duration(idleTimeout)} (the transfer stalled)`;
    arm(idleTimeout, idleWhat);
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        arm(idleTimeout, idleWhat);
        sha.update(chunk);
        md5.update(chunk);
        bytes += chunk.length;
        opts.onProgress?.(bytes, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(part, { flags: append ? 'a' : 'w' }));
    } catch (e) {
      throw networkError(opts.url, e, offlineHint, timedOut);
    }
    if (total !== undefined && bytes !== total) {
      throw new UsageError(`the connection to ${hostOf(opts.url)} ended after ${bytes} of ${total} bytes of ${opts.url}.`, { hint: 'Run the command again: it resumes where it stopped.' });
    }
    await rename(part, opts.dest);
    return { path: opts.dest, bytes, sha256: sha.digest('hex'), md5: md5.digest('hex'), resumedFrom: append ? have : 0 };
  } finally {
    clearTimeout(timer);
  }
}

async function finish(part: string, dest: string, bytes: number): Promise<DownloadResult> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  await hashExisting(part, [sha, md5]);
  await rename(part, dest);
  return { path: dest, bytes, sha256: sha.digest('hex'), md5: md5.digest('hex'), resumedFrom: bytes };
}
