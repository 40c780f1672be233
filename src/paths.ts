/**
 * Where rbench keeps things on disk. The cache (embeddings, indexes, reranker scores, finished work)
 * defaults to `.rbench-cache/` in the working directory or `$RBENCH_CACHE`; models built or fetched for
 * offline use live in `<cache>/models` unless `$RBENCH_MODELS` says otherwise.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
