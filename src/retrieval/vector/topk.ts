import { compareCodePoints, sortTrec } from '../../data/order.js';
import type { ScoredDoc } from '../../data/types.js';

/**
 * Bounded selection of the k best (score, id) pairs in trec_eval order (score descending, then doc id
 * descending in UTF-8 byte order). A binary min-heap whose root is the worst kept entry; O(n log k).
 * Hand-written: no npm heap keeps parallel typed arrays and this tie order without allocating per item.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly idx: Int32Array;
  private size = 0;

  constructor(
    private readonly k: number,
    /** Document ids by index, for the tie-break. */
    private readonly ids: readonly string[],
  ) {
    this.scores = new Float64Array(Math.max(1, k));
    this.idx = new Int32Array(Math.max(1, k));
  }

  /** true when (sa, ia) ranks below (sb, ib) in trec_eval order. */
  private worse(sa: number, ia: number, sb: number, ib: number): boolean {
    if (sa !== sb) return sa < sb;
    return compareCodePoints(this.ids[ia]!, this.ids[ib]!) < 0;
  }

  push(score: number, i: number): void {
    if (this.k <= 0 || Number.isNaN(score)) return;
    const { scores, idx } = this;
    if (this.size < this.k) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.worse(score, i, scores[p]!, idx[p]!)) break;
        scores[c] = scores[p]!;
        idx[c] = idx[p]!;
        c = p;
      }
      scores[c] = score;
      idx[c] = i;
      return;
    }
    if (!this.worse(scores[0]!, idx[0]!, score, i)) return;
    // Replace the root and sift down.
    let c = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && this.worse(scores[r]!, idx[r]!, scores[l]!, idx[l]!)) m = r;
      if (!this.worse(scores[m]!, idx[m]!, score, i)) break;
      scores[c] = scores[m]!;
      idx[c] = idx[m]!;
      c = m;
    }
    scores[c] = score;
    idx[c] = i;
  }

  /** The kept entries, best first. */
  result(): ScoredDoc[] {
    const out: ScoredDoc[] = [];
    for (let j = 0; j < this.size; j++) out.push({ id: this.ids[this.idx[j]!]!, score: this.scores[j]! });
    return sortTrec(out);
  }
}
