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
  search(query: Query, k: number, opts?: SearchOptions): Promise<ScoredDoc[]>;
  /** Top-k for many queries; the default is a loop over `search`, backends may batch. */
  searchMany?(queries: Query[], k: number, opts?: SearchOptions): Promise<Map<string, ScoredDoc[]>>;
  dispose?(): Promise<void>;
}

export interface SearchOptions {
  /**
   * Whether caches (e.g. cached query embeddings) may be used. The timing pass sets this to false:
   * a cache hit must never be reported as a latency. Default true.
   */
  useCache?: boolean;
}

/** Runs `searchMany` when the retriever has it, else `search` query by query. */
export async function searchAll(r: Retriever, queries: Query[], k: number, opts?: SearchOptions): Promise<Map<string, ScoredDoc[]>> {
  if (r.searchMany) return r.searchMany(queries, k, opts);
  const out = new Map<string, ScoredDoc[]>();
  for (const q of queries) out.set(q.id, await r.search(q, k, opts));
  return out;
}
