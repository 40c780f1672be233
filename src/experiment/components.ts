/**
 * Builds the sweep's retrievers and rerankers from config entries, once each: a retriever is indexed once per
 * dataset and shared by every configuration (and every hybrid) that uses it; a reranker model is loaded once
 * and shared by its interpolated variants and batch sizes. GloVe models are built per corpus on first use.
 */
import type { Dataset } from '../data/types.js';
import { UsageError } from '../errors.js';
import { findAlias } from '../models/aliases.js';
import { CachedEmbedder } from '../models/embedding-cache.js';
import { createEmbedder, createReranker, type ModelContext, type ModelSpec } from '../models/registry.js';
import type { Embedder, ModelIdentity, Reranker, RerankStats } from '../models/types.js';
import { createBm25Retriever } from '../retrieval/bm25/index.js';
import { HybridRetriever } from '../retrieval/fusion.js';
import type { Retriever } from '../retrieval/types.js';
import { ExactIndex } from '../retrieval/vector/exact.js';
import { DEFAULT_HNSW, HnswIndex } from '../retrieval/vector/hnsw.js';
import { VectorRetriever } from '../retrieval/vector/retriever.js';
import type { Store } from '../store/store.js';
import type { EmbedderSpec, HybridEntry, RerankerVariant, RetrieverVariant } from './config.js';
import type { Progress } from './progress.js';

export interface ComponentContext extends ModelContext {
  store: Store;
  progress: Progress;
}

/**
 * The model spec to load, building the project's own models on first use: GloVe models per corpus, and the
 * tiny models and architecture stand-ins once per models folder (`rbench models build` does the same ahead
 * of time). Hub models are never downloaded here: a missing one is an error that names `rbench models fetch`.
 */
async function resolvePerCorpus(spec: ModelSpec, dataset: Dataset, ctx: ComponentContext): Promise<ModelSpec> {
  const alias = findAlias(spec.model);
  if (alias?.built && !alias.perCorpus && spec.backend === undefined) {
    const { findBuiltSpec, builtModelDir, isUpToDate, buildModel } = await import('../models/build/index.js');
    const built = findBuiltSpec(alias.alias);
    if (built && !isUpToDate(built, builtModelDir(built, ctx.modelsDir))) {
      ctx.progress.log(`building ${alias.alias} (${alias.description}) into ${ctx.modelsDir}, once`);
      const r = buildModel(built, { modelsDir: ctx.modelsDir, log: (m) => ctx.progress.log(`  ${m}`) });
      ctx.progress.log(`built ${alias.alias} in ${r.seconds.toFixed(1)} s (${(r.bytes / 2 ** 20).toFixed(0)} MB)`);
    }
    return spec;
  }
  if (!alias?.perCorpus) return spec;
  const { buildGloveModels } = await import('../models/glove/build.js');
  const corpusId = (dataset.sha256 ?? '').slice(0, 12) || dataset.name;
  const built = await buildGloveModels({ corpus: dataset.corpus, corpusId, modelsDir: ctx.modelsDir, log: (m) => ctx.progress.log(m) });
  if (built.built) ctx.progress.log(`${dataset.name}: built GloVe models ${built.embedderId} and ${built.rerankerId}`);
  const extra = alias.kind === 'embedder' ? { pooling: alias.pooling, normalize: alias.normalize } : { scores: 'logit' };
  return { ...extra, ...spec, model: alias.kind === 'embedder' ? built.embedderId : built.rerankerId };
}

