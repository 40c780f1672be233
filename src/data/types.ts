/**
 * The data model every room shares. Identifiers are compared as exact strings (trec_eval compares
 * qids and docnos byte for byte: "1", "01" and "001" are three different queries).
 */

/** A corpus passage, BEIR style. Text handed to models is `title + " " + text` when there is a title. */
export interface Doc {
  id: string;
  title: string;
  text: string;
  metadata?: Record<string, unknown>;
}

export interface Query {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/**
 * Judgments: qid -> docid -> integer grade. Grades may be negative ("pooled but unjudged", as in
 * trec_eval): neither relevant nor judged non-relevant.
 */
export type Qrels = Map<string, Map<string, number>>;

export interface ScoredDoc {
  id: string;
  score: number;
}

/**
 * A run: qid -> scored documents. The order of the array carries no meaning; ranking is always by
 * score descending, ties by document id in descending UTF-8 byte order (see `src/data/order.ts`).
 */
export type Run = Map<string, ScoredDoc[]>;

/** Problems found while reading that were counted and reported rather than fatal. */
export interface ReadWarning {
  file: string;
  kind: string;
  count: number;
  message: string;
  /** A few example lines or ids. */
  examples?: string[];
  /**
   * `error`: a defect that stops loading (reported this way only when validating, which collects them all);
   * `warning`: a defect that was worked around (kept first duplicate, dangling judgment);
   * `info`: a fact worth knowing that is normal for the format (queries of other splits). Absent = `warning`.
   */
  severity?: 'error' | 'warning' | 'info';
}

/** Sizes of a loaded collection, for results.json's `datasets` block and `rbench datasets stats`. */
export interface DatasetCounts {
  /** Documents in the corpus (after dropping repeated ids). */
  docs: number;
  /** Queries of this split: those in the queries file that have at least one judgment in the split. */
  queries: number;
  /** Queries in the queries file (all splits). */
  queriesInFile: number;
  /** Distinct query ids in the split's judgments (including any missing from the queries file). */
  judgedQueries: number;
  /** Judged queries with at least one judgment of grade > 0. */
  queriesWithRelevant: number;
  /** Judgment rows of the split. */
  qrels: number;
  /** Distinct judged document ids. */
  judgedDocs: number;
}

/** One input file and the SHA-256 of its bytes as stored (compressed bytes for a .gz file). */
export interface DatasetFile {
  role: 'corpus' | 'queries' | 'qrels';
  path: string;
  bytes: number;
  sha256: string;
}

/** A loaded test collection. */
export interface Dataset {
  /** Short name used in configuration ids (`tech-qa`, `scifact`). */
  name: string;
  /** Where it came from (folder path). */
  path: string;
  split: string;
  corpus: Doc[];
  queries: Query[];
  qrels: Qrels;
  warnings: ReadWarning[];
  /** Input format the collection was read from. */
  format?: 'beir' | 'csv' | 'mteb';
  /** Content hash: SHA-256 over `role<TAB>sha256-of-file<LF>` for the corpus, queries and qrels files, in that order. */
  sha256?: string;
  counts?: DatasetCounts;
  files?: DatasetFile[];
}

/** The text a model reads for a document: BEIR's `title + " " + text`. */
export function docText(doc: Doc): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}
