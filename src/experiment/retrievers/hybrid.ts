/** `type: hybrid`: two or more first-stage retrievers of the experiment fused by RRF or weighted scores. */
import { z } from 'zod';
import { HybridRetriever } from '../../retrieval/fusion.js';
import { positiveInt, retrieverCommon } from '../schema.js';
import { defineRetrieverType } from './types.js';

export const hybridType = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('hybrid'),
    ...retrieverCommon,
    of: z.array(z.string().min(1)).min(2),
    fusion: z.enum(['rrf', 'weighted']).default('rrf'),
    rrfK: z.number().nonnegative().default(60),
    /** Weighted fusion: one weight per retriever in `of`. */
    weights: z.array(z.number().nonnegative()).optional(),
    /** Weighted fusion of two retrievers: the weight of the second (the first gets 1 − weight). */
    weight: z.number().min(0).max(1).optional(),
    normalization: z.enum(['minmax', 'zscore']).default('minmax'),
    /** Documents each part retrieves before fusion (default max(deepest candidate count, 100)). */
    depth: positiveInt.optional(),
  }),
  sweepable: { rrfK: ['rrfK'], weight: ['weight'], depth: ['depth'], normalization: ['normalization'] },
  defaultName: (e) => `hybrid-${e.fusion}`,
  check(e, ctx) {
    if (e.fusion === 'rrf' && (e.weights || e.weight !== undefined)) ctx.problem('weights are given but `fusion` is rrf.', ['fusion'], 'Use `fusion: weighted` to weight the retrievers.');
    if (e.weights && e.weights.length !== e.of.length) ctx.problem(`${e.of.length} retrievers in \`of\` but ${e.weights.length} weights.`, ['weights']);
    if (e.weight !== undefined && e.of.length !== 2) ctx.problem('`weight` applies to two retrievers; use `weights` (one per retriever) for more.', ['weight']);
  },
  parts: (e) => e.of,
  async build(v, ctx) {
    const parts = await Promise.all(v.of.map((name) => ctx.retriever(name)));
    const weights = v.weights ?? (v.weight !== undefined ? [1 - v.weight, v.weight] : undefined);
    const params = v.fusion === 'rrf' ? { method: 'rrf' as const, rrfK: v.rrfK } : { method: 'weighted' as const, weights, normalization: v.normalization };
    // Each part retrieves at least the deepest candidate count, so every depth of the sweep fuses the same lists.
    return { retriever: new HybridRetriever(parts, params, Math.max(v.depth ?? 100, ctx.deepest)) };
  },
});
