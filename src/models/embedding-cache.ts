import { canonicalJson } from '../canonical.js';
import type { Store } from '../store/store.js';
import { sha256Hex } from '../store/store.js';
import type { Embedder, ModelIdentity } from './types.js';

/**
 * Stable key for a model identity: everything that changes the outputs, hashed. The name the user wrote
 * (alias or path) and the thread count are left out: neither changes a vector or a score (the backends
 * test that scores are bit-identical across thread counts), so they must not invalidate the cache.
 * A remote server's self-description (`server`) is in it when there is one, so another model served at the
 * same URL gets another key; `server: null` (nothing said) adds nothing, which keeps the keys such models
 * had before servers were asked (their cache is checked by re-scoring instead, see `needsScoreCanary`).
 */
export function identityKey(identity: ModelIdentity): string {
  const { name: _name, settings, server, ...rest } = identity;
  const { threads: _threads, ...kept } = settings ?? {};
  const canonical = server ? { ...rest, settings: kept, server } : { ...rest, settings: kept };
  return sha256Hex(canonicalJson(canonical)).slice(0, 32);
}

export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * Wraps an Embedder with the durable cache: vectors are keyed by (model identity, role, text), so a
 * second run over the same corpus embeds nothing. Misses are embedded in batches of `batchSize` and each
 * batch is committed before the next starts, so an interrupted run keeps what it finished.
 * The timing pass must not use this wrapper: a cache hit is not a latency.
 */
export class CachedEmbedder implements Embedder {
  readonly identity: ModelIdentity;
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  private readonly key: string;

  constructor(
    private readonly inner: Embedder,
    private readonly store: Store,
    private readonly batchSize = 64,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {
    this.identity = inner.identity;
    this.key = identityKey(inner.identity);
  }

  dimension(): Promise<number> {
    return this.inner.dimension();
  }

  embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.embed('query', texts, (t) => this.inner.embedQueries(t));
  }

  embedDocuments(texts: string[]): Promise<Float32Array[]> {
    return this.embed('passage', texts, (t) => this.inner.embedDocuments(t));
  }

  private async embed(role: string, texts: string[], run: (t: string[]) => Promise<Float32Array[]>): Promise<Float32Array[]> {
    const model = `${this.key}:${role}`;
    const out = await this.wellFormed(this.store.getEmbeddings(model, texts));
    const missing: number[] = [];
    out.forEach((v, i) => (v ? this.stats.hits++ : missing.push(i)));
    this.stats.misses += missing.length;
    for (let s = 0; s < missing.length; s += this.batchSize) {
      const idx = missing.slice(s, s + this.batchSize);
      const batch = idx.map((i) => texts[i]);
      const vecs = await run(batch);
      this.store.putEmbeddings(model, batch, vecs);
      idx.forEach((i, j) => (out[i] = vecs[j]));
      this.onProgress?.(Math.min(s + this.batchSize, missing.length), missing.length);
    }
    return out as Float32Array[];
  }

  /**
   * Cached vectors whose length is not the model's (a damaged row) become misses. The model's dimension is
   * asked only when the cached vectors disagree among themselves, which a healthy cache never does.
   */
  private async wellFormed(cached: (Float32Array | undefined)[]): Promise<(Float32Array | undefined)[]> {
    const lengths = new Set(cached.filter((v) => v !== undefined).map((v) => v.length));
    if (lengths.size <= 1) return cached;
    const dim = await this.inner.dimension();
    return cached.map((v) => (v && v.length === dim ? v : undefined));
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}
