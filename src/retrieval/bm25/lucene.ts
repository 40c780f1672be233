/**
 * BM25 scored as Lucene's `BM25Similarity` (Lucene ≥ 8) scores it for Anserini/Pyserini, exhaustively
 * (term at a time into a dense accumulator), so results do not depend on any early-termination heuristic.
 *
 * For each field f and each query term t present in it:
 *   idf_f(t) = ln(1 + (N_f − df_f(t) + 0.5) / (df_f(t) + 0.5))
 *   score   += w_f · q(t) · idf_f(t) · tf / (tf + k1 · (1 − b + b · dl / avgdl_f))
 * where N_f = documents with at least one token in f (Lucene's `docCount`), avgdl_f = total tokens in f / N_f
 * (`sumTotalTermFreq / docCount`), q(t) = how often t occurs in the query (Anserini's bag-of-words query
 * boosts a repeated term by its count), w_f = the field weight, and dl = the field length, either exact or as
 * Lucene's one-byte norm decodes it (`norms: 'lucene'`, see norms.ts). The constant factor (k1 + 1) of the
 * classic formula is left out, as Lucene ≥ 8 does (same ranking). Arithmetic is in doubles; Lucene uses
 * floats, which changes scores in the 7th digit and the order of near-ties only.
 *
 * Flat mode indexes one field (`title + " " + text`); multifield indexes title and text as two fields with
 * their own statistics and sums the weighted field scores (Anserini's multifield BEIR runs).
 *
 * Hand-written rather than wink-bm25-text-search (the `wink` engine) because wink has no length norms, no
 * per-field statistics, rounds stored scores, keeps per-document objects and sorts every match per query:
 * this index answers a query in well under a millisecond on the shared collections.
 */
import type { Doc, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import type { Analyzer } from '../analysis/index.js';
import { InvertedIndexBuilder, type InvertedIndexData } from './inverted-index.js';
import { LENGTH_TABLE, intToByte4 } from './norms.js';
import { TopKHeap, idRanks } from '../topk.js';
import type { Bm25Fields, Bm25Norms } from './types.js';

export interface LuceneBm25Params {
  k1: number;
  b: number;
  norms: Bm25Norms;
  fields: Bm25Fields;
  /** Weights of the title and text fields (multifield only). */
  fieldWeights: { title: number; text: number };
}

/** The texts a document contributes to each field of the chosen layout. */
export function fieldTexts(fields: Bm25Fields, doc: Doc): string[] {
  return fields === 'flat' ? [docText(doc)] : [doc.title ?? '', doc.text ?? ''];
}

interface ScoringField {
  weight: number;
  offsets: Int32Array;
  docs: Int32Array;
  tfs: Uint16Array | Uint32Array;
  /** idf per term number (0 for terms absent from the field). */
  idf: Float64Array;
  /** k1 · (1 − b + b · dl / avgdl) per document. */
  norm: Float64Array;
}

export class LuceneBm25 {
  private data: InvertedIndexData | undefined;
  private dict = new Map<string, number>();
  private scoring: ScoringField[] = [];
  private acc = new Float64Array(0);
  private touched = new Int32Array(0);
  private heap: TopKHeap | undefined;
  private readonly queryTerms = new Map<number, number>();
  private readonly onQueryTerm = (term: string): void => {
    const id = this.dict.get(term);
    if (id !== undefined) this.queryTerms.set(id, (this.queryTerms.get(id) ?? 0) + 1);
  };

  constructor(
    private readonly analyzer: Analyzer,
    private readonly params: LuceneBm25Params,
  ) {}

  get fieldNames(): string[] {
    return this.params.fields === 'flat' ? ['contents'] : ['title', 'text'];
  }

  /** Indexes a corpus, replacing any previous index. Throws on a duplicate document id. */
  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>, onDuplicate: (id: string) => never): Promise<void> {
    const builder = new InvertedIndexBuilder(this.analyzer, this.fieldNames.length);
    const seen = new Set<string>();
    for await (const doc of corpus) {
      if (seen.has(doc.id)) onDuplicate(doc.id);
      seen.add(doc.id);
      builder.addDocument(doc.id, fieldTexts(this.params.fields, doc));
    }
    this.use(builder.finish());
  }

  /** Takes a built (or deserialised) index and prepares scoring. */
  use(data: InvertedIndexData): void {
    if (data.fields.length !== this.fieldNames.length) {
      throw new Error(`index has ${data.fields.length} field(s), ${this.params.fields} mode needs ${this.fieldNames.length}`);
    }
    this.data = data;
    this.dict = new Map(data.terms.map((t, i) => [t, i]));
    const N = data.ids.length;
    const { k1, b, norms } = this.params;
    const weights = this.params.fields === 'flat' ? [1] : [this.params.fieldWeights.title, this.params.fieldWeights.text];
    this.scoring = data.fields.map((f, fi) => {
      const V = data.terms.length;
      const idf = new Float64Array(V);
      const docCount = f.docCount;
      for (let t = 0; t < V; t++) {
        const df = f.offsets[t + 1] - f.offsets[t];
        if (df > 0) idf[t] = Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
      }
      const avgdl = docCount > 0 ? f.sumTotalTermFreq / docCount : 1;
      const norm = new Float64Array(N);
      // With Lucene's norms only 256 distinct values exist: compute them once.
      const cache = Float64Array.from(LENGTH_TABLE, (len) => k1 * (1 - b + (b * len) / avgdl));
      for (let d = 0; d < N; d++) {
        const dl = f.lengths[d];
        norm[d] = norms === 'lucene' ? cache[intToByte4(dl)] : k1 * (1 - b + (b * dl) / avgdl);
      }
      return { weight: weights[fi], offsets: f.offsets, docs: f.docs, tfs: f.tfs, idf, norm };
    });
    this.acc = new Float64Array(N);
    this.touched = new Int32Array(N);
    this.heap = new TopKHeap(idRanks(data.ids));
  }

  get indexData(): InvertedIndexData | undefined {
    return this.data;
  }

  /** The k best documents for a query text, in trec_eval order; documents without a query term are not returned. */
  search(text: string, k: number): ScoredDoc[] {
    const data = this.data;
    const heap = this.heap;
    if (!data || !heap) throw new Error('BM25: index() must finish before search()');
    this.queryTerms.clear();
    this.analyzer.forEachTerm(text, this.onQueryTerm);
    const { acc, touched } = this;
    let nTouched = 0;
    for (const f of this.scoring) {
      const { offsets, docs, tfs, idf, norm } = f;
      for (const [t, qtf] of this.queryTerms) {
        const start = offsets[t];
        const end = offsets[t + 1];
        if (start === end) continue;
        const w = f.weight * qtf * idf[t];
        for (let p = start; p < end; p++) {
          const d = docs[p];
          const tf = tfs[p];
          if (acc[d] === 0) touched[nTouched++] = d;
          acc[d] += (w * tf) / (tf + norm[d]);
        }
      }
    }
    heap.reset(k);
    for (let i = 0; i < nTouched; i++) {
      const d = touched[i];
      heap.push(acc[d], d);
      acc[d] = 0;
    }
    const out: ScoredDoc[] = [];
    const ids = data.ids;
    heap.drain((d, score) => out.push({ id: ids[d], score }));
    return out;
  }
}
