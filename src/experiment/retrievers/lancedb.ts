/**
 * `type: lancedb`: a LanceDB table as the first stage (vector search with LanceDB's indexes, its full-text
 * search, or its native hybrid query). The engine and its native package are imported only in `build`, so
 * configs without LanceDB and other commands never load them. See src/retrieval/engines/lancedb.ts for the
 * scores, the table layout and the checks.
 */
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { findAlias } from '../../models/aliases.js';
import { embedderSpecSchema, positiveInt, retrieverCommon } from '../schema.js';
import { defineRetrieverType } from './types.js';

const modelName = (spec: z.output<typeof embedderSpecSchema>): string => (typeof spec === 'string' ? spec : spec.model);

/** Index types and their build parameters (kept here too, so that validating a config imports no engine code). */
const INDEX_TYPES = ['none', 'ivf_flat', 'ivf_pq', 'ivf_rq', 'ivf_hnsw_sq', 'ivf_hnsw_pq'] as const;
const INDEX_PARAMS: Record<Exclude<(typeof INDEX_TYPES)[number], 'none'>, readonly string[]> = {
  ivf_flat: ['numPartitions', 'maxIterations', 'sampleRate'],
  ivf_pq: ['numPartitions', 'numSubVectors', 'numBits', 'maxIterations', 'sampleRate'],
  ivf_rq: ['numPartitions', 'numBits', 'maxIterations', 'sampleRate'],
  ivf_hnsw_sq: ['numPartitions', 'm', 'efConstruction', 'maxIterations', 'sampleRate'],
  ivf_hnsw_pq: ['numPartitions', 'numSubVectors', 'm', 'efConstruction', 'maxIterations', 'sampleRate'],
};
const INDEX_PARAM_KEYS = ['numPartitions', 'numSubVectors', 'numBits', 'm', 'efConstruction', 'maxIterations', 'sampleRate'] as const;

