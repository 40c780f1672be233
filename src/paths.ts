/**
 * Where rbench keeps things on disk. The cache (embeddings, indexes, reranker scores, finished work)
 * defaults to `.rbench-cache/` in the working directory or `$RBENCH_CACHE`; models built or fetched for
 * offline use live in `<cache>/models` unless `$RBENCH_MODELS` says otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

export function cacheDir(override?: string): string {
  return path.resolve(override ?? process.env.RBENCH_CACHE ?? '.rbench-cache');
}

export function modelsDir(cacheOverride?: string): string {
  if (process.env.RBENCH_MODELS) return path.resolve(process.env.RBENCH_MODELS);
  return path.join(cacheDir(cacheOverride), 'models');
}

/** The rbench package root (where package.json, datasets/ and configs/ are), from src/ or dist/src/. */
export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/paths.ts -> root is one up; dist/src/paths.js -> two up.
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
}

/** The shared collections beside the checkout (`../shared/datasets`), or `$RBENCH_SHARED_DATASETS`. */
export function sharedDatasetsDir(): string {
  return path.resolve(process.env.RBENCH_SHARED_DATASETS ?? path.join(packageRoot(), '..', 'shared', 'datasets'));
}

/**
 * Makes sure `dir` is a folder rbench can write, before any work is done: creates it and its missing
 * parents, then writes and deletes a probe file. Throws UsageError (exit 2) naming the path and the option
 * that set it. Creation walks up to the nearest existing ancestor and then down, one `mkdir` per missing
 * level, so it always ends: Node's recursive mkdir spins forever where mkdir fails with ENOENT (under /proc).
 */
export function ensureWritableDir(dir: string, what: string): string {
  const abs = path.resolve(dir);
  const fail = (message: string, cause?: unknown): never => {
    throw new UsageError(`${what} ${abs}: ${message}`, { hint: 'Choose a folder you can write to.', cause });
  };
  const missing: string[] = [];
  for (let p = abs; ; p = path.dirname(p)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(`cannot inspect ${p} (${code ?? (e as Error).message}).`, e);
    }
    if (st) {
      if (!st.isDirectory()) fail(p === abs ? 'exists but is a file, not a folder.' : `${p} is a file, so the folder cannot be created under it.`);
      break;
    }
    missing.push(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      fs.mkdirSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') fail(`cannot create ${p} (${code ?? (e as Error).message}).`, e);
    }
  }
  const probe = path.join(abs, `.rbench-write-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    fail(`is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, e);
  }
  return abs;
}
