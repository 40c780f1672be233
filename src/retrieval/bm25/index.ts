/**
 * BM25 retrievers behind the `Retriever` interface.
 *
 * - engine `lucene` (default): Anserini/Pyserini's BM25 (Lucene's EnglishAnalyzer, k1 0.9, b 0.4, Lucene's
 *   one-byte length norms, flat or multifield); reproduces Pyserini's published BEIR SciFact figures to four
 *   decimals. See lucene.ts for the formula.
 * - engine `wink`: wink-bm25-text-search with the same analyzer, unrounded scores and trec_eval tie order.
 *   See wink.ts for what differs (no norms, BM25F-style multifield, scores × (k1 + 1)).
 *
 * `createBm25Retriever(options)` validates options (UsageError naming the key), `index()` takes a streamed
 * corpus, `search()` returns the top k in trec_eval order. A lucene index can be saved and loaded again.
 */
import type { Doc, Query, ScoredDoc } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { ANALYZER_NAMES, createAnalyzer, isAnalyzerName, type Analyzer } from '../analysis/index.js';
import type { Retriever } from '../types.js';
import { LuceneBm25 } from './lucene.js';
import { loadIndex, saveIndex } from './serialize.js';
import type { Bm25Description, Bm25EngineName, Bm25Options, Bm25Settings } from './types.js';
import { WinkBm25Engine } from './wink.js';

export type { Bm25Description, Bm25EngineName, Bm25Fields, Bm25Norms, Bm25Options, Bm25Settings } from './types.js';
export { LENGTH_TABLE, byte4ToInt, intToByte4, quantizedLength } from './norms.js';

/** What each engine must do; one entry per engine in ENGINES below. */
interface Bm25Engine {
  index(corpus: Iterable<Doc> | AsyncIterable<Doc>, onDuplicate: (id: string) => never): Promise<void>;
  search(text: string, k: number): ScoredDoc[];
}

const ENGINES: Record<Bm25EngineName, (analyzer: Analyzer, s: Bm25Settings) => Bm25Engine> = {
  lucene: (analyzer, s) => new LuceneBm25(analyzer, s),
  wink: (analyzer, s) => new WinkBm25Engine(analyzer, s),
};

function fail(key: string, message: string, hint?: string): never {
  throw new UsageError(message, { key, hint });
}

/** Fills defaults and checks every option; throws UsageError naming the offending key. */
export function resolveBm25Options(options: Bm25Options = {}): Bm25Settings {
  const engine = options.engine ?? 'lucene';
  if (!(engine in ENGINES)) fail('engine', `unknown BM25 engine "${String(engine)}".`, `Use one of: ${Object.keys(ENGINES).join(', ')}.`);
  const k1 = options.k1 ?? 0.9;
  if (typeof k1 !== 'number' || !Number.isFinite(k1) || k1 < 0) fail('k1', `BM25 k1 must be a finite number ≥ 0, got ${String(k1)}.`, 'Anserini uses 0.9 on BEIR.');
  const b = options.b ?? 0.4;
  if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 1) fail('b', `BM25 b must be between 0 and 1, got ${String(b)}.`, 'Anserini uses 0.4 on BEIR.');
  const fields = options.fields ?? 'flat';
  if (fields !== 'flat' && fields !== 'multifield') fail('fields', `BM25 fields must be "flat" or "multifield", got "${String(fields)}".`);
  const analyzer = options.analyzer ?? 'english';
  if (!isAnalyzerName(analyzer)) fail('analyzer', `unknown analyzer "${String(analyzer)}".`, `Use one of: ${ANALYZER_NAMES.join(', ')}.`);
  const title = options.fieldWeights?.title ?? 1;
  const text = options.fieldWeights?.text ?? 1;
  for (const [name, w] of [['title', title], ['text', text]] as const) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) fail(`fieldWeights.${name}`, `BM25 field weight must be a number > 0, got ${String(w)}.`);
  }
  const norms = options.norms ?? (engine === 'wink' ? 'exact' : 'lucene');
  if (norms !== 'lucene' && norms !== 'exact') fail('norms', `BM25 norms must be "lucene" or "exact", got "${String(norms)}".`);
  if (engine === 'wink' && norms !== 'exact') {
    fail('norms', 'the wink engine has no length norms (it uses exact lengths).', 'Drop `norms` or use engine: lucene.');
  }
  return { engine, k1, b, fields, fieldWeights: { title, text }, analyzer, norms };
}

export class Bm25Retriever implements Retriever {
  readonly settings: Bm25Settings;
  readonly description: Bm25Description;
  private readonly analyzer: Analyzer;
  private engine: Bm25Engine | undefined;

  constructor(options: Bm25Options = {}) {
    this.settings = resolveBm25Options(options);
    const s = this.settings;
    this.description = { type: 'bm25', engine: s.engine, k1: s.k1, b: s.b, fields: s.fields, analyzer: s.analyzer, norms: s.norms };
    if (s.fields === 'multifield') this.description.fieldWeights = { ...s.fieldWeights };
    this.analyzer = createAnalyzer(s.analyzer);
  }

  /** Indexes the corpus (streamed; documents are not kept). Replaces a previous index. */
  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    const engine = ENGINES[this.settings.engine](this.analyzer, this.settings);
    await engine.index(corpus, (id) => {
      throw new UsageError(`duplicate document id "${id}" in the corpus.`, { hint: 'Document ids must be unique; fix the corpus file.' });
    });
    this.engine = engine;
  }

  async search(query: Query, k: number): Promise<ScoredDoc[]> {
    return this.searchText(query.text, k);
  }

  async searchMany(queries: Query[], k: number): Promise<Map<string, ScoredDoc[]>> {
    const out = new Map<string, ScoredDoc[]>();
    for (const q of queries) out.set(q.id, this.searchText(q.text, k));
    return out;
  }

  /** Top k for a raw query text (synchronous; the Retriever methods wrap it). */
  searchText(text: string, k: number): ScoredDoc[] {
    if (!this.engine) throw new Error('Bm25Retriever: call index() (or load()) before search()');
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    return this.engine.search(text, k);
  }

  /** The analyzed terms of a text, as this retriever indexes and queries them. */
  analyze(text: string): string[] {
    return this.analyzer.analyze(text);
  }

  /** Writes the index to a file (lucene engine only). */
  async save(file: string): Promise<void> {
    if (this.settings.engine !== 'lucene') fail('engine', 'only the lucene BM25 engine can save its index.');
    const data = this.engine instanceof LuceneBm25 ? this.engine.indexData : undefined;
    if (!data) throw new Error('Bm25Retriever: nothing to save before index()');
    await saveIndex(file, { analyzer: this.settings.analyzer, fields: this.settings.fields, data });
  }

  /** Restores an index written by `save` instead of calling `index()` (lucene engine only). */
  async load(file: string): Promise<void> {
    if (this.settings.engine !== 'lucene') fail('engine', 'only the lucene BM25 engine can load a saved index.');
    const saved = await loadIndex(file);
    if (saved.analyzer !== this.settings.analyzer || saved.fields !== this.settings.fields) {
      throw new UsageError(
        `the saved BM25 index was built with analyzer "${saved.analyzer}" and fields "${saved.fields}", this retriever uses "${this.settings.analyzer}" and "${this.settings.fields}".`,
        { file, hint: 'Rebuild the index with index() or use matching options.' },
      );
    }
    const engine = new LuceneBm25(this.analyzer, this.settings);
    engine.use(saved.data);
    this.engine = engine;
  }
}

export function createBm25Retriever(options: Bm25Options = {}): Bm25Retriever {
  return new Bm25Retriever(options);
}
