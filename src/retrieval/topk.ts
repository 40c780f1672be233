/**
 * Top-k selection in trec_eval order over dense document numbers: score descending, equal scores by
 * document id descending in UTF-8 byte order. The id order is precomputed once per index as an integer rank
 * per document (`idRank`), so the heap compares two numbers instead of two strings.
 * Hand-written: a bounded binary min-heap on parallel typed arrays (no npm heap avoids per-item objects).
 */
import { compareCodePoints } from '../data/order.js';

/** rank[d] = position of ids[d] in ascending UTF-8 byte order (so a greater rank wins a tie). */
export function idRanks(ids: readonly string[]): Int32Array {
  const order = Array.from(ids.keys()).sort((a, b) => compareCodePoints(ids[a], ids[b]));
  const rank = new Int32Array(ids.length);
  for (let r = 0; r < order.length; r++) rank[order[r]] = r;
  return rank;
}

export class TopKHeap {
  private scores: Float64Array;
  private docs: Int32Array;
  private size = 0;
  private k = 0;
  private outDocs = new Int32Array(0);
  private outScores = new Float64Array(0);

  constructor(private readonly rank: Int32Array) {
    this.scores = new Float64Array(16);
    this.docs = new Int32Array(16);
  }

  /** Empties the heap for a new query keeping at most k entries. */
  reset(k: number): void {
    this.k = Math.max(0, k);
    this.size = 0;
    const cap = Math.min(this.k, this.rank.length);
    if (this.scores.length < cap) {
      this.scores = new Float64Array(cap);
      this.docs = new Int32Array(cap);
    }
  }

  /** true when (sa, da) ranks below (sb, db). */
  private worse(sa: number, da: number, sb: number, db: number): boolean {
    return sa !== sb ? sa < sb : this.rank[da] < this.rank[db];
  }

  push(score: number, doc: number): void {
    const { scores, docs } = this;
    if (this.size < this.k) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.worse(score, doc, scores[p], docs[p])) break;
        scores[c] = scores[p];
        docs[c] = docs[p];
        c = p;
      }
      scores[c] = score;
      docs[c] = doc;
      return;
    }
    if (this.k === 0 || !this.worse(scores[0], docs[0], score, doc)) return;
    this.siftDown(score, doc, this.size);
  }

  /** Puts (score, doc) at the root of the first n entries and sifts it down to its place. */
  private siftDown(score: number, doc: number, n: number): void {
    const { scores, docs } = this;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.worse(scores[r], docs[r], scores[l], docs[l]) ? r : l;
      if (!this.worse(scores[m], docs[m], score, doc)) break;
      scores[c] = scores[m];
      docs[c] = docs[m];
      c = m;
    }
    scores[c] = score;
    docs[c] = doc;
  }

  /**
   * Drains the heap: documents best first, as (doc number, score) pairs passed to `out`. Heap-sort
   * extraction (the root is the worst kept entry, so popping fills the output from the back).
   */
  drain(out: (doc: number, score: number) => void): void {
    const n = this.size;
    if (this.outDocs.length < n) {
      this.outDocs = new Int32Array(this.scores.length);
      this.outScores = new Float64Array(this.scores.length);
    }
    const { scores, docs, outDocs, outScores } = this;
    for (let last = n - 1; last >= 0; last--) {
      outDocs[last] = docs[0];
      outScores[last] = scores[0];
      // Move the last entry to the root and sift it down over the remaining `last` entries.
      this.siftDown(scores[last], docs[last], last);
    }
    for (let i = 0; i < n; i++) out(outDocs[i], outScores[i]);
    this.size = 0;
  }
}
