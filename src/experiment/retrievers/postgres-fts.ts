/**
 * `type: postgres-fts`: Postgres full-text search as a lexical first stage (to_tsvector,
 * websearch_to_tsquery, ts_rank_cd), through node-postgres or PGlite, loaded on first build.
 */
import { z } from 'zod';
import { retrieverCommon } from '../schema.js';
import { checkPostgresEntry, connect, defaultTable, postgresKeys } from './postgres.js';
import { defineRetrieverType } from './types.js';

const column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name: letters, digits and _');

export const postgresFtsType = defineRetrieverType({
  schema: z.strictObject({
    type: z.literal('postgres-fts'),
    ...retrieverCommon,
    ...postgresKeys,
    /** Text search configuration: english (default), simple, … (`SELECT cfgname FROM pg_ts_config`). */
    tsConfig: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be the name of a text search configuration').default('english'),
    /** all: websearch_to_tsquery as is (every term must occur); any: the query's lexemes ORed. */
    match: z.enum(['all', 'any']).default('all'),
    /** ts_rank_cd's normalization bit mask (0–63; 0 = none). */
    normalization: z.number().int().min(0).max(63).default(0),
    /** Column of the document text (load: true creates it, title + " " + text). */
    textColumn: column.default('body'),
    /** Stored tsvector column (load: true creates `tsv`); without it, load: false computes to_tsvector per row. */
    tsvectorColumn: column.optional(),
  }),
  sweepable: { match: ['match'], normalization: ['normalization'], tsConfig: ['tsConfig'] },
  defaultName: (e) => `postgres-fts${e.match === 'any' ? '-any' : ''}`,
  check: (e, ctx) => checkPostgresEntry(e, ctx),
  async build(v, ctx) {
    const { dataset, progress } = ctx;
    const who = `retriever "${v.name}" (postgres-fts)`;
    const { PostgresFtsRetriever } = await import('../../retrieval/engines/postgres-fts.js');
    const { corpusKey } = await import('../../retrieval/engines/connection.js');
    const conn = await connect(v, who);
    const retriever = new PostgresFtsRetriever({
      who,
      conn,
      table: v.table ?? defaultTable(dataset, `fts_${v.tsConfig}`),
      load: v.load,
      idColumn: v.idColumn,
      textColumn: v.textColumn,
      tsvectorColumn: v.tsvectorColumn,
      tsConfig: v.tsConfig,
      match: v.match,
      normalization: v.normalization,
      corpusKey: corpusKey(dataset),
      log: (m) => progress.log(`${dataset.name}: ${v.name}: ${m}`),
    });
    try {
      await retriever.index(dataset.corpus);
    } catch (e) {
      await retriever.dispose();
      throw e;
    }
    return { retriever, engine: retriever.engine };
  },
});
