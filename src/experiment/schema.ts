/**
 * zod building blocks shared by the experiment config (config.ts) and the retriever types
 * (retrievers/*.ts): numbers, sweepable values, model specs. Kept apart so that a retriever type can
 * declare its schema without importing the whole config.
 */
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();

/** Either one value or a list of values to sweep over. */
export const sweepable = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);

/** Options of a model spec that every backend may see (each backend validates its own subset). */
export const modelOptions = {
  backend: z.enum(['transformers', 'http', 'llm']).optional(),
  dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).optional(),
  maxLength: positiveInt.optional(),
  threads: positiveInt.optional(),
  api: z.enum(['tei', 'cohere-v1', 'cohere-v2', 'jina', 'openai']).optional(),
  url: z.string().url().optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable holding the key, not the key itself').optional(),
  maxBatch: positiveInt.optional(),
  concurrency: positiveInt.optional(),
  timeoutMs: positiveInt.optional(),
  retries: nonNegativeInt.optional(),
  backoffMs: nonNegativeInt.optional(),
  maxBackoffMs: nonNegativeInt.optional(),
  maxRetryAfterMs: nonNegativeInt.optional(),
};

/** An embedder: an alias / Hub id / folder / URL, or an object with the model and its options. */
export const embedderSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({
    model: z.string().min(1),
    ...modelOptions,
    batchSize: positiveInt.optional(),
    queryPrefix: z.string().optional(),
    passagePrefix: z.string().optional(),
    pooling: z.enum(['mean', 'cls', 'none']).optional(),
    normalize: z.boolean().optional(),
  }),
]);
export type EmbedderSpec = z.output<typeof embedderSpecSchema>;

/** `sweep: { key: [values…] }` of a retriever entry: one variant per combination of values. */
export const sweepSchema = z.record(z.string(), z.array(z.union([z.number(), z.string(), z.boolean()])).min(1)).optional();

/** Fields every retriever entry has besides its own. */
export const retrieverCommon = {
  name: z.string().min(1).optional(),
  sweep: sweepSchema,
};
