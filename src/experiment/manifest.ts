/**
 * The manifest of a results file: everything needed to re-run exactly that experiment and to refuse when
 * something that changes the numbers is not the same (`rbench run --reproduce results.json`, `rbench merge`).
 *
 * - `configHash`: sha256 of the validated config (defaults filled in), canonical JSON;
 * - `configDir`: where the config was, so relative dataset paths resolve as they did;
 * - `datasets`: label, resolved folder, split and sha256 of each dataset's files;
 * - `models`: the identity of every model that produced a number (embedders and rerankers): backend, source,
 *   weights kind, the sha256 of its local files, or what its server said about itself;
 * - `packages`: rbench and the version of every dependency installed; `git`: commit and dirty flag;
 * - `seeds`: the timing sample, the statistics, and HNSW's construction.
 */
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../canonical.js';
import { identityKey } from '../models/embedding-cache.js';
import type { ModelIdentity } from '../models/types.js';
import { packageRoot } from '../paths.js';
import { sha256Hex } from '../store/store.js';
import type { ExpandedConfig } from './config.js';
import { packageVersion, type Environment } from './environment.js';
import type { DatasetSummary } from './results.js';

export interface Manifest {
  configHash: string;
  configDir: string;
  datasets: { label: string; path: string; split: string; sha256: string }[];
  /** Keyed by what the config wrote (alias, Hub id, path or URL) and the backend. */
  models: (ModelIdentity & { key: string })[];
  packages: Record<string, string>;
  git: { commit: string | null; dirty: boolean | null };
  seeds: { latency: number; statistics: number; hnsw: number[] };
}

export function configHash(x: ExpandedConfig): string {
  return sha256Hex(canonicalJson(x.config));
}

/** Versions of rbench and of every dependency in its package.json, as installed. */
export function installedPackages(rbench: string): Record<string, string> {
  const own = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const out: Record<string, string> = { rbench };
  for (const name of Object.keys(own.dependencies ?? {}).sort()) out[name] = packageVersion(name);
  return out;
}

/**
 * A model's key in the manifest: the cache's identity key (everything that changes its outputs; not the name
 * the user wrote, not the thread count), so two machines that ran the same weights agree on it.
 */
export function modelKey(identity: ModelIdentity): string {
  return identityKey(identity);
}

export function buildManifest(x: ExpandedConfig, datasets: readonly DatasetSummary[], models: Iterable<ModelIdentity>, environment: Environment): Manifest {
  const byKey = new Map<string, ModelIdentity & { key: string }>();
  for (const m of models) byKey.set(modelKey(m), { ...m, key: modelKey(m) });
  const hnsw = new Set<number>();
  for (const r of x.retrievers) {
    const seed = (r as { hnsw?: { seed?: number } }).hnsw?.seed;
    if (seed !== undefined) hnsw.add(seed);
  }
  return {
    configHash: configHash(x),
    configDir: path.dirname(path.resolve(x.file)),
    datasets: datasets.map((d) => ({ label: d.name, path: d.path, split: d.split, sha256: d.sha256 })),
    models: [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key)),
    packages: installedPackages(environment.rbench),
    git: { commit: environment.gitCommit, dirty: environment.gitDirty },
    seeds: { latency: x.config.latency.seed, statistics: x.config.statistics.seed, hnsw: [...hnsw].sort((a, b) => a - b) },
  };
}
