/**
 * `rbench datasets fetch <owner/name> --hub [--revision R] [--endpoint URL]`: downloads the parquet files
 * of a Hugging Face dataset repository in the MTEB retrieval layout (mteb.ts) into
 * `<cache>/datasets/<owner>--<name>/`, keeping the repository's paths.
 *
 * Protocol (the Hub's, and any mirror's that `$HF_ENDPOINT` or `--endpoint` names):
 * - `GET <endpoint>/api/datasets/<id>/revision/<rev>` resolves the revision to a commit (`sha`);
 * - `GET <endpoint>/api/datasets/<id>/tree/<commit>?recursive=true` lists the files, paged by `Link:
 *   rel="next"` headers; an LFS file (every parquet file on the Hub) carries `lfs.oid`, its SHA-256, and
 *   `lfs.size`; another file carries its git blob id (`oid`, SHA-1 of `blob <size>\0<bytes>`) and `size`;
 * - `GET <endpoint>/datasets/<id>/resolve/<commit>/<path>` downloads a file (LFS files through a redirect
 *   to a CDN on another origin).
 * Files are listed and downloaded at the commit the revision resolved to, so a branch that moves during
 * the fetch cannot mix two versions. The revision is URL-encoded as one path segment
 * (`refs%2Fconvert%2Fparquet`), as huggingface_hub does.
 *
 * Which revision: `--revision` when given; else `main`, and when `main` holds no parquet files in the
 * MTEB layout (mteb/scifact's `main` holds corpus.jsonl, queries.jsonl and qrels/ instead), the Hub's own
 * parquet conversion, revision `refs/convert/parquet`, which has every config as `{config}/{split}/0000.parquet`.
 *
 * Every file goes through the shared downloader (download.ts): streamed to `<file>.part`, resumed with a
 * Range request, retried, and checked against the size and SHA-256 the listing gives (the git blob id for
 * a file outside LFS). The files are gathered in `<cache>/datasets/.<owner>--<name>.partial/`, which the
 * next run resumes; only when every file is there and verified, the fetch record is written and the
 * folder renamed into place, so a half-fetched dataset never looks like one. `$HF_TOKEN` (or `token`) is
 * sent to the endpoint's origin only, never to the CDN, and never logged or written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { cacheDir } from '../paths.js';
import { FETCH_RECORD, isHubId, localDatasetName, readFetchRecord, type FetchRecord } from './datasets.js';
import { quoteExcerpt } from './diagnostics.js';
import { ChecksumMismatchError, DownloadError, downloadFile, fetchJson, fetchJsonPages, hostOf, verifiedCopy, type Expected, type RequestOptions } from './download.js';
import { lock } from './fetch.js';
import { isMtebFolder, placeParquet } from './mteb.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
/** The branch where the Hub keeps its automatic parquet conversion of a dataset. */
export const PARQUET_CONVERSION = 'refs/convert/parquet';

export interface HubFetchOptions {
  /** Branch, tag or commit; default `main`, falling back to `refs/convert/parquet` (see the module comment). */
  revision?: string;
  /** Hub or mirror base URL (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Bearer token (default `$HF_TOKEN`). */
  token?: string;
  /** Fetch again even when the dataset is there (also discards files gathered by an interrupted fetch). */
  force?: boolean;
  cacheDir?: string;
  /** Retries of a transient failure per request (default 4) and the first delay in ms (default 1000, doubled each time). */
  retries?: number;
  retryDelayMs?: number;
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Bytes of the current file so far, and its size when known. */
  onProgress?: (file: string, bytes: number, total: number | undefined) => void;
}

export interface HubFetchedFile {
  path: string;
  bytes: number;
  sha256: string;
  /** `present`: verified from an earlier, interrupted fetch; `resumed`: continued from a partial download. */
  status: 'downloaded' | 'resumed' | 'present';
}

export interface HubFetchResult {
  id: string;
  /** Registry name: `mteb--scifact`. */
  name: string;
  folder: string;
  /** True when it was there already and nothing was downloaded. */
  alreadyPresent: boolean;
  record: FetchRecord;
  files: HubFetchedFile[];
}

/** One file of the repository listing. */
interface TreeFile {
  path: string;
  size: number;
  /** Git blob id (SHA-1 of `blob <size>\0<bytes>`). */
  oid?: string;
  /** SHA-256 of an LFS file. */
  sha256?: string;
}

