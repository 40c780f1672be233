/**
 * Fusion of two or more ranked lists into one (hybrid retrieval). Pure functions over ranked lists, so a
 * sweep fuses cached first-stage results without re-running them, and a sweep over fusion weights costs
 * nothing but arithmetic. Output is in trec_eval order (ties by doc id, deterministic); a document found by
 * several retrievers appears once.
 */
import { UsageError } from '../errors.js';
import { sortTrec } from '../data/order.js';
import type { Query, ScoredDoc } from '../data/types.js';
import type { Doc } from '../data/types.js';
import type { Retriever, SearchOptions } from './types.js';

export type FusionParams =
  | {
      method: 'rrf';
      /** RRF constant (Cormack et al. 2009): score = sum over lists of 1 / (k + rank), rank from 1. Default 60. */
      rrfK?: number;
    }
  | {
      method: 'weighted';
      /** One weight per list (default equal weights). */
      weights?: number[];
      /** Per-query, per-list score normalisation before weighting. Default min-max. */
      normalization?: 'minmax' | 'zscore';
    };

/**
 * Reciprocal rank fusion. Each list is first put in trec_eval order, so rank ties are broken the way
 * evaluation breaks them. Documents absent from a list get nothing from it.
 */
export function rrf(lists: readonly ScoredDoc[][], k = 60): ScoredDoc[] {
  if (!(k >= 0)) throw new UsageError(`rrfK must be a non-negative number, got ${k}.`, { key: 'rrfK' });
  const acc = new Map<string, number>();
  for (const list of lists) {
    const ranked = sortTrec([...list]);
    ranked.forEach((d, i) => acc.set(d.id, (acc.get(d.id) ?? 0) + 1 / (k + i + 1)));
  }
  return sortTrec([...acc].map(([id, score]) => ({ id, score })));
}

/**
 * Normalises one list's scores: min-max to [0, 1] (all-equal scores map to 1), or z-score (mean 0, sample
 * standard deviation 1; all-equal scores map to 0). Returns the normalised scores and the value that stands
 * for "not retrieved by this list": the list's minimum normalised score (a document a retriever did not
 * return is taken to be no better than the worst one it did return).
 */
export function normalizeScores(list: readonly ScoredDoc[], how: 'minmax' | 'zscore'): { scores: Map<string, number>; missing: number } {
  const scores = new Map<string, number>();
  if (list.length === 0) return { scores, missing: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const d of list) {
    min = Math.min(min, d.score);
    max = Math.max(max, d.score);
    sum += d.score;
  }
  if (how === 'minmax') {
    const range = max - min;
    for (const d of list) scores.set(d.id, range > 0 ? (d.score - min) / range : 1);
    return { scores, missing: 0 };
  }
  const mean = sum / list.length;
  let ss = 0;
  for (const d of list) ss += (d.score - mean) ** 2;
  const sd = list.length > 1 ? Math.sqrt(ss / (list.length - 1)) : 0;
  let lo = Infinity;
  for (const d of list) {
    const z = sd > 0 ? (d.score - mean) / sd : 0;
    scores.set(d.id, z);
    lo = Math.min(lo, z);
  }
  return { scores, missing: lo };
}

/** Weighted score fusion: sum over lists of weight × normalised score. */
export function weightedFusion(lists: readonly ScoredDoc[][], weights?: readonly number[], how: 'minmax' | 'zscore' = 'minmax'): ScoredDoc[] {
  const w = weights ?? lists.map(() => 1 / lists.length);
  if (w.length !== lists.length) {
    throw new UsageError(`fusion has ${lists.length} retrievers but ${w.length} weights.`, { key: 'weights', hint: 'Give one weight per retriever in `of`.' });
  }
  w.forEach((x, i) => {
    if (!Number.isFinite(x) || x < 0) throw new UsageError(`fusion weight ${i} must be a non-negative number, got ${x}.`, { key: `weights[${i}]` });
  });
  const norms = lists.map((l) => normalizeScores(l, how));
  const ids = new Set<string>();
  for (const l of lists) for (const d of l) ids.add(d.id);
  const out: ScoredDoc[] = [];
  for (const id of ids) {
    let s = 0;
    norms.forEach((n, i) => (s += w[i] * (n.scores.get(id) ?? n.missing)));
    out.push({ id, score: s });
  }
  return sortTrec(out);
}

export function fuse(lists: readonly ScoredDoc[][], params: FusionParams): ScoredDoc[] {
  return params.method === 'rrf' ? rrf(lists, params.rrfK ?? 60) : weightedFusion(lists, params.weights, params.normalization ?? 'minmax');
}

/**
 * A hybrid retriever: each part retrieves `depth` documents (default max(k, 100)), the lists are fused and
 * cut to k. Its parts are indexed by `index` unless they were indexed already (shared with other configs).
 */
export class HybridRetriever implements Retriever {
  readonly description: Record<string, unknown>;

  constructor(
    private readonly parts: Retriever[],
    private readonly params: FusionParams,
    private readonly depth?: number,
  ) {
    if (parts.length < 2) throw new UsageError('a hybrid retriever needs at least two retrievers in `of`.', { key: 'of' });
    this.description = { type: 'hybrid', of: parts.map((p) => p.description), ...params, ...(depth ? { depth } : {}) };
  }

  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    // Materialise once so every part sees the same documents.
    const docs: Doc[] = [];
    for await (const d of corpus) docs.push(d);
    for (const p of this.parts) await p.index(docs);
  }

  fusionDepth(k: number): number {
    return Math.max(k, this.depth ?? 100);
  }

  async search(query: Query, k: number, opts?: SearchOptions): Promise<ScoredDoc[]> {
    const d = this.fusionDepth(k);
    const lists = await Promise.all(this.parts.map((p) => p.search(query, d, opts)));
    return fuse(lists, this.params).slice(0, k);
  }
}
