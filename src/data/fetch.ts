/**
 * `rbench datasets fetch <name>`: downloads a public BEIR archive `<base>/<name>.zip` into
 * `<cache>/datasets/`, verifies it, unpacks it and installs the BEIR folder as `<cache>/datasets/<name>/`.
 *
 * Nothing half-done ever looks like a dataset: the archive streams to `.<name>.zip.part` (resumed by the
 * next run), is verified, is unpacked into a dot-named temporary folder, and only a complete, checked
 * folder is renamed into place. A wrong checksum deletes the download and leaves nothing behind.
 *
 * Checksums: `--sha256` or `--md5` if given; else the MD5 BEIR publishes (beir-catalog.ts); for a name
 * BEIR does not list, the computed hashes are printed with a warning so the user can pin them. The
 * download itself (resume, retries, verification, messages) is `downloadFile`'s (download.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { cacheDir } from '../paths.js';
import { BEIR_ARCHIVES, BEIR_DEFAULT_BASE_URL } from './beir-catalog.js';
import { inspectBeirFolder, isBeirFolder } from './beir.js';
import { quoteExcerpt } from './diagnostics.js';
import { FETCH_RECORD, readFetchRecord, type FetchRecord } from './datasets.js';
import { ChecksumMismatchError, downloadFile, type Expected } from './download.js';
import { extractZip } from './unzip.js';

export interface FetchOptions {
  /** Default `$RBENCH_BEIR_BASE_URL`, else BEIR's public URL. */
  baseUrl?: string;
  md5?: string;
  sha256?: string;
  /** Fetch again even when the dataset is there (also discards a partial download). */
  force?: boolean;
  cacheDir?: string;
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Retries of a transient failure (default 2) and the first delay in ms (default 500, doubled each time). */
  retries?: number;
  retryDelayMs?: number;
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** Progress and warning lines (default: none). */
  log?: (line: string) => void;
}

export interface FetchResult {
  name: string;
  /** The installed folder `<cache>/datasets/<name>`. */
  folder: string;
  /** True when it was there already and nothing was downloaded. */
  alreadyPresent: boolean;
  record: FetchRecord;
  /** How the archive was checked (`already-present`: nothing was downloaded; see `record`). */
  verified: 'sha256' | 'md5' | 'published-md5' | 'unverified' | 'already-present';
  /** BEIR folders inside, relative to `folder` (`.` for the folder itself; cqadupstack has one per forum). */
  beirFolders: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HEX = (n: number): RegExp => new RegExp(`^[0-9a-f]{${n}}$`);

export function beirBaseUrl(given?: string): string {
  const base = given ?? process.env.RBENCH_BEIR_BASE_URL ?? BEIR_DEFAULT_BASE_URL;
  try {
    const u = new URL(base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`the base URL ${quoteExcerpt(base)} is not an http(s) URL.`, { hint: 'Pass e.g. --base-url https://mirror.example.org/beir/' });
  }
  return base.endsWith('/') ? base : `${base}/`;
}

/** BEIR folders at `folder` or one level below, relative to it. */
function findBeirFolders(folder: string): string[] {
  if (isBeirFolder(folder)) return ['.'];
  return readdirSync(folder)
    .filter((d) => !d.startsWith('.') && isBeirFolder(path.join(folder, d)))
    .sort();
}

/** The folder of the extracted archive to install: `<tmp>/<name>/`, the only top folder, or `<tmp>` itself. */
function pickTop(tmp: string, name: string): string {
  const entries = readdirSync(tmp).filter((e) => !e.startsWith('.') && e !== '__MACOSX');
  if (entries.includes(name) && statSync(path.join(tmp, name)).isDirectory()) return path.join(tmp, name);
  const dirsOnly = entries.filter((e) => statSync(path.join(tmp, e)).isDirectory());
  if (entries.length === 1 && dirsOnly.length === 1) return path.join(tmp, dirsOnly[0]);
  return tmp;
}

export async function fetchBeirDataset(name: string, opts: FetchOptions = {}): Promise<FetchResult> {
  if (!NAME.test(name)) {
    throw new UsageError(`${quoteExcerpt(name)} is not a dataset name (letters, digits, '.', '_' and '-').`, { hint: `Known BEIR names: ${Object.keys(BEIR_ARCHIVES).join(', ')}.` });
  }
  const md5 = opts.md5?.toLowerCase();
  const sha256 = opts.sha256?.toLowerCase();
  if (md5 !== undefined && !HEX(32).test(md5)) throw new UsageError(`--md5 ${opts.md5} is not 32 hex digits.`);
  if (sha256 !== undefined && !HEX(64).test(sha256)) throw new UsageError(`--sha256 ${opts.sha256} is not 64 hex digits.`);
  const log = opts.log ?? (() => {});
  const root = path.join(cacheDir(opts.cacheDir), 'datasets');
  const folder = path.join(root, name);
  const zip = path.join(root, `.${name}.zip`);

  if (existsSync(folder) && !opts.force) {
    const record = readFetchRecord(folder);
    if (record) {
      return { name, folder, alreadyPresent: true, record, verified: 'already-present', beirFolders: findBeirFolders(folder) };
    }
    throw new UsageError(`already exists but was not written by \`rbench datasets fetch\`.`, { file: folder, hint: 'Move it away, or pass --force to replace it.' });
  }
  await mkdir(root, { recursive: true });
  const release = await lock(path.join(root, `.${name}.lock`), name);
  try {
    return await fetchLocked(name, opts, { root, folder, zip, md5, sha256, log });
  } finally {
    await release();
  }
}

/**
 * Takes `<root>/.<name>.lock` (holding this process's pid) so that two fetches of one dataset do not
 * write the same files. A lock whose process is gone (a fetch killed by Ctrl-C) is taken over.
 */
export async function lock(file: string, name: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new UsageError(`another \`rbench datasets fetch ${name}\` (process ${pid}) is running.`, { file, hint: 'Wait for it to finish; if no such process runs, delete the lock file.' });
      }
      await rm(file, { force: true }); // stale: its process is gone
    }
  }
  throw new UsageError('cannot take the download lock.', { file, hint: 'Delete the lock file and try again.' });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Paths {
  root: string;
  folder: string;
  zip: string;
  md5?: string;
  sha256?: string;
  log: (line: string) => void;
}

