import type { Doc, Query, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import type { Embedder } from '../../models/types.js';
import type { Retriever, SearchOptions } from '../types.js';
import { ExactIndex } from './exact.js';
import { annRecall } from './hnsw.js';
import type { VectorIndex } from './index-types.js';

export interface VectorRetrieverOptions {
  /** The model, uncached: used whenever caches are off (timing pass). */
  embedder: Embedder;
  /** The same model behind the durable embedding cache (quality pass); defaults to `embedder`. */
  cachedEmbedder?: Embedder;
  index: VectorIndex;
  /** Documents embedded per call while indexing. */
  batchSize?: number;
  onProgress?: (embedded: number) => void;
}

/**
 * Dense retrieval: documents (`title + " " + text`) embedded once, stored in an exact or HNSW index;
 * a query is embedded and searched by inner product. The corpus is streamed: only ids and vectors are kept.
 */
export class VectorRetriever implements Retriever {
  readonly description: Record<string, unknown>;
  private readonly batchSize: number;
  /** Exact search over the same vectors, kept beside an approximate index to measure its recall. */
  private groundTruth: ExactIndex | undefined;

  constructor(private readonly opts: VectorRetrieverOptions) {
    this.batchSize = opts.batchSize ?? 64;
    this.description = { type: 'vector', embedder: opts.embedder.identity.name, ...opts.index.describe() };
  }

  get vectorIndex(): VectorIndex {
    return this.opts.index;
  }

  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    const embedder = this.opts.cachedEmbedder ?? this.opts.embedder;
    const ids: string[] = [];
    const vectors: Float32Array[] = [];
    let batchIds: string[] = [];
    let batchTexts: string[] = [];
    const flush = async () => {
      if (batchTexts.length === 0) return;
      const v = await embedder.embedDocuments(batchTexts);
      ids.push(...batchIds);
      vectors.push(...v);
      batchIds = [];
      batchTexts = [];
      this.opts.onProgress?.(ids.length);
    };
    for await (const d of corpus) {
      batchIds.push(d.id);
      batchTexts.push(docText(d));
      if (batchTexts.length >= this.batchSize) await flush();
    }
    await flush();
    await this.opts.index.build(ids, vectors);
    if (this.opts.index.kind !== 'exact') {
      this.groundTruth = new ExactIndex();
      await this.groundTruth.build(ids, vectors);
    }
  }

  /**
   * Recall@k of the approximate index's top-k against exact search over the same vectors, averaged over
   * the queries (1 for an exact index). The "approximate similarity" loss, made visible.
   */
  async annRecall(queries: Query[], k: number): Promise<number> {
    if (!this.groundTruth) return 1;
    const truth = new Map<string, ScoredDoc[]>();
    const approx = new Map<string, ScoredDoc[]>();
    const embedder = this.embedderFor();
    for (let s = 0; s < queries.length; s += this.batchSize) {
      const batch = queries.slice(s, s + this.batchSize);
      const vecs = await embedder.embedQueries(batch.map((q) => q.text));
      batch.forEach((q, i) => {
        truth.set(q.id, this.groundTruth!.search(vecs[i], k));
        approx.set(q.id, this.opts.index.search(vecs[i], k));
      });
    }
    return annRecall(truth, approx, k);
  }

  private embedderFor(opts?: SearchOptions): Embedder {
    return opts?.useCache === false ? this.opts.embedder : (this.opts.cachedEmbedder ?? this.opts.embedder);
  }

  async search(query: Query, k: number, opts?: SearchOptions): Promise<ScoredDoc[]> {
    const [v] = await this.embedderFor(opts).embedQueries([query.text]);
    return this.opts.index.search(v!, k);
  }

  async searchMany(queries: Query[], k: number, opts?: SearchOptions): Promise<Map<string, ScoredDoc[]>> {
    const out = new Map<string, ScoredDoc[]>();
    const embedder = this.embedderFor(opts);
    for (let s = 0; s < queries.length; s += this.batchSize) {
      const batch = queries.slice(s, s + this.batchSize);
      const vecs = await embedder.embedQueries(batch.map((q) => q.text));
      batch.forEach((q, i) => out.set(q.id, this.opts.index.search(vecs[i], k)));
    }
    return out;
  }
}
