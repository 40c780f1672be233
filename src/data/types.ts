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
}

/** The text a model reads for a document: BEIR's `title + " " + text`. */
export function docText(doc: Doc): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}
