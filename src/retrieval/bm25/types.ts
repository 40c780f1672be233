import type { AnalyzerName } from '../analysis/index.js';

/** `lucene`: our typed-array index scored as Lucene/Anserini; `wink`: wink-bm25-text-search. */
export type Bm25EngineName = 'lucene' | 'wink';
/** `flat`: one field `title + " " + text`; `multifield`: title and text as separate fields. */
export type Bm25Fields = 'flat' | 'multifield';
/** `lucene`: lengths through Lucene's one-byte norm (SmallFloat.intToByte4); `exact`: exact token counts. */
export type Bm25Norms = 'lucene' | 'exact';

export interface Bm25Options {
  /** Default `lucene`. */
  engine?: Bm25EngineName;
  /** Term-frequency saturation, default 0.9 (Anserini's BEIR setting). */
  k1?: number;
  /** Length normalisation, 0..1, default 0.4. */
  b?: number;
  /** Default `flat`. */
  fields?: Bm25Fields;
  /** Field weights for `multifield`, default 1.0 / 1.0. */
  fieldWeights?: { title?: number; text?: number };
  /** Default `english` (Lucene's EnglishAnalyzer). */
  analyzer?: AnalyzerName;
  /** Default `lucene` for the lucene engine; the wink engine only has `exact`. */
  norms?: Bm25Norms;
}

/** Fully resolved options. */
export interface Bm25Settings {
  engine: Bm25EngineName;
  k1: number;
  b: number;
  fields: Bm25Fields;
  fieldWeights: { title: number; text: number };
  analyzer: AnalyzerName;
  norms: Bm25Norms;
}

/** What identifies a BM25 retriever in results and caches. `fieldWeights` is present for multifield only. */
export interface Bm25Description {
  [key: string]: unknown;
  type: 'bm25';
  engine: Bm25EngineName;
  k1: number;
  b: number;
  fields: Bm25Fields;
  analyzer: AnalyzerName;
  norms: Bm25Norms;
  fieldWeights?: { title: number; text: number };
}