export class Components {
  private readonly retrievers = new Map<string, Promise<Retriever>>();
  private readonly embedders = new Map<string, Promise<{ raw: Embedder; cached: CachedEmbedder }>>();
  private readonly rerankers = new Map<string, Promise<Reranker>>();
  /** Identity and statistics of every reranker loaded so far, kept after the model is released. */
  private readonly identities = new Map<string, ModelIdentity>();
  private readonly rerankStats = new Map<string, RerankStats>();
  private readonly hnswRecall = new Map<string, number>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly dataset: Dataset,
    private readonly variants: readonly RetrieverVariant[],
    /** Deepest candidate count of the experiment: hybrids fuse at least this many from each part. */
    private readonly deepest: number,
  ) {}

  /** The indexed retriever for a variant (memoised). */
  retriever(v: RetrieverVariant): Promise<Retriever> {
    let r = this.retrievers.get(v.name);
    if (!r) {
      r = this.build(v);
      this.retrievers.set(v.name, r);
    }
    return r;
  }

  /** Depth each part of a hybrid retrieves before fusion. */
  fusionDepth(h: Pick<HybridEntry, 'depth'>): number {
    return Math.max(h.depth ?? 100, this.deepest);
  }

  private async build(v: RetrieverVariant): Promise<Retriever> {
    const { progress } = this.ctx;
    if (v.type === 'bm25') {
      const r = createBm25Retriever({ engine: v.engine, k1: v.k1, b: v.b, fields: v.fields, analyzer: v.analyzer, fieldWeights: v.fieldWeights, norms: v.norms });
      const t = Date.now();
      await r.index(this.dataset.corpus);
      progress.log(`${this.dataset.name}: indexed ${this.dataset.corpus.length} documents for ${v.name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      return r;
    }
    if (v.type === 'vector') {
      const { raw, cached } = await this.embedder(v.embedder, v.batchSize);
      // HNSW searches with ef >= k. Every depth of the sweep uses ef = max(efSearch, deepest count), so the
      // shallow candidate lists are exact prefixes of the deep one and the timing pass measures the same search.
      const efSearch = Math.max(v.hnsw?.efSearch ?? DEFAULT_HNSW.efSearch, this.deepest);
      if (v.index === 'hnsw' && efSearch !== (v.hnsw?.efSearch ?? DEFAULT_HNSW.efSearch)) {
        progress.notice(`${this.dataset.name}: ${v.name}: efSearch raised to ${efSearch}, the deepest candidate count (HNSW needs ef >= k)`);
      }
      const index = v.index === 'hnsw' ? new HnswIndex({ ...v.hnsw, efSearch }) : new ExactIndex();
      const total = this.dataset.corpus.length;
      const task = progress.task(`${this.dataset.name}: embed corpus for ${v.name}`, total);
      let last = 0;
      const r = new VectorRetriever({
        embedder: raw,
        cachedEmbedder: cached,
        index,
        batchSize: v.batchSize,
        onProgress: (n) => {
          task.tick(n - last);
          last = n;
        },
      });
      await r.index(this.dataset.corpus);
      task.done();
      return r;
    }
    const parts = await Promise.all(
      v.of.map((name) => {
        const part = this.variants.find((x) => x.name === name);
        if (!part) throw new UsageError(`hybrid "${v.name}" refers to "${name}", which is not a retriever of this experiment.`, { key: 'retrievers' });
        return this.retriever(part);
      }),
    );
    const weights = v.weights ?? (v.weight !== undefined ? [1 - v.weight, v.weight] : undefined);
    const params = v.fusion === 'rrf' ? { method: 'rrf' as const, rrfK: v.rrfK } : { method: 'weighted' as const, weights, normalization: v.normalization };
    return new HybridRetriever(parts, params, this.fusionDepth(v));
  }

  /** An embedder and its cached wrapper (memoised by spec). */
  embedder(spec: EmbedderSpec, batchSize: number): Promise<{ raw: Embedder; cached: CachedEmbedder }> {
    const s: ModelSpec = typeof spec === 'string' ? { model: spec } : { ...spec };
    const key = JSON.stringify(s);
    let e = this.embedders.get(key);
    if (!e) {
      e = (async () => {
        const resolved = await resolvePerCorpus(s, this.dataset, this.ctx);
        const raw = await createEmbedder({ batchSize, ...resolved, threads: resolved.threads ?? this.ctx.threads }, this.ctx);
        return { raw, cached: new CachedEmbedder(raw, this.ctx.store, batchSize) };
      })();
      this.embedders.set(key, e);
    }
    return e;
  }

  /** The model behind a reranker variant (memoised by model key: interpolated variants share it). */
  reranker(v: RerankerVariant): Promise<Reranker> {
    if (!v.spec || !v.modelKey) throw new Error('reranker() called for `none`');
    let r = this.rerankers.get(v.modelKey);
    if (!r) {
      const spec = v.spec as ModelSpec;
      const key = v.modelKey;
      r = (async () => {
        const resolved = await resolvePerCorpus(spec, this.dataset, this.ctx);
        const model = await createReranker({ ...resolved, threads: resolved.threads ?? this.ctx.threads }, this.ctx);
        this.identities.set(key, model.identity);
        return model;
      })();
      this.rerankers.set(v.modelKey, r);
    }
    return r;
  }

  /**
   * Releases a reranker's model (its ORT session and weights) once a stage is done with it, so that models
   * are held one at a time: a sweep over bge-large, bge-base and MiniLM needs the memory of the largest,
   * not of all three. Its identity and statistics stay available.
   */
  async release(v: RerankerVariant): Promise<void> {
    const r = v.modelKey ? this.rerankers.get(v.modelKey) : undefined;
    if (!r || !v.modelKey) return;
    this.rerankers.delete(v.modelKey);
    const model = await r;
    const stats = model.stats?.();
    if (stats) this.rerankStats.set(v.modelKey, { ...stats });
    await model.dispose();
  }

  /** The identity of a variant's model (loading and releasing it if it was never loaded). */
  async identity(v: RerankerVariant): Promise<ModelIdentity> {
    const known = v.modelKey ? this.identities.get(v.modelKey) : undefined;
    if (known) return known;
    const model = await this.reranker(v);
    await this.release(v);
    return model.identity;
  }

  /** Statistics a remote or LLM reranker reported (requests, retries, tokens, failures), if any. */
  stats(v: RerankerVariant): RerankStats | undefined {
    return v.modelKey ? this.rerankStats.get(v.modelKey) : undefined;
  }

  /**
   * Whether a variant's model is an architecture stand-in (random weights: cost only), known from the alias
   * table without loading it; undefined when only loading the model can tell.
   */
  isStandIn(v: RerankerVariant): boolean | undefined {
    if (!v.spec) return false;
    const known = v.modelKey ? this.identities.get(v.modelKey) : undefined;
    if (known) return known.weights === 'random';
    const alias = findAlias(v.spec.model);
    return alias ? alias.weights === 'random' : undefined;
  }

  /** Embeddings computed and served from the cache so far, over every embedder of this dataset. */
  async embeddingCounts(): Promise<{ computed: number; fromCache: number }> {
    let computed = 0;
    let fromCache = 0;
    for (const e of this.embedders.values()) {
      const { cached } = await e;
      computed += cached.stats.misses;
      fromCache += cached.stats.hits;
    }
    return { computed, fromCache };
  }

  setAnnRecall(name: string, recall: number): void {
    this.hnswRecall.set(name, recall);
  }

  annRecall(name: string): number | undefined {
    return this.hnswRecall.get(name);
  }

  async dispose(): Promise<void> {
    const all = [...this.rerankers.values(), ...[...this.embedders.values()].map(async (e) => (await e).raw)];
    for (const p of all) {
      try {
        await (await p).dispose();
      } catch {
        /* a model that failed to load has nothing to release */
      }
    }
    for (const p of this.retrievers.values()) {
      try {
        await (await p).dispose?.();
      } catch {
        /* ditto */
      }
    }
  }
}