export const lancedbType = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('lancedb'),
    ...retrieverCommon,
    /** `vector` (default), `fts` (LanceDB's full-text index) or `hybrid` (its native vector + full-text query, RRF). */
    mode: z.enum(['vector', 'fts', 'hybrid']).default('vector'),
    /** Database: a folder (default `<cache>/lancedb`), `s3://…`, `gs://…`, `az://…` or `db://…` (LanceDB Cloud). */
    uri: z.string().min(1).optional(),
    /** Table name; default derived from the corpus, the embedder and the index settings, so loading is idempotent. */
    table: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ - and . (a LanceDB table name)').optional(),
    embedder: embedderSpecSchema.optional(),
    /** Distance of the vector index and queries (default cosine; equal to `type: vector`'s inner product on normalised embeddings). */
    distance: z.enum(['cosine', 'l2', 'dot']).optional(),
    /** Vector index (default none: flat, exact search). */
    index: z.enum(INDEX_TYPES).optional(),
    indexParams: z.strictObject(Object.fromEntries(INDEX_PARAM_KEYS.map((k) => [k, positiveInt.optional()])) as Record<(typeof INDEX_PARAM_KEYS)[number], z.ZodOptional<typeof positiveInt>>).optional(),
    /** IVF partitions probed per query (LanceDB's default 20). */
    nprobes: positiveInt.optional(),
    /** Quantized indexes: re-rank limit × refineFactor candidates by their full vectors. */
    refineFactor: positiveInt.optional(),
    /** HNSW indexes: candidates kept during search (raised to the number of documents asked for). */
    ef: positiveInt.optional(),
    /** Full-text index options (LanceDB's; unset ones keep its defaults). */
    fts: z
      .strictObject({
        baseTokenizer: z.enum(['simple', 'whitespace', 'raw', 'ngram']).optional(),
        language: z.string().min(1).optional(),
        stem: z.boolean().optional(),
        removeStopWords: z.boolean().optional(),
        lowercase: z.boolean().optional(),
        asciiFolding: z.boolean().optional(),
        maxTokenLength: positiveInt.optional(),
        withPosition: z.boolean().optional(),
        ngramMinLength: positiveInt.optional(),
        ngramMaxLength: positiveInt.optional(),
        prefixOnly: z.boolean().optional(),
      })
      .optional(),
    /** Hybrid: RRF constant of LanceDB's reranker (default 60). */
    rrfK: z.number().positive().optional(),
    /** Hybrid: documents each side retrieves before fusion (default max(100, deepest candidate count)). */
    depth: positiveInt.optional(),
    /** Documents embedded per call while loading a new table. */
    batchSize: positiveInt.default(64),
    /** Limit (ms) for connecting and for each query; a query past it stops the run with exit 2. */
    timeoutMs: positiveInt.optional(),
    /** Limit (ms) for creating the table and training each index. */
    buildTimeoutMs: positiveInt.optional(),
    /** LanceDB Cloud (`db://`): NAME of the environment variable holding the API key, and the region. */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable holding the key, not the key itself').optional(),
    region: z.string().min(1).optional(),
  }),
  sweepable: {
    nprobes: ['nprobes'],
    refineFactor: ['refineFactor'],
    ef: ['ef'],
    rrfK: ['rrfK'],
    depth: ['depth'],
    ...Object.fromEntries(INDEX_PARAM_KEYS.flatMap((k) => [[k, ['indexParams', k]], [`indexParams.${k}`, ['indexParams', k]]])),
  },
  defaultName(e) {
    const short = e.embedder ? (findAlias(modelName(e.embedder))?.alias ?? modelName(e.embedder).split('/').pop() ?? '') : '';
    return ['lancedb', e.mode === 'vector' ? '' : e.mode, short, e.index && e.index !== 'none' ? e.index : ''].filter(Boolean).join('-');
  },
  check(e, ctx) {
    const swept = new Set(Object.keys(e.sweep ?? {}).map((k) => k.replace(/^indexParams\./, '')));
    const has = (k: string): boolean => (e as Record<string, unknown>)[k] !== undefined || swept.has(k);
    const vector = e.mode !== 'fts';
    if (vector && !e.embedder) ctx.problem(`mode ${e.mode} needs an \`embedder\`.`, ['embedder'], 'Name the embedder whose vectors the table holds (e.g. glove-sif).');
    if (e.embedder) {
      if (!vector) ctx.problem('`embedder` given for `mode: fts`, which searches text only.', ['embedder'], 'Remove `embedder`, or use `mode: vector` or `hybrid`.');
      else ctx.checkEmbedder(e.embedder, ['embedder']);
    }
    if (!vector) {
      for (const k of ['distance', 'index', 'indexParams', 'nprobes', 'refineFactor', 'ef']) {
        if (has(k) || (k === 'indexParams' && INDEX_PARAM_KEYS.some((p) => swept.has(p)))) ctx.problem(`\`${k}\` applies to vector search; this retriever has \`mode: fts\`.`, [k], 'Remove it, or use `mode: vector` or `hybrid`.');
      }
    }
    if (e.mode === 'vector' && e.fts) ctx.problem('`fts` options given for `mode: vector`.', ['fts'], 'Use `mode: fts` or `hybrid`, or remove `fts`.');
    if (e.mode !== 'hybrid') for (const k of ['rrfK', 'depth']) if (has(k)) ctx.problem(`\`${k}\` applies to \`mode: hybrid\`.`, [k]);
    const index = e.index ?? 'none';
    if (vector && index === 'none') {
      for (const k of ['nprobes', 'refineFactor', 'ef']) if (has(k)) ctx.problem(`\`${k}\` is a setting of a vector index, and this retriever has none (flat search).`, [k], 'Set `index` (e.g. ivf_hnsw_sq or ivf_pq).');
      if (e.indexParams || INDEX_PARAM_KEYS.some((p) => swept.has(p))) ctx.problem('`indexParams` given without an `index`.', ['indexParams'], 'Set `index`.');
    }
    if (index !== 'none') {
      const allowed = INDEX_PARAMS[index];
      for (const k of INDEX_PARAM_KEYS) {
        if ((e.indexParams?.[k] !== undefined || swept.has(k)) && !allowed.includes(k)) ctx.problem(`\`${k}\` is not a parameter of ${index}.`, ['indexParams', k], `${index} takes ${allowed.join(', ')}.`);
      }
      if (has('ef') && !index.startsWith('ivf_hnsw')) ctx.problem(`\`ef\` applies to HNSW indexes; this one is ${index}.`, ['ef'], 'Use `nprobes` (and `refineFactor` for PQ/RQ), or an ivf_hnsw_* index.');
      if (e.table !== undefined && INDEX_PARAM_KEYS.some((p) => swept.has(p))) {
        ctx.problem('index build parameters are swept but `table` names one table, which holds one vector index.', ['table'], 'Remove `table`: rbench then loads one table per index.');
      }
    }
    const remote = e.uri?.startsWith('db://') ?? false;
    if (!remote) for (const k of ['apiKeyEnv', 'region']) if (has(k)) ctx.problem(`\`${k}\` applies to LanceDB Cloud (\`uri: db://…\`).`, [k]);
  },
  models: (e) => (e.embedder && e.mode !== 'fts' ? [e.embedder] : []),
  async build(v, ctx) {
    const { dataset, progress, deepest } = ctx;
    const { LanceDbRetriever } = await import('../../retrieval/engines/lancedb.js');
    const { identityKey } = await import('../../models/embedding-cache.js');
    const apiKey = v.apiKeyEnv ? process.env[v.apiKeyEnv] : undefined;
    if (v.apiKeyEnv && !apiKey) throw new UsageError(`the environment variable ${v.apiKeyEnv} (config key \`apiKeyEnv\` of retriever "${v.name}") is not set.`, { key: 'apiKeyEnv', hint: 'Export the LanceDB Cloud API key in it.' });
    const embed = v.mode !== 'fts' && v.embedder ? await ctx.embedder(v.embedder, v.batchSize) : undefined;
    if (v.index === 'ivf_hnsw_sq' && v.distance === 'dot') {
      progress.notice(`${dataset.name}: ${v.name}: LanceDB 0.31's ivf_hnsw_sq index with dot distance finds few true neighbours (annRecall about 0.1 on tech-qa's GloVe vectors, 0.99 with cosine or l2); on normalised embeddings \`distance: cosine\` ranks the same`);
    }
    if (v.ef !== undefined && v.ef < deepest) progress.notice(`${dataset.name}: ${v.name}: ef raised to ${deepest}, the deepest candidate count (HNSW needs ef >= k)`);
    // The corpus is embedded only when the table is created (a table that exists is reused): the task starts then.
    let task: ReturnType<typeof progress.task> | undefined;
    let last = 0;
    const retriever = new LanceDbRetriever({
      uri: v.uri ?? path.join(ctx.store.dir, 'lancedb'),
      table: v.table,
      mode: v.mode,
      distance: v.distance,
      index: v.index,
      indexParams: v.indexParams,
      fts: v.fts,
      apiKey,
      region: v.region,
      timeoutMs: v.timeoutMs,
      buildTimeoutMs: v.buildTimeoutMs,
      dataset: dataset.name,
      log: (m) => progress.log(`${dataset.name}: ${v.name}: ${m}`),
      embedder: embed?.raw,
      cachedEmbedder: embed?.cached,
      embedderKey: embed ? identityKey(embed.raw.identity) : undefined,
      search: { nprobes: v.nprobes, refineFactor: v.refineFactor, ef: v.ef === undefined ? undefined : Math.max(v.ef, deepest) },
      // Each side retrieves at least the deepest candidate count, so every depth of the sweep cuts the same fused list.
      depth: Math.max(v.depth ?? 100, deepest),
      rrfK: v.rrfK,
      batchSize: v.batchSize,
      onProgress: (n, total) => {
        task ??= progress.task(`${dataset.name}: embed corpus for ${v.name}`, total);
        task.tick(n - last);
        last = n;
      },
    });
    try {
      await retriever.index(dataset.corpus);
    } catch (e) {
      // The engine's message names the key within this entry; say which entry and dataset.
      if (e instanceof UsageError) throw new UsageError(`retriever "${v.name}" (type: lancedb) on ${dataset.name}: ${e.message}`, { cause: e });
      throw e;
    } finally {
      task?.done();
    }
    const d = retriever.description;
    return {
      retriever,
      engine: { name: 'lancedb', version: String(d.engineVersion), where: String(d.where) },
      ...(embed ? { model: embed.raw.identity } : {}),
      ...(v.mode === 'vector' && (v.index ?? 'none') !== 'none' ? { annRecall: (queries, k) => retriever.annRecall(queries, k) } : {}),
    };
  },
});
