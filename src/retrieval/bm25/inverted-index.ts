/**
 * A compact in-memory inverted index: one term dictionary shared by all fields, and per field CSR posting
 * lists (term → ascending document numbers and term frequencies in typed arrays) plus exact field lengths.
 * Built in one pass over a streamed corpus; documents are not kept (only their ids).
 */
import type { Analyzer } from '../analysis/index.js';

/** A growable Int32 buffer. */
export class IntBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Posting lists of one field. */
export interface FieldPostings {
  /** Field length (tokens after analysis) per document. */
  lengths: Int32Array;
  /** postings of term t are at offsets[t] .. offsets[t + 1] - 1. */
  offsets: Int32Array;
  /** Document numbers, ascending within a term. */
  docs: Int32Array;
  /** Term frequency per posting. */
  tfs: Uint16Array | Uint32Array;
  /** Documents with at least one token in the field (Lucene's `docCount`). */
  docCount: number;
  /** Sum of all field lengths (Lucene's `sumTotalTermFreq`). */
  sumTotalTermFreq: number;
}

export interface InvertedIndexData {
  ids: string[];
  /** Terms by term number. */
  terms: string[];
  fields: FieldPostings[];
}

/** Accumulates one field's (term, tf) pairs document by document. */
class FieldBuilder {
  /** Field length per document. */
  readonly lengths = new IntBuffer();
  /** (term, tf) pairs of all documents, in document order. */
  readonly pairTerm = new IntBuffer(1 << 16);
  readonly pairTf = new IntBuffer(1 << 16);
  /** Number of pairs per document, to know which document a pair belongs to. */
  readonly pairCount = new IntBuffer();
}

/**
 * Builds an InvertedIndexData from documents given field by field. `addDocument` takes one text per field.
 */
export class InvertedIndexBuilder {
  private readonly dict = new Map<string, number>();
  private readonly terms: string[] = [];
  private readonly ids: string[] = [];
  private readonly fields: FieldBuilder[];
  /** Scratch per-term counts for the current document (indexed by term number). */
  private counts = new Int32Array(1 << 16);
  private readonly touched = new IntBuffer(4096);
  private docLength = 0;
  private readonly onTerm: (term: string) => void;

  constructor(
    private readonly analyzer: Analyzer,
    fieldCount: number,
  ) {
    this.fields = Array.from({ length: fieldCount }, () => new FieldBuilder());
    this.onTerm = (term) => {
      let id = this.dict.get(term);
      if (id === undefined) {
        id = this.terms.length;
        this.dict.set(term, id);
        this.terms.push(term);
        if (id >= this.counts.length) {
          const next = new Int32Array(this.counts.length * 2);
          next.set(this.counts);
          this.counts = next;
        }
      }
      if (this.counts[id]++ === 0) this.touched.push(id);
      this.docLength++;
    };
  }

  get size(): number {
    return this.ids.length;
  }

  addDocument(id: string, texts: readonly string[]): void {
    this.ids.push(id);
    for (let f = 0; f < this.fields.length; f++) {
      const fb = this.fields[f];
      this.docLength = 0;
      this.touched.length = 0;
      this.analyzer.forEachTerm(texts[f], this.onTerm);
      const touched = this.touched.data;
      const n = this.touched.length;
      for (let i = 0; i < n; i++) {
        const t = touched[i];
        fb.pairTerm.push(t);
        fb.pairTf.push(this.counts[t]);
        this.counts[t] = 0;
      }
      fb.pairCount.push(n);
      fb.lengths.push(this.docLength);
    }
  }

  /** Turns the accumulated pairs into per-term posting lists. */
  finish(): InvertedIndexData {
    const V = this.terms.length;
    const fields = this.fields.map((fb): FieldPostings => {
      const P = fb.pairTerm.length;
      const pairTerm = fb.pairTerm.data;
      const pairTf = fb.pairTf.data;
      const offsets = new Int32Array(V + 1);
      let maxTf = 0;
      for (let i = 0; i < P; i++) {
        offsets[pairTerm[i] + 1]++;
        if (pairTf[i] > maxTf) maxTf = pairTf[i];
      }
      for (let t = 0; t < V; t++) offsets[t + 1] += offsets[t];
      const fill = offsets.slice(0, V);
      const docs = new Int32Array(P);
      const tfs = maxTf <= 0xffff ? new Uint16Array(P) : new Uint32Array(P);
      const counts = fb.pairCount.data;
      const N = fb.pairCount.length;
      let i = 0;
      for (let d = 0; d < N; d++) {
        const end = i + counts[d];
        for (; i < end; i++) {
          const at = fill[pairTerm[i]]++;
          docs[at] = d;
          tfs[at] = pairTf[i];
        }
      }
      const lengths = fb.lengths.toArray();
      let docCount = 0;
      let sum = 0;
      for (let d = 0; d < N; d++) {
        if (lengths[d] > 0) docCount++;
        sum += lengths[d];
      }
      return { lengths, offsets, docs, tfs, docCount, sumTotalTermFreq: sum };
    });
    return { ids: this.ids, terms: this.terms, fields };
  }
}
