/**
 * The `wink` BM25 engine: wink-bm25-text-search 3.1.2 with our analyzer as its preparation task.
 *
 * wink scores a document as Σ over query-token occurrences of idf · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))
 * with idf = ln((N − df + 0.5)/(df + 0.5) + k); with `k = 1` (set here) that is Lucene's idf, so wink's scores
 * are (k1 + 1) × the lucene engine's scores with exact lengths. N counts every document and dl is the exact
 * token count after analysis. It has no length norms (`norms` is always `exact`).
 *
 * What the wrapper takes care of (read from node_modules/wink-bm25-text-search/src):
 * - Rounding. `consolidate(fp)` stores each term's score as `(…).toFixed(fp)` with fp clamped to 4..9 (default
 *   4), which turns close scores into ties. No option turns it off, so after `consolidate(9)` the wrapper
 *   recomputes every stored per-term score exactly, with wink's own formula, idf table and length statistics,
 *   from term frequencies saved just before consolidation (`getDocs()` and `getIDF()` return wink's live
 *   objects). Scores are then unrounded doubles.
 * - Tie order. wink sorts matches by score only and cuts at `limit`; the wrapper asks for every match and
 *   ranks them in trec_eval order (score, then id descending by UTF-8 bytes) before cutting at k.
 * - Constraints: `consolidate()` refuses fewer than 3 documents and runs once; no document can be added
 *   afterwards. `index()` therefore builds a fresh wink instance each time and requires ≥ 3 documents.
 * - Fields. Flat mode indexes one field. Multifield uses wink's own field weights, which is BM25F-like (weighted
 *   term frequencies summed across fields, one length per document), not Lucene's sum of per-field BM25 scores.
 */
import { createRequire } from 'node:module';
import { sortTrec } from '../../data/order.js';
import type { Doc, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { Analyzer } from '../analysis/index.js';
import type { Bm25Fields } from './types.js';

/** The part of wink-bm25-text-search's API used here (the package ships no types). */
interface WinkDocument {
  freq: Record<string, number>;
  length: number;
}
interface WinkBm25 {
  defineConfig(cfg: { fldWeights: Record<string, number>; bm25Params: { k1: number; b: number; k: number } }): boolean;
  definePrepTasks(tasks: Array<(input: string) => string[]>, field?: string): number;
  addDoc(doc: Record<string, string>, id: string): number;
  consolidate(freqPrecision?: number): boolean;
  search(text: string, limit?: number): Array<[string, number]>;
  getDocs(): Record<string, WinkDocument>;
  getIDF(): number[];
  getTotalDocs(): number;
  getTotalCorpusLength(): number;
}

/** Highest precision `consolidate` accepts; the stored values are replaced by exact ones right after. */
const WINK_MAX_PRECISION = 9;

function loadWink(): () => WinkBm25 {
  const require = createRequire(import.meta.url);
  return require('wink-bm25-text-search') as () => WinkBm25;
}

export interface WinkParams {
  k1: number;
  b: number;
  fields: Bm25Fields;
  fieldWeights: { title: number; text: number };
}

export class WinkBm25Engine {
  private engine: WinkBm25 | undefined;
  private totalDocs = 0;

  constructor(
    private readonly analyzer: Analyzer,
    private readonly params: WinkParams,
  ) {}

  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>, onDuplicate: (id: string) => never): Promise<void> {
    const { k1, b, fields, fieldWeights } = this.params;
    const engine = loadWink()();
    const fldWeights: Record<string, number> = fields === 'flat' ? { body: 1 } : { title: fieldWeights.title, text: fieldWeights.text };
    engine.defineConfig({ fldWeights, bm25Params: { k1, b, k: 1 } });
    const analyzer = this.analyzer;
    engine.definePrepTasks([(text: string) => analyzer.analyze(text)]);
    const seen = new Set<string>();
    for await (const doc of corpus) {
      if (seen.has(doc.id)) onDuplicate(doc.id);
      seen.add(doc.id);
      engine.addDoc(fields === 'flat' ? { body: docText(doc) } : { title: doc.title ?? '', text: doc.text ?? '' }, doc.id);
    }
    if (seen.size < 3) {
      throw new UsageError(`the wink BM25 engine needs at least 3 documents, the corpus has ${seen.size}.`, {
        hint: 'wink-bm25-text-search refuses to consolidate fewer; use engine: lucene for tiny corpora.',
      });
    }
    consolidateExactly(engine, k1, b);
    this.engine = engine;
    this.totalDocs = seen.size;
  }

  search(text: string, k: number): ScoredDoc[] {
    if (!this.engine) throw new Error('BM25 (wink): index() must finish before search()');
    if (k <= 0) return [];
    const all = this.engine.search(text, this.totalDocs);
    return sortTrec(all.map(([id, score]) => ({ id, score }))).slice(0, k);
  }
}

/**
 * wink's `consolidate`, then every stored term score replaced by the unrounded value of wink's formula:
 * sign(tf) · |tf·(k1+1) / (k1·(1 − b + b·dl/avgdl) + tf)| · idf(t), from the term frequencies saved before.
 */
function consolidateExactly(engine: WinkBm25, k1: number, b: number): void {
  const docs = engine.getDocs();
  // Integer-like keys (wink's token numbers) enumerate in ascending order, before and after consolidation.
  const saved = new Map<string, Float64Array>();
  for (const id of Object.keys(docs)) saved.set(id, Float64Array.from(Object.values(docs[id].freq)));
  engine.consolidate(WINK_MAX_PRECISION);
  const idf = engine.getIDF();
  const avgdl = engine.getTotalCorpusLength() / engine.getTotalDocs();
  for (const id of Object.keys(docs)) {
    const d = docs[id];
    const tfs = saved.get(id)!;
    const lengthNorm = 1 - b + b * (d.length / avgdl);
    let i = 0;
    for (const t of Object.keys(d.freq)) {
      const tf = tfs[i++];
      d.freq[t] = Math.sign(tf) * Math.abs((tf * (k1 + 1)) / (k1 * lengthNorm + tf)) * idf[Number(t)];
    }
  }
}
