/**
 * Ranking one query the way trec_eval does, once, into the judged-gain array every measure reads.
 *
 * trec_eval sorts all retrieved documents by score (descending), breaks ties by docno in descending
 * byte order, keeps the first M (`-M`), then (with `-J`) drops documents that are not judged with a
 * grade ≥ 0, and looks up each remaining document's judgment. We compute the same array without sorting
 * the documents: only judged documents contribute to any measure, and a judged document's rank is
 *
 *   1 + #{documents with a higher score} + #{documents with an equal score and a greater docno}
 *
 * When the run lists a query's documents in non-increasing score order (the usual case: rank order)
 * the first count is the start of the document's run of equal scores, found by walking back; otherwise
 * it comes from a binary search in a sorted copy of the scores. Equal-score groups that hold a judged
 * document are ordered by docno once. Everything else costs one pass over the query's documents.
 */
import { compareCodePoints } from '../data/order.js';
import type { CompactRunBlock } from '../data/trec.js';
import { NONPOOL, UNJUDGED, type RankedQuery, type TopicStats } from './types.js';

/** Orders two document ids: negative when a < b in UTF-8 byte order. */
export type IdCompare = (a: string, b: string) => number;

/** For ids held as byte strings (one char per byte): JavaScript's `<` is then C `strcmp` order. */
export const compareByteStrings: IdCompare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** For ordinary JavaScript strings: UTF-8 byte order (see `src/data/order.ts`). */
export const compareUtf8: IdCompare = compareCodePoints;

/** R, N, the ideal gains and the positive count of one query's judgment grades at relevance level `level`. */
export function topicStats(grades: Iterable<number>, level: number): TopicStats {
  let numRel = 0;
  let numNonrel = 0;
  let numPositive = 0;
  const positive: number[] = [];
  for (const g of grades) {
    if (g < 0) continue;
    if (g >= level) numRel++;
    else numNonrel++;
    if (g > 0) {
      numPositive++;
      positive.push(g);
    }
  }
  const idealGrades = Int32Array.from(positive).sort().reverse();
  return { numRel, numNonrel, numPositive, idealGrades };
}

/** A document listed twice for one query: positions `first` < `second` in the query's document list. */
export class DuplicateDocument extends Error {
  constructor(
    readonly id: string,
    readonly first: number,
    readonly second: number,
  ) {
    super(`duplicate document ${id}`);
  }
}

export interface RankOptions {
  /** Keep only the top `depth` documents (trec_eval -M); Infinity for all. */
  depth: number;
  /** Drop documents without a judgment ≥ 0 after the depth cut (trec_eval -J). */
  judgedOnly: boolean;
  /** Relevance level L. */
  level: number;
}

/** Orders the ids of the documents at two positions of the current query (negative: i's id is smaller). */
type PositionCompare = (i: number, j: number) => number;

/**
 * Ranks queries one at a time with reusable buffers; the `RankedQuery` it returns is valid until its
 * next call. Two inputs: ids as strings (`rankStrings`, runs held in memory) and ids as bytes in a
 * streamed block (`rankBlock`, `rbench eval`'s fast path, no string per document).
 */
