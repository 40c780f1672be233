import hnswlib from 'hnswlib-node';
import type { ScoredDoc } from '../../data/types.js';
import { sortTrec } from '../../data/order.js';
import { UsageError } from '../../errors.js';
import type { VectorIndex } from './index-types.js';

export interface HnswParams {
  /** Graph degree (hnswlib `M`). */
  M: number;
  efConstruction: number;
  efSearch: number;
  /** Seed of hnswlib's level generator: same seed and insertion order give the same graph. */
  seed: number;
}

export const DEFAULT_HNSW: HnswParams = { M: 16, efConstruction: 200, efSearch: 100, seed: 100 };

/**
 * Approximate inner-product search with hnswlib-node. Its `ip` space returns distance = 1 - dot, turned
 * back into a similarity here. The HNSW top-k is re-sorted into trec_eval order (ties by doc id) so that
 * it is comparable with exact search; its recall against exact search is measured by `annRecall`.
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  private index: hnswlib.HierarchicalNSW | undefined;
  private ids: readonly string[] = [];
  dimension = 0;
  readonly params: HnswParams;

  constructor(params: Partial<HnswParams> = {}) {
    this.params = { ...DEFAULT_HNSW, ...params };
    for (const [key, v] of Object.entries(this.params)) {
      if (!Number.isInteger(v) || v < (key === 'seed' ? 0 : 1)) {
        throw new UsageError(`hnsw.${key} must be a positive integer, got ${String(v)}.`, { key: `hnsw.${key}` });
      }
    }
  }

  get size(): number {
    return this.ids.length;
  }

  async build(ids: readonly string[], vectors: readonly Float32Array[]): Promise<void> {
    const dim = vectors[0]?.length ?? 0;
    const index = new hnswlib.HierarchicalNSW('ip', dim);
    index.initIndex(Math.max(1, ids.length), this.params.M, this.params.efConstruction, this.params.seed);
    // hnswlib-node takes plain number[] (not typed arrays).
    for (let i = 0; i < vectors.length; i++) index.addPoint(Array.from(vectors[i]), i);
    index.setEf(this.params.efSearch);
    this.index = index;
    this.ids = ids;
    this.dimension = dim;
  }

  /** Changes efSearch without rebuilding (a sweep over efSearch shares one graph). */
  setEfSearch(ef: number): void {
    this.params.efSearch = ef;
    this.index?.setEf(ef);
  }

  search(q: Float32Array, k: number): ScoredDoc[] {
    if (!this.index) throw new Error('HnswIndex.search before build');
    const n = Math.min(k, this.ids.length);
    if (n === 0) return [];
    // hnswlib needs ef >= k to return k results.
    if (this.index.getEf() < n) this.index.setEf(n);
    const { neighbors, distances } = this.index.searchKnn(Array.from(q), n);
    if (this.index.getEf() !== this.params.efSearch) this.index.setEf(this.params.efSearch);
    const out = neighbors.map((label, j) => ({ id: this.ids[label], score: 1 - distances[j] }));
    return sortTrec(out);
  }

  describe(): Record<string, unknown> {
    return { index: 'hnsw', hnsw: { M: this.params.M, efConstruction: this.params.efConstruction, efSearch: this.params.efSearch, seed: this.params.seed } };
  }
}

/**
 * Recall@k of an approximate top-k against the exact top-k, averaged over queries:
 * |approx ∩ exact| / |exact|. This is the "approximate similarity" loss made visible.
 */
export function annRecall(exact: ReadonlyMap<string, ScoredDoc[]>, approx: ReadonlyMap<string, ScoredDoc[]>, k: number): number {
  let sum = 0;
  let n = 0;
  for (const [qid, truth] of exact) {
    const t = truth.slice(0, k);
    if (t.length === 0) continue;
    const got = new Set((approx.get(qid) ?? []).slice(0, k).map((d) => d.id));
    let hit = 0;
    for (const d of t) if (got.has(d.id)) hit++;
    sum += hit / t.length;
    n++;
  }
  return n === 0 ? 1 : sum / n;
}