async function fetchLocked(name: string, opts: FetchOptions, { root, folder, zip, md5, sha256, log }: Paths): Promise<FetchResult> {
  if (opts.force) await rm(`${zip}.part`, { force: true });

  const published = BEIR_ARCHIVES[name];
  const url = `${beirBaseUrl(opts.baseUrl)}${encodeURIComponent(name)}.zip`;
  // The checksum to hold the archive to: the user's, else the one BEIR publishes, else none (a warning).
  const [expected, verified]: [Expected, FetchResult['verified']] =
    sha256 !== undefined ? [{ sha256 }, 'sha256'] : md5 !== undefined ? [{ md5 }, 'md5'] : published ? [{ md5: published.md5 }, 'published-md5'] : [{}, 'unverified'];
  log(`downloading ${url}`);
  let got;
  try {
    got = await downloadFile({
      url,
      dest: zip,
      expected,
      md5: true,
      headersTimeoutMs: opts.headersTimeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      retry: { retries: opts.retries, minDelayMs: opts.retryDelayMs },
      log,
      onProgress: opts.onProgress,
      hints: {
        offline: `Are you offline? Use --base-url (or $RBENCH_BEIR_BASE_URL) to point at a mirror, or copy the BEIR folder by hand and pass its path in the config (\`path:\`).`,
        notFound: 'Check the dataset name and the base URL.',
        mirror: 'use a mirror (--base-url)',
      },
    });
  } catch (e) {
    if (!(e instanceof ChecksumMismatchError)) throw e;
    const kind = verified === 'published-md5' ? 'md5 (published by BEIR)' : e.algorithm;
    throw new UsageError(`checksum mismatch for ${url}: expected ${kind} ${e.expected}, got ${e.actual} (${e.bytes} bytes); the download was deleted and nothing was installed.`, {
      hint: 'The server sent a different file (a truncated copy, an error page, another version). Try again or use another mirror; if the file is right, pass its checksum with --sha256/--md5.',
    });
  }
  const gotMd5 = got.md5 ?? '';
  if (verified === 'unverified') {
    log(`warning: ${name} is not a BEIR dataset with a published checksum, so the archive could not be verified. It has sha256 ${got.sha256} (md5 ${gotMd5}); pin it with --sha256 next time.`);
  }

  const tmp = path.join(root, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    log(`unpacking ${got.bytes} bytes`);
    await extractZip(zip, tmp);
    const top = pickTop(tmp, name);
    const beirFolders = findBeirFolders(top);
    if (beirFolders.length === 0) {
      const shown = readdirSync(top).slice(0, 20).join(', ');
      throw new UsageError(`the archive from ${url} holds no BEIR folder (corpus.jsonl, queries.jsonl, qrels/); it holds ${shown || 'nothing'}.`, {
        hint: 'Check the URL: it must serve a BEIR-format zip.',
      });
    }
    for (const f of beirFolders) inspectBeirFolder(path.join(top, f)); // every member present
    const record: FetchRecord = { url, bytes: got.bytes, md5: gotMd5, sha256: got.sha256, fetchedAt: new Date().toISOString() };
    await writeFile(path.join(top, FETCH_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    if (existsSync(folder)) {
      const old = path.join(root, `.${name}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(folder, old);
      await rm(old, { recursive: true, force: true });
    }
    await rename(top, folder);
    return { name, folder, alreadyPresent: false, record, verified, beirFolders };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(zip, { force: true });
  }
}
