/**
 * The shapes every measure works on. A query is ranked once (`ranking.ts`) into a `RankedQuery`: the
 * judgment of the document at each rank, in trec_eval order, after the `-M` depth cut and the `-J`
 * judged-only filter. Each measure is then a few lines over that array (`measures/*.ts`).
 */

/** `rel[i]` of a retrieved document that is not in the qrels of its query (trec_eval's RELVALUE_NONPOOL). */
export const NONPOOL = -1;
/** `rel[i]` of a retrieved document judged with a negative grade: pooled but unjudged (RELVALUE_UNJUDGED). */
export const UNJUDGED = -2;

/** What a measure needs to know about a query's judgments, at the evaluation's relevance level. */
export interface TopicStats {
  /** R: judged documents with grade ≥ level (level ≥ 0, so negative grades never count). */
  numRel: number;
  /** Judged non-relevant documents: 0 ≤ grade < level (bpref's N). */
  numNonrel: number;
  /** Judged documents with grade > 0 (trec_eval's `-c` summary of num_rel counts these). */
  numPositive: number;
  /** The grades > 0 of every judged document, sorted in descending order: the ideal ranking's gains. */
  idealGrades: Int32Array;
}

/** One query, ranked and ready for the measures. */
export interface RankedQuery {
  /**
   * `rel[i]` is the judgment of the document at rank i + 1 (0-based index i < numRet): its grade (≥ 0)
   * when judged, `NONPOOL` when absent from the qrels, `UNJUDGED` when its grade is negative. Only the
   * first `numRet` entries are meaningful (the array may be a reused, longer buffer).
   */
  rel: Int32Array;
  /** Documents ranked: min(run length, depth) (after removing unjudged ones under judged-only). */
  numRet: number;
  /** Relevance level L: a document is relevant when rel ≥ L. */
  level: number;
  topic: TopicStats;
}

/** A measure's value for one query. `k` is the cutoff (Infinity for measures without one). */
export type MeasureFn = (q: RankedQuery, k: number) => number;

/** How per-query values become the summary value. */
export type Aggregate = 'mean' | 'sum';

/**
 * A measure, declared once: the declaration drives `--metrics` parsing, labels and the README table.
 */
export interface MeasureDecl {
  /** Harness name; a cutoff measure ends in `@k` (`ndcg@k`). */
  name: string;
  /** Display label, `k` replaced by the cutoff (`nDCG@k`). */
  label: string;
  /**
   * The trec_eval measure this reproduces, `k` replaced by the cutoff (`ndcg_cut_k`), with the flag it
   * needs in parentheses if any; null when trec_eval has no equivalent.
   */
  trecEval: string | null;
  /** Other accepted spellings (trec_eval's, ir_measures'), `k` marking the cutoff (`ndcg_cut_k`, `nDCG@k`). */
  aliases: string[];
  /** One sentence for `--help`, error messages and the README. */
  description: string;
  aggregate: Aggregate;
  /** Whether the value is a count (printed as an integer). */
  integer?: boolean;
  compute: MeasureFn;
}

/** A `--metrics` entry resolved against the registry. */
export interface ParsedMetric {
  /** The name as the user wrote it (trimmed); the key of this metric in results. */
  key: string;
  measure: MeasureDecl;
  /** The cutoff, or Infinity for measures without one. */
  k: number;
  /** Display label with the cutoff filled in (`nDCG@10`). */
  label: string;
}