export class Ranker {
  private rel = new Int32Array(1024);
  private judgedPos = new Int32Array(64);
  private judgedRank = new Float64Array(64);
  private judgedGrade = new Int32Array(64);
  private sorted = new Float64Array(1024);
  private dupSlots = new Int32Array(2048);
  private dupStamp = new Int32Array(2048);
  private stamp = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly opts: RankOptions) {}

  /** The empty ranking of a judged query missing from the run (trec_eval -c). */
  empty(topic: TopicStats): RankedQuery {
    return { rel: this.rel, numRet: 0, level: this.opts.level, topic };
  }

  /**
   * Ranks `n` documents (`ids[i]` with `scores[i]`) against `judgments`; `compareIds` orders two ids
   * in UTF-8 byte order. Throws `DuplicateDocument` when an id occurs twice (trec_eval refuses such
   * input, whatever the depth).
   */
  rankStrings(
    ids: ArrayLike<string>,
    scores: ArrayLike<number>,
    n: number,
    judgments: ReadonlyMap<string, number>,
    topic: TopicStats,
    compareIds: IdCompare,
  ): RankedQuery {
    const seen = this.seen;
    seen.clear();
    let J = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      const size = seen.size;
      seen.add(id);
      if (seen.size === size) {
        seen.clear();
        let first = 0;
        while (ids[first] !== id) first++;
        throw new DuplicateDocument(id, first, i);
      }
      const g = judgments.get(id);
      if (g !== undefined) {
        if (J === this.judgedPos.length) this.growJudged();
        this.judgedPos[J] = i;
        this.judgedGrade[J] = g;
        J++;
      }
    }
    seen.clear();
    let nonIncreasing = true;
    for (let i = 1; i < n && nonIncreasing; i++) if (scores[i] > scores[i - 1]) nonIncreasing = false;
    return this.rankJudged(scores, n, J, (i, j) => compareIds(ids[i], ids[j]), topic, nonIncreasing);
  }

  /**
   * Ranks a streamed block whose ids were matched against the query's judged documents (`match[i]` is
   * the index in `grades`, or −1). Duplicates are found through the ids' hashes, comparing bytes only
   * where two hashes are equal.
   */
  rankBlock(block: CompactRunBlock, grades: ArrayLike<number>, topic: TopicStats): RankedQuery {
    const { n, match, arena, idEnd } = block;
    const compare: PositionCompare = (i, j) => {
      let a = i === 0 ? 0 : idEnd[i - 1];
      const ae = idEnd[i];
      let b = j === 0 ? 0 : idEnd[j - 1];
      const be = idEnd[j];
      while (a < ae && b < be) {
        const d = arena[a++] - arena[b++];
        if (d !== 0) return d;
      }
      return ae - a - (be - b);
    };
    // One pass: duplicates (each id's hash into an open-addressing table of positions, with a
    // per-query stamp instead of clearing; bytes compared only when two hashes are equal) and the
    // judged documents.
    const hash = block.idHash;
    let size = this.dupSlots.length;
    if (size < n * 2) {
      while (size < n * 2) size *= 2;
      this.dupSlots = new Int32Array(size);
      this.dupStamp = new Int32Array(size);
      this.stamp = 0;
    }
    if (this.stamp >= 0x3fffffff) {
      this.dupStamp.fill(0);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    const mask = this.dupSlots.length - 1;
    const slots = this.dupSlots;
    const stamps = this.dupStamp;
    let J = 0;
    for (let i = 0; i < n; i++) {
      const h = hash[i];
      let slot = h & mask;
      while (stamps[slot] === stamp) {
        const other = slots[slot];
        if (hash[other] === h && compare(other, i) === 0) {
          const s = other === 0 ? 0 : idEnd[other - 1];
          throw new DuplicateDocument(arena.toString('latin1', s, idEnd[other]), other, i);
        }
        slot = (slot + 1) & mask;
      }
      stamps[slot] = stamp;
      slots[slot] = i;
      const k = match[i];
      if (k >= 0) {
        if (J === this.judgedPos.length) this.growJudged();
        this.judgedPos[J] = i;
        this.judgedGrade[J] = grades[k];
        J++;
      }
    }
    return this.rankJudged(block.scores, n, J, compare, topic, block.nonIncreasing);
  }

  /** The judged-gain array from the judged documents' positions and grades (filled by the callers). */
  private rankJudged(scores: ArrayLike<number>, n: number, J: number, compare: PositionCompare, topic: TopicStats, nonIncreasing: boolean): RankedQuery {
    const { depth, judgedOnly, level } = this.opts;
    // Rank (1-based) of each judged document in trec_eval order over all n documents.
    if (J > 0) {
      if (nonIncreasing) this.ranksInOrderedRun(scores, n, J, compare);
      else this.ranksInUnorderedRun(scores, n, J, compare);
    }

    // The judged-gain array after the depth cut (and, with judgedOnly, without unjudged documents).
    const cut = Math.min(n, depth);
    if (!judgedOnly) {
      const rel = this.relBuffer(cut);
      rel.fill(NONPOOL, 0, cut);
      for (let j = 0; j < J; j++) {
        const r = this.judgedRank[j];
        if (r <= cut) {
          const g = this.judgedGrade[j];
          rel[r - 1] = g >= 0 ? g : UNJUDGED;
        }
      }
      return { rel, numRet: cut, level, topic };
    }
    const kept: number[] = [];
    for (let j = 0; j < J; j++) if (this.judgedRank[j] <= cut && this.judgedGrade[j] >= 0) kept.push(j);
    kept.sort((a, b) => this.judgedRank[a] - this.judgedRank[b]);
    const rel = this.relBuffer(kept.length);
    for (let i = 0; i < kept.length; i++) rel[i] = this.judgedGrade[kept[i]];
    return { rel, numRet: kept.length, level, topic };
  }

  /** Scores never increase along the list: higher-scored documents are exactly those before the tie run. */
  private ranksInOrderedRun(scores: ArrayLike<number>, n: number, J: number, compare: PositionCompare): void {
    let groups: Map<number, number[]> | undefined;
    for (let j = 0; j < J; j++) {
      const p = this.judgedPos[j];
      const s = scores[p];
      let a = p;
      while (a > 0 && scores[a - 1] === s) a--;
      let b = p + 1;
      while (b < n && scores[b] === s) b++;
      if (b - a === 1) {
        this.judgedRank[j] = a + 1;
        continue;
      }
      groups ??= new Map();
      let group = groups.get(a);
      if (!group) {
        group = [];
        for (let i = a; i < b; i++) group.push(i);
        group.sort((x, y) => compare(y, x));
        groups.set(a, group);
      }
      this.judgedRank[j] = a + 1 + indexInDescending(group, p, compare);
    }
  }

  /** Any order: count higher scores by binary search in a sorted copy; collect tie groups in one pass. */
  private ranksInUnorderedRun(scores: ArrayLike<number>, n: number, J: number, compare: PositionCompare): void {
    if (this.sorted.length < n) this.sorted = new Float64Array(Math.max(n, this.sorted.length * 2));
    const sorted = this.sorted.subarray(0, n);
    for (let i = 0; i < n; i++) sorted[i] = scores[i];
    sorted.sort();
    let tied: Map<number, number[]> | undefined;
    for (let j = 0; j < J; j++) {
      const s = scores[this.judgedPos[j]];
      const lo = lowerBound(sorted, s);
      const hi = upperBound(sorted, s);
      this.judgedRank[j] = n - hi + 1;
      if (hi - lo > 1) {
        tied ??= new Map();
        tied.set(s, []);
      }
    }
    if (!tied) return;
    for (let i = 0; i < n; i++) tied.get(scores[i])?.push(i);
    for (const group of tied.values()) group.sort((x, y) => compare(y, x));
    for (let j = 0; j < J; j++) {
      const p = this.judgedPos[j];
      const group = tied.get(scores[p]);
      if (group) this.judgedRank[j] += indexInDescending(group, p, compare);
    }
  }

  private relBuffer(n: number): Int32Array {
    if (this.rel.length < n) this.rel = new Int32Array(Math.max(n, this.rel.length * 2));
    return this.rel;
  }

  private growJudged(): void {
    const size = this.judgedPos.length * 2;
    const pos = new Int32Array(size);
    pos.set(this.judgedPos);
    this.judgedPos = pos;
    const grade = new Int32Array(size);
    grade.set(this.judgedGrade);
    this.judgedGrade = grade;
    this.judgedRank = new Float64Array(size);
  }
}

/** Position of `p` in a group of positions sorted by descending id = the number of ids greater than p's. */
function indexInDescending(group: number[], p: number, compare: PositionCompare): number {
  let lo = 0;
  let hi = group.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(group[mid], p) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with sorted[i] >= s (sorted ascending). */
function lowerBound(sorted: Float64Array, s: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with sorted[i] > s (sorted ascending). */
function upperBound(sorted: Float64Array, s: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
