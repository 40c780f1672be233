import type { ScoredDoc } from '../../data/types.js';

/** A vector index over L2-normalised vectors; scores are inner products (= cosine similarity). */
export interface VectorIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly size: number;
  readonly dimension: number;
  /** Adds the vectors in order; ids must be unique. */
  build(ids: readonly string[], vectors: readonly Float32Array[]): Promise<void>;
  search(vector: Float32Array, k: number): ScoredDoc[];
  /** Parameters for results and cache keys. */
  describe(): Record<string, unknown>;
}