interface Ctx {
  id: string;
  endpoint: string;
  request: RequestOptions;
  log: (line: string) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** The commit a revision resolves to (the revision itself when the server does not say). */
async function resolveRevision(ctx: Ctx, revision: string): Promise<string | undefined> {
  const url = `${ctx.endpoint}/api/datasets/${ctx.id}/revision/${encodeURIComponent(revision)}`;
  const body = await fetchJson(url, { ...ctx.request, subject: `dataset ${ctx.id} at revision ${revision}` });
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new UsageError(`${hostOf(url)} answered ${url} with something that is not a dataset description.`, { hint: 'Check --endpoint: it must be the Hub or a mirror of its API.' });
  }
  const sha = (body as { sha?: unknown }).sha;
  return typeof sha === 'string' && HEX40.test(sha) ? sha : undefined;
}

/** Every file of the repository at `ref`, from the tree API (all pages). */
async function listFiles(ctx: Ctx, ref: string, revision: string): Promise<TreeFile[]> {
  const url = `${ctx.endpoint}/api/datasets/${ctx.id}/tree/${encodeURIComponent(ref)}?recursive=true`;
  const pages = await fetchJsonPages(url, { ...ctx.request, subject: `the file list of dataset ${ctx.id} at revision ${revision}` });
  const files: TreeFile[] = [];
  for (const page of pages) {
    if (!Array.isArray(page)) throw new UsageError(`${hostOf(url)} answered ${url} with something that is not a file list.`, { hint: 'Check --endpoint: it must be the Hub or a mirror of its API.' });
    for (const e of page as Array<Record<string, unknown>>) {
      if (!e || e.type !== 'file' || typeof e.path !== 'string') continue;
      const lfs = e.lfs as { oid?: unknown; sha256?: unknown; size?: unknown } | undefined;
      const lfsSha = [lfs?.oid, lfs?.sha256].find((v): v is string => typeof v === 'string' && HEX64.test(v.replace(/^sha256:/, '')));
      const size = typeof lfs?.size === 'number' ? lfs.size : typeof e.size === 'number' ? e.size : undefined;
      if (size === undefined) continue;
      files.push({
        path: e.path,
        size,
        ...(lfsSha ? { sha256: lfsSha.replace(/^sha256:/, '') } : typeof e.oid === 'string' && HEX40.test(e.oid) ? { oid: e.oid } : {}),
      });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Parquet files in the MTEB layout (placed, with a corpus config); empty when the listing has none. */
function mtebFiles(files: TreeFile[]): TreeFile[] {
  const placed = files.filter((f) => /\.parquet$/i.test(f.path) && placeParquet(f.path) !== undefined);
  const hasCorpus = placed.some((f) => {
    const p = placeParquet(f.path)!;
    return p.config === 'corpus' || p.config.endsWith('-corpus') || (p.config === 'default' && p.split === 'corpus');
  });
  return hasCorpus ? placed : [];
}

function summarize(files: TreeFile[]): string {
  const top = [...new Set(files.map((f) => (f.path.includes('/') ? `${f.path.split('/')[0]}/` : f.path)))].sort();
  return top.length === 0 ? 'no files' : top.slice(0, 15).join(', ') + (top.length > 15 ? `, … (${top.length} entries)` : '');
}

/** The revision to fetch, its commit and its MTEB parquet files (see the module comment). */
async function plan(ctx: Ctx, asked: string | undefined): Promise<{ revision: string; commit?: string; files: TreeFile[] }> {
  const candidates = asked !== undefined ? [asked] : ['main', PARQUET_CONVERSION];
  const seen: string[] = [];
  for (const revision of candidates) {
    let commit: string | undefined;
    try {
      commit = await resolveRevision(ctx, revision);
    } catch (e) {
      // No conversion branch: the error below says what `main` held.
      if (revision === PARQUET_CONVERSION && seen.length > 0 && e instanceof DownloadError && e.kind === 'not-found') break;
      throw e;
    }
    const all = await listFiles(ctx, commit ?? revision, revision);
    const files = mtebFiles(all);
    const partial = files.find((f) => {
      const p = placeParquet(f.path)!;
      return p.split.startsWith('partial-') && (p.config === 'corpus' || p.config.endsWith('-corpus') || (p.config === 'default' && p.split === 'partial-corpus'));
    });
    if (partial) {
      throw new UsageError(`${ctx.id} at revision ${revision} holds only part of its corpus (${partial.path}): the Hub's parquet conversion stops after 5 GB of a dataset, and a partial corpus gives wrong numbers.`, {
        hint: 'Name a revision with the complete parquet files (--revision), or download the dataset\'s own files and give their folder as `path:`.',
      });
    }
    if (files.length > 0) return { revision, ...(commit ? { commit } : {}), files };
    seen.push(`revision ${revision} holds ${summarize(all)}`);
    if (revision === 'main' && asked === undefined) ctx.log(`${ctx.id}: main holds no parquet files in the MTEB layout; trying the Hub's parquet conversion (revision ${PARQUET_CONVERSION})`);
  }
  throw new UsageError(`${ctx.id} has no parquet files in the MTEB retrieval layout: ${seen.join('; ')}.`, {
    hint:
      'rbench reads configs `corpus`, `queries` and `default` (or `qrels`) stored as parquet (e.g. corpus/test-00000-of-00001.parquet). ' +
      (asked === undefined ? `Name a revision that has them with --revision, or download the files by hand and give their folder as \`path:\`.` : `Try without --revision (main, then ${PARQUET_CONVERSION}).`),
  });
}

/** Git's blob id of a file: SHA-1 of `blob <size>\0` and the bytes. */
async function gitBlobId(file: string): Promise<string> {
  const data = await readFile(file);
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Files under `dir` (relative, `/`-separated), dot-named entries included. */
function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else out.push(r);
  }
  return out;
}

/** Removes from the staging folder what the plan does not hold (files of another revision), keeping partial downloads of planned files. */
async function pruneStaging(staging: string, keep: Set<string>): Promise<void> {
  for (const rel of filesUnder(staging)) {
    const target = rel.endsWith('.part') ? rel.slice(0, -'.part'.length) : rel;
    if (!keep.has(target)) await rm(path.join(staging, ...rel.split('/')), { force: true });
  }
}

async function fetchOne(ctx: Ctx, ref: string, f: TreeFile, staging: string, opts: HubFetchOptions): Promise<HubFetchedFile> {
  const dest = path.join(staging, ...f.path.split('/'));
  const expected: Expected = { size: f.size, ...(f.sha256 ? { sha256: f.sha256 } : {}) };
  if (f.sha256) {
    const have = await verifiedCopy(dest, expected);
    if (have) return { path: f.path, bytes: have.bytes, sha256: have.sha256, status: 'present' };
  }
  await mkdir(path.dirname(dest), { recursive: true });
  const url = `${ctx.endpoint}/datasets/${ctx.id}/resolve/${encodeURIComponent(ref)}/${encodePath(f.path)}`;
  let got;
  try {
    got = await downloadFile({
      ...ctx.request,
      url,
      dest,
      subject: `${ctx.id}/${f.path}`,
      expected,
      hubHeaders: true,
      idleTimeoutMs: opts.idleTimeoutMs,
      onProgress: opts.onProgress ? (bytes, total) => opts.onProgress!(f.path, bytes, total) : undefined,
    });
  } catch (e) {
    if (e instanceof ChecksumMismatchError) {
      throw new UsageError(`checksum mismatch for ${e.subject}: it has ${e.algorithm} ${e.actual}, the file list says ${e.expected} (${e.bytes} bytes); the download was deleted and nothing was installed.`, {
        hint: `The server sent other bytes than its file list describes (a damaged mirror, another version). Try again; the files already verified are kept for the next run (--force discards them).`,
      });
    }
    throw e;
  }
  if (!f.sha256 && f.oid !== undefined) {
    const oid = await gitBlobId(dest);
    if (oid !== f.oid) {
      await rm(dest, { force: true });
      throw new UsageError(`checksum mismatch for ${ctx.id}/${f.path}: its git blob id is ${oid}, the file list says ${f.oid} (${got.bytes} bytes); the download was deleted and nothing was installed.`, {
        hint: 'The server sent other bytes than its file list describes; try again.',
      });
    }
  }
  return { path: f.path, bytes: got.bytes, sha256: got.sha256, status: got.resumedFrom > 0 ? 'resumed' : 'downloaded' };
}

/** SHA-256 over `path<TAB>sha256<LF>` of the files, in path order: the fetched set's identity. */
export function filesHash(files: Array<{ path: string; sha256: string }>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\t${f.sha256}\n`);
  return h.digest('hex');
}

/** Downloads a Hub dataset's MTEB parquet files (see the module comment). */
export async function fetchHubDataset(id: string, opts: HubFetchOptions = {}): Promise<HubFetchResult> {
  if (!isHubId(id)) {
    throw new UsageError(`${quoteExcerpt(id)} is not a Hugging Face dataset id (owner/name, e.g. mteb/scifact).`, { hint: 'Without --hub, `rbench datasets fetch` takes a BEIR dataset name.' });
  }
  const endpoint = (opts.endpoint ?? (process.env.HF_ENDPOINT || undefined) ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  let origin: string;
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    origin = u.origin;
  } catch {
    throw new UsageError(`the endpoint ${quoteExcerpt(endpoint)} is not an http(s) URL.`, { hint: 'Pass --endpoint https://huggingface.co or a mirror URL (or set $HF_ENDPOINT).' });
  }
  const token = opts.token ?? (process.env.HF_TOKEN || undefined);
  const name = localDatasetName(id);
  const root = path.join(cacheDir(opts.cacheDir), 'datasets');
  const folder = path.join(root, name);
  const staging = path.join(root, `.${name}.partial`);
  const log = opts.log ?? (() => {});

  if (existsSync(folder) && !opts.force) {
    const record = readFetchRecord(folder);
    if (record?.hub?.id === id) {
      const want = opts.revision;
      if (want !== undefined && want !== record.hub.revision && want !== record.hub.commit) {
        throw new UsageError(`${id} is already fetched at revision ${record.hub.revision}${record.hub.commit ? ` (commit ${record.hub.commit})` : ''}, not ${want}.`, { file: folder, hint: 'Pass --force to replace it with that revision.' });
      }
      return { id, name, folder, alreadyPresent: true, record, files: record.hub.files.map((f) => ({ ...f, status: 'present' })) };
    }
    throw new UsageError(`already exists but was not written by \`rbench datasets fetch ${id} --hub\`.`, { file: folder, hint: 'Move it away, or pass --force to replace it.' });
  }

  const request: RequestOptions = {
    headers: { 'user-agent': 'rbench (+datasets fetch)' },
    ...(token ? { auth: { token, origin } } : {}),
    headersTimeoutMs: opts.headersTimeoutMs,
    retry: { retries: opts.retries ?? 4, minDelayMs: opts.retryDelayMs ?? 1000 },
    log,
    hints: {
      offline: `Is this machine offline? Set $HF_ENDPOINT (or --endpoint) to a reachable mirror, or copy the dataset's parquet files by hand and give their folder as \`path:\` (format mteb).`,
      notFound: `Check the dataset id and --revision (the Hub answers 404 for a private dataset without a token, too).`,
      denied: token ? 'The token in $HF_TOKEN does not grant access to it: accept the dataset\'s terms on the Hub or use a token with access.' : 'It may be gated or private: set $HF_TOKEN to a Hugging Face access token.',
      check: 'Check the dataset id, --revision and --endpoint.',
      mirror: 'set $HF_ENDPOINT (or --endpoint) to a mirror',
      size: 'The mirror is out of date or the revision moved; try again, or name a commit with --revision.',
    },
  };
  const ctx: Ctx = { id, endpoint, request, log };

  await mkdir(root, { recursive: true });
  const release = await lock(path.join(root, `.${name}.lock`), `${id} --hub`);
  try {
    if (opts.force) await rm(staging, { recursive: true, force: true });
    log(`${id}: listing ${opts.revision ?? 'main'} on ${hostOf(endpoint)}`);
    const p = await plan(ctx, opts.revision);
    const ref = p.commit ?? p.revision;
    await mkdir(staging, { recursive: true });
    await pruneStaging(staging, new Set(p.files.map((f) => f.path)));
    const total = p.files.reduce((a, f) => a + f.size, 0);
    log(`${id}: ${p.files.length} parquet files, ${total} bytes, at revision ${p.revision}${p.commit ? ` (commit ${p.commit})` : ''}`);
    const files: HubFetchedFile[] = [];
    for (const f of p.files) {
      const r = await fetchOne(ctx, ref, f, staging, opts);
      files.push(r);
      log(`${id}/${f.path}: ${r.bytes} bytes, ${r.status === 'present' ? 'already here and verified' : r.status}`);
    }
    if (!isMtebFolder(staging)) throw new UsageError(`the files fetched for ${id} do not form an MTEB dataset.`, { file: staging, hint: 'Report this: the file list and the files disagree.' });
    const record: FetchRecord = {
      url: `${endpoint}/datasets/${id}`,
      bytes: files.reduce((a, f) => a + f.bytes, 0),
      sha256: filesHash(files),
      fetchedAt: new Date().toISOString(),
      hub: { id, revision: p.revision, ...(p.commit ? { commit: p.commit } : {}), endpoint, files: files.map(({ path: fp, bytes, sha256 }) => ({ path: fp, bytes, sha256 })) },
    };
    await writeFile(path.join(staging, FETCH_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    if (existsSync(folder)) {
      const old = path.join(root, `.${name}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(folder, old);
      await rm(old, { recursive: true, force: true });
    }
    await rename(staging, folder);
    return { id, name, folder, alreadyPresent: false, record, files };
  } finally {
    await release();
  }
}
