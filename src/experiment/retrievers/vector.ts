/** `type: vector`: an embedder and an exact or HNSW index (hnswlib-node) over the corpus vectors. */
import { z } from 'zod';
import { findAlias } from '../../models/aliases.js';
import { ExactIndex } from '../../retrieval/vector/exact.js';
import { DEFAULT_HNSW, HnswIndex } from '../../retrieval/vector/hnsw.js';
import { VectorRetriever } from '../../retrieval/vector/retriever.js';
import { embedderSpecSchema, nonNegativeInt, positiveInt, retrieverCommon } from '../schema.js';
import { defineRetrieverType } from './types.js';

const modelName = (spec: z.output<typeof embedderSpecSchema>): string => (typeof spec === 'string' ? spec : spec.model);

export const vectorType = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('vector'),
    ...retrieverCommon,
    embedder: embedderSpecSchema,
    index: z.enum(['exact', 'hnsw']).default('exact'),
    hnsw: z
      .strictObject({ M: positiveInt.default(16), efConstruction: positiveInt.default(200), efSearch: positiveInt.default(100), seed: nonNegativeInt.default(100) })
      .optional(),
    batchSize: positiveInt.default(64),
  }),
  sweepable: {
    'hnsw.efSearch': ['hnsw', 'efSearch'],
    'hnsw.M': ['hnsw', 'M'],
    'hnsw.efConstruction': ['hnsw', 'efConstruction'],
    efSearch: ['hnsw', 'efSearch'],
  },
  defaultName(e) {
    const m = modelName(e.embedder);
    const short = findAlias(m)?.alias ?? m.split('/').pop() ?? m;
    return e.index === 'hnsw' ? `${short}-hnsw` : short;
  },
  check(e, ctx) {
    ctx.checkEmbedder(e.embedder, ['embedder']);
    if (e.index === 'exact' && e.hnsw) ctx.problem('`hnsw` parameters given for an exact index.', ['hnsw'], 'Set `index: hnsw` or remove `hnsw`.');
  },
  models: (e) => [e.embedder],
  async build(v, ctx) {
    const { dataset, progress, deepest } = ctx;
    const { raw, cached } = await ctx.embedder(v.embedder, v.batchSize);
    // HNSW searches with ef >= k. Every depth of the sweep uses ef = max(efSearch, deepest count), so the
    // shallow candidate lists are exact prefixes of the deep one and the timing pass measures the same search.
    const configured = v.hnsw?.efSearch ?? DEFAULT_HNSW.efSearch;
    const efSearch = Math.max(configured, deepest);
    if (v.index === 'hnsw' && efSearch !== configured) {
      progress.notice(`${dataset.name}: ${v.name}: efSearch raised to ${efSearch}, the deepest candidate count (HNSW needs ef >= k)`);
    }
    const index = v.index === 'hnsw' ? new HnswIndex({ ...v.hnsw, efSearch }) : new ExactIndex();
    const task = progress.task(`${dataset.name}: embed corpus for ${v.name}`, dataset.corpus.length);
    let last = 0;
    const retriever = new VectorRetriever({
      embedder: raw,
      cachedEmbedder: cached,
      index,
      batchSize: v.batchSize,
      onProgress: (n) => {
        task.tick(n - last);
        last = n;
      },
    });
    await retriever.index(dataset.corpus);
    task.done();
    return {
      retriever,
      model: raw.identity,
      ...(v.index === 'hnsw' ? { annRecall: (queries, k) => retriever.annRecall(queries, k) } : {}),
    };
  },
});
