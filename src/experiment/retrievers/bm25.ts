/** `type: bm25`: Lucene-exact BM25 (Anserini's figures) or wink-bm25-text-search. */
import { z } from 'zod';
import { createBm25Retriever } from '../../retrieval/bm25/index.js';
import { retrieverCommon } from '../schema.js';
import { defineRetrieverType } from './types.js';

export const bm25Type = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('bm25'),
    ...retrieverCommon,
    engine: z.enum(['lucene', 'wink']).default('lucene'),
    k1: z.number().nonnegative().default(0.9),
    b: z.number().min(0).max(1).default(0.4),
    fields: z.enum(['flat', 'multifield']).default('flat'),
    /** Multifield: weight of each field's score (Anserini's default 1.0 / 1.0). */
    fieldWeights: z.strictObject({ title: z.number().nonnegative().optional(), text: z.number().nonnegative().optional() }).optional(),
    analyzer: z.enum(['english', 'simple']).default('english'),
    /** Document lengths as Lucene stores them (one-byte norms, the default, reproduces Anserini) or exact. */
    norms: z.enum(['lucene', 'exact']).optional(),
  }),
  sweepable: { k1: ['k1'], b: ['b'] },
  defaultName: (e) => ['bm25', e.engine === 'wink' ? 'wink' : '', e.fields === 'multifield' ? 'mf' : ''].filter(Boolean).join('-'),
  async build(v, { dataset, progress }) {
    const r = createBm25Retriever({ engine: v.engine, k1: v.k1, b: v.b, fields: v.fields, analyzer: v.analyzer, fieldWeights: v.fieldWeights, norms: v.norms });
    const t = Date.now();
    await r.index(dataset.corpus);
    progress.log(`${dataset.name}: indexed ${dataset.corpus.length} documents for ${v.name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return { retriever: r };
  },
});
