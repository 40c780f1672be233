import type { Doc, Query, ScoredDoc } from '../data/types.js';

/**
 * A first-stage retriever: index a corpus once, then top-k for queries. Results are in trec_eval order
 * (score descending, ties by document id descending in UTF-8 byte order).
 */
export interface Retriever {
  /** Parameters that identify this retriever in results and caches (type, engine, k1, b, embedder...). */
  readonly description: Record<string, unknown>;
  index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void>;
  /** Top-k documents for one query. */
  search(query: Query, k: number): Promise<ScoredDoc[]>;
  /** Top-k for many queries; the default is a loop over `search`, backends may batch. */
  searchMany?(queries: Query[], k: number): Promise<Map<string, ScoredDoc[]>>;
  dispose?(): Promise<void>;
}
