/**
 * The table of retriever types. Adding a type is adding one file (its schema, sweepable keys, checks,
 * models and build) and one entry here; the config schema, sweep expansion, --offline, the model check and
 * the executor all read this table.
 */
import { z } from 'zod';
import { bm25Type } from './bm25.js';
import { hybridType } from './hybrid.js';
import { lancedbType } from './lancedb.js';
import { pgvectorType } from './pgvector.js';
import { postgresFtsType } from './postgres-fts.js';
import type { RetrieverType, Variant } from './types.js';
import { vectorType } from './vector.js';

export const RETRIEVER_TYPES = {
  bm25: bm25Type,
  vector: vectorType,
  hybrid: hybridType,
  pgvector: pgvectorType,
  'postgres-fts': postgresFtsType,
  lancedb: lancedbType,
} as const;

type Table = typeof RETRIEVER_TYPES;
export type RetrieverTypeName = keyof Table;

/** A retriever entry of a config, after validation (the union over the table's schemas). */
export type RetrieverEntry = { [K in RetrieverTypeName]: z.output<Table[K]['schema']> }[RetrieverTypeName];
/** A retriever after sweep expansion: fixed parameters and a unique name. */
export type RetrieverVariant = { [K in RetrieverTypeName]: Variant<z.output<Table[K]['schema']>> }[RetrieverTypeName];

const schemas = Object.values(RETRIEVER_TYPES).map((t) => t.schema);
/** The schema of a retriever entry: discriminated by `type`. */
export const retrieverSchema = z.discriminatedUnion('type', schemas as [Table[RetrieverTypeName]['schema'], ...Table[RetrieverTypeName]['schema'][]]);

/**
 * The type of an entry or variant. The table is keyed by the schemas' `type` literals, so the entry always
 * matches the type returned; TypeScript cannot correlate the two unions, hence the one widening here.
 */
export function retrieverType(type: RetrieverTypeName): RetrieverType<Table[RetrieverTypeName]['schema']> {
  return RETRIEVER_TYPES[type] as RetrieverType<Table[RetrieverTypeName]['schema']>;
}

/**
 * A variant's parameters as results record them: everything the config says (defaults filled), the swept
 * values, its name and type; no internal fields.
 */
export function retrieverRecord(v: RetrieverVariant): Record<string, unknown> & { name: string; type: string } {
  const { base: _b, swept, ...rest } = v;
  return { ...rest, ...(swept ? { swept } : {}), name: v.name, type: v.type };
}

export const RETRIEVER_TYPE_NAMES = Object.keys(RETRIEVER_TYPES) as RetrieverTypeName[];
export type { Built, BuildContext, CheckContext, EngineInfo, RetrieverType } from './types.js';
