/**
 * `type: pgvector`: dense retrieval in Postgres with pgvector (exact scan, HNSW or IVFFlat), through
 * node-postgres or PGlite. The client and the retriever are loaded on first build (dynamic `import()`).
 */
import { z } from 'zod';
import { findAlias } from '../../models/aliases.js';
import { identityKey } from '../../models/embedding-cache.js';
import { embedderSpecSchema, positiveInt } from '../schema.js';
import { retrieverCommon } from '../schema.js';
import { checkPostgresEntry, connect, defaultTable, postgresKeys } from './postgres.js';
import { defineRetrieverType } from './types.js';

const modelName = (spec: z.output<typeof embedderSpecSchema>): string => (typeof spec === 'string' ? spec : spec.model);
const shortName = (spec: z.output<typeof embedderSpecSchema>): string => {
  const m = modelName(spec);
  return findAlias(m)?.alias ?? m.split('/').pop() ?? m;
};

export const pgvectorType = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('pgvector'),
    ...retrieverCommon,
    ...postgresKeys,
    embedder: embedderSpecSchema,
    embeddingColumn: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name: letters, digits and _').default('embedding'),
    index: z.enum(['exact', 'hnsw', 'ivfflat']).default('hnsw'),
    distance: z.enum(['cosine', 'ip', 'l2']).default('cosine'),
    /** HNSW (pgvector's ranges): graph degree, build candidate list, search candidate list. */
    m: z.number().int().min(2).max(100).optional(),
    efConstruction: z.number().int().min(4).max(1000).optional(),
    efSearch: z.number().int().min(1).max(1000).optional(),
    /** IVFFlat: lists built, lists probed per query. */
    lists: z.number().int().min(1).max(32768).optional(),
    probes: z.number().int().min(1).max(32768).optional(),
    batchSize: positiveInt.default(64),
  }),
  sweepable: { m: ['m'], efConstruction: ['efConstruction'], efSearch: ['efSearch'], lists: ['lists'], probes: ['probes'], distance: ['distance'], index: ['index'] },
  defaultName: (e) => `pgvector-${shortName(e.embedder)}-${e.index}`,
  check(e, ctx) {
    checkPostgresEntry(e, ctx);
    ctx.checkEmbedder(e.embedder, ['embedder']);
    const swept = new Set(Object.keys(e.sweep ?? {}));
    const kinds = swept.has('index') ? new Set((e.sweep!.index as string[]).map(String)) : new Set([e.index]);
    const given = (k: string) => (e as Record<string, unknown>)[k] !== undefined || swept.has(k);
    for (const k of ['m', 'efConstruction', 'efSearch']) if (given(k) && !kinds.has('hnsw')) ctx.problem(`\`${k}\` is an HNSW parameter, but \`index\` is ${[...kinds].join(', ')}.`, [k], 'Set `index: hnsw` or remove it.');
    for (const k of ['lists', 'probes']) if (given(k) && !kinds.has('ivfflat')) ctx.problem(`\`${k}\` is an IVFFlat parameter, but \`index\` is ${[...kinds].join(', ')}.`, [k], 'Set `index: ivfflat` or remove it.');
    const ms = swept.has('m') ? (e.sweep!.m as number[]) : [e.m ?? 16];
    const efcs = swept.has('efConstruction') ? (e.sweep!.efConstruction as number[]) : [e.efConstruction ?? 64];
    for (const m of ms) for (const efc of efcs) if (typeof m === 'number' && typeof efc === 'number' && efc < 2 * m) ctx.problem(`pgvector needs efConstruction ≥ 2·m; m ${m} with efConstruction ${efc} is not allowed.`, ['efConstruction']);
  },
  models: (e) => [e.embedder],
  async build(v, ctx) {
    const { dataset, progress, deepest } = ctx;
    const who = `retriever "${v.name}" (pgvector)`;
    const { raw, cached } = await ctx.embedder(v.embedder, v.batchSize);
    // As for hnswlib: HNSW returns at most ef_search rows, so every depth of the sweep searches with
    // ef_search = max(efSearch, deepest count), and shallower lists are exact prefixes of the deepest.
    let efSearch = v.efSearch;
    if (v.index === 'hnsw') {
      const configured = v.efSearch ?? 40;
      efSearch = Math.max(configured, deepest);
      if (efSearch !== configured) progress.notice(`${dataset.name}: ${v.name}: efSearch raised to ${efSearch}, the deepest candidate count (HNSW returns at most ef_search rows)`);
    }
    const { PgvectorRetriever } = await import('../../retrieval/engines/pgvector.js');
    const { corpusKey } = await import('../../retrieval/engines/connection.js');
    const conn = await connect(v, who);
    const embedderKey = identityKey(raw.identity);
    const task = progress.task(`${dataset.name}: embed corpus for ${v.name}`, dataset.corpus.length);
    let last = 0;
    const retriever = new PgvectorRetriever({
      who,
      conn,
      embedder: raw,
      cachedEmbedder: cached,
      batchSize: v.batchSize,
      table: v.table ?? defaultTable(dataset, `${shortName(v.embedder)}_${embedderKey.slice(0, 8)}`),
      idColumn: v.idColumn,
      embeddingColumn: v.embeddingColumn,
      load: v.load,
      index: { kind: v.index, distance: v.distance, m: v.m, efConstruction: v.efConstruction, efSearch, lists: v.lists, probes: v.probes },
      corpusKey: corpusKey(dataset),
      embedderKey,
      onProgress: (n) => {
        task.tick(n - last);
        last = n;
      },
      log: (m) => progress.log(`${dataset.name}: ${v.name}: ${m}`),
    });
    try {
      await retriever.index(dataset.corpus);
    } catch (e) {
      await retriever.dispose();
      throw e;
    } finally {
      task.done();
    }
    return {
      retriever,
      model: raw.identity,
      engine: retriever.engine,
      ...(v.index !== 'exact' ? { annRecall: (queries, k) => retriever.annRecall(queries, k) } : {}),
    };
  },
});
