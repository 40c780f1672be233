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
import fs from 'node:fs';
import path from 'node:path';
import { DownloadError, downloadFile, fetchJson, hostOf, verifiedCopy, type Expected, type RequestOptions } from '../data/download.js';
import { UsageError } from '../errors.js';
import { findAlias } from './aliases.js';
import { localModelDir } from './local.js';

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

/** What every request of one fetch shares: endpoint, token, hints, retry policy. */
interface Ctx {
  endpoint: string;
  request: RequestOptions;
  opts: FetchOptions;
}

/** Lists the repository at a revision. */
async function repoInfo(ctx: Ctx, id: string, revision: string): Promise<RepoInfo> {
  const url = `${ctx.endpoint}/api/models/${id}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const body = await fetchJson(url, { ...ctx.request, subject: `model ${id} at revision ${revision}` });
  if (!body || typeof body !== 'object') throw new UsageError(`${hostOf(url)} answered ${url} with something that is not a repository description.`, { hint: 'Check --endpoint.' });
  return body as RepoInfo;
}

/** Downloads one file to `dest` (via `<dest>.part`), verifying size and sha256. Returns its size and sha256. */
async function downloadOne(ctx: Ctx, id: string, revision: string, file: string, dest: string, expected: Expected): Promise<{ bytes: number; sha256: string }> {
  const url = `${ctx.endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  let lastPct = -1;
  const r = await downloadFile({
    ...ctx.request,
    url,
    dest,
    subject: `${id}/${file}`,
    expected,
    hubHeaders: true,
    // A failed file leaves nothing behind (the folder must never look complete); within one fetch,
    // each retry resumes the part of the one before.
    keepPartial: false,
    idleTimeoutMs: ctx.opts.idleTimeoutMs,
    onProgress: (bytes, total) => {
      if (!total || total <= 50e6) return;
      const pct = Math.floor((bytes * 10) / total) * 10;
      if (pct !== lastPct) {
        lastPct = pct;
        ctx.opts.log?.(`${id}/${file}: ${pct}% of ${(total / 1e6).toFixed(0)} MB`);
      }
    },
  });
  return { bytes: r.bytes, sha256: r.sha256 };
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
  const offline = `Is this machine offline? Set $HF_ENDPOINT (or --endpoint) to a reachable mirror, or copy the model folder (config.json, tokenizer files, onnx/${path.basename(FETCH_DTYPE_FILES[dtype])}) into ${dir} by hand.`;
  const request: RequestOptions = {
    headers: { 'user-agent': 'rbench (+models fetch)' },
    ...(token ? { auth: { token, origin } } : {}),
    headersTimeoutMs: opts.headersTimeoutMs,
    retry: { retries: opts.retries ?? 4, minDelayMs: opts.retryDelayMs ?? 1000 },
    log: opts.log,
    hints: {
      offline,
      notFound: 'Check the model id and --revision.',
      denied: token
        ? 'The token in $HF_TOKEN does not grant access to it: accept the model terms on the Hub or use a token with access.'
        : 'It may be gated or private: set $HF_TOKEN to a Hugging Face access token.',
      check: 'Check the model id, --revision and --endpoint.',
      mirror: 'set $HF_ENDPOINT (or --endpoint) to a mirror',
      size: 'The mirror is out of date or the revision moved; try again or name a commit with --revision.',
    },
  };
  const ctx: Ctx = { endpoint, request, opts };
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
        files.push({ path: file, bytes: have.bytes, sha256: have.sha256, status: 'present' });
        log(`${id}/${file}: already present and verified`);
        continue;
      }
    }
    try {
      const r = await downloadOne(ctx, id, revision, file, dest, expected);
      files.push({ path: file, bytes: r.bytes, sha256: r.sha256, status: 'downloaded' });
      log(`${id}/${file}: ${(r.bytes / 1e6).toFixed(r.bytes > 1e6 ? 0 : 3)} MB`);
    } catch (e) {
      if (optional && e instanceof DownloadError && e.kind === 'not-found') {
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
