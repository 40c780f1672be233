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
import type { Retriever } from '../retrieval/types.js';
import type { Store } from '../store/store.js';
import type { EmbedderSpec, RerankerVariant, RetrieverVariant } from './config.js';
import { retrieverType, type Built, type BuildContext } from './retrievers/index.js';
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

/**
 * Statistics of a model over its lifetimes: a model is loaded for the quality pass and again for the timing
 * pass, and both count. Counters add up; `maxBatch` (the request size a server's 413 lowered it to) keeps
 * the smaller value.
 */
function addStats(a: RerankStats | undefined, b: RerankStats): RerankStats {
  const out: Record<string, number> = { ...(a as Record<string, number> | undefined) };
  for (const [k, v] of Object.entries(b as Record<string, number | undefined>)) {
    if (v === undefined) continue;
    out[k] = out[k] === undefined ? v : k === 'maxBatch' ? Math.min(out[k], v) : out[k] + v;
  }
  return out;
}

export class Components {
  private readonly built = new Map<string, Promise<Built>>();
  private readonly embedders = new Map<string, Promise<{ raw: Embedder; cached: CachedEmbedder }>>();
  private readonly rerankers = new Map<string, Promise<Reranker>>();
  /** Identity and statistics of every reranker loaded so far, kept after the model is released. */
  private readonly identities = new Map<string, ModelIdentity>();
  private readonly rerankStats = new Map<string, RerankStats>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly dataset: Dataset,
    private readonly variants: readonly RetrieverVariant[],
    /** Deepest candidate count of the experiment: hybrids fuse at least this many from each part. */
    private readonly deepest: number,
  ) {}

  /** The indexed retriever of a variant and what its type records about it (memoised: built once per dataset). */
  build(v: RetrieverVariant): Promise<Built> {
    let b = this.built.get(v.name);
    if (!b) {
      const ctx: BuildContext = {
        dataset: this.dataset,
        progress: this.ctx.progress,
        store: this.ctx.store,
        deepest: this.deepest,
        embedder: (spec, batchSize) => this.embedder(spec, batchSize),
        retriever: (name) => {
          const part = this.variants.find((x) => x.name === name);
          if (!part) throw new UsageError(`retriever "${v.name}" refers to "${name}", which is not a retriever of this experiment.`, { key: 'retrievers' });
          return this.retriever(part);
        },
      };
      b = retrieverType(v.type).build(v, ctx);
      this.built.set(v.name, b);
    }
    return b;
  }

  /** The indexed retriever for a variant (memoised). */
  async retriever(v: RetrieverVariant): Promise<Retriever> {
    return (await this.build(v)).retriever;
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
    if (stats) this.rerankStats.set(v.modelKey, addStats(this.rerankStats.get(v.modelKey), stats));
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

  async dispose(): Promise<void> {
    const all = [...this.rerankers.values(), ...[...this.embedders.values()].map(async (e) => (await e).raw)];
    for (const p of all) {
      try {
        await (await p).dispose();
      } catch {
        /* a model that failed to load has nothing to release */
      }
    }
    for (const p of this.built.values()) {
      try {
        await (await p).retriever.dispose?.();
      } catch {
        /* ditto */
      }
    }
  }
}
