/**
 * What a retriever type is to the experiment: its config schema, the keys a sweep may vary, its default
 * name, the checks beyond the schema, the models it uses, and how to build it for one dataset. One file per
 * type (bm25.ts, vector.ts, hybrid.ts) and one entry in the table of index.ts; nothing else in the
 * experiment branches on a retriever's `type`.
 */
import type { z } from 'zod';
import type { Dataset, Query } from '../../data/types.js';
import type { CachedEmbedder } from '../../models/embedding-cache.js';
import type { Embedder, ModelIdentity } from '../../models/types.js';
import type { Retriever } from '../../retrieval/types.js';
import type { Store } from '../../store/store.js';
import type { Progress } from '../progress.js';
import type { EmbedderSpec } from '../schema.js';

/** A config entry's schema: a strict object whose `type` is a literal. */
export type EntrySchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

/** An entry after sweep expansion: fixed parameters and a unique name. */
export type Variant<E> = E extends unknown
  ? Omit<E, 'sweep'> & {
      name: string;
      /** The entry it came from and the swept values, when it is one point of a sweep. */
      base: string;
      swept?: Record<string, unknown>;
    }
  : never;

/** What config validation offers a type's own checks. */
export interface CheckContext {
  /** Records a problem at a key path relative to this entry (`['hnsw']`), with what to do. */
  problem(message: string, path: readonly PropertyKey[], hint?: string): void;
  /** Checks that a model name is an embedder alias, a Hub id, a local folder or a URL. */
  checkEmbedder(spec: EmbedderSpec, path: readonly PropertyKey[]): void;
}

/** What building a retriever for one dataset may use; shared by every retriever of the dataset. */
export interface BuildContext {
  dataset: Dataset;
  progress: Progress;
  store: Store;
  /** Deepest candidate count of the experiment (first-stage lists are cut from lists this deep). */
  deepest: number;
  /** The embedder of a spec, loaded once per dataset, with its durable-cache wrapper. */
  embedder(spec: EmbedderSpec, batchSize: number): Promise<{ raw: Embedder; cached: CachedEmbedder }>;
  /** Another retriever of the experiment, by variant name, built once (hybrids fuse their parts). */
  retriever(name: string): Promise<Retriever>;
}

/** A built retriever and what the experiment records about it besides its parameters. */
export interface Built {
  retriever: Retriever;
  /** Identity of the model behind it (embedder): part of the cache key of its retrieval runs, and of the manifest. */
  model?: ModelIdentity;
  /** Recall@k of approximate search against exact search on the same vectors (approximate indexes only). */
  annRecall?: (queries: Query[], k: number) => Promise<number>;
  /**
   * Database engines (pgvector, postgres-fts, lancedb): which, where it ran (host, never credentials), the
   * engine's version and the table and index it read; recorded in every result row of the retriever.
   */
  engine?: EngineInfo;
}

/** What results record of a database engine: at least its name, version and where it ran (no credentials). */
export type EngineInfo = Record<string, unknown>;

export interface RetrieverType<S extends EntrySchema = EntrySchema> {
  /** Strict schema of a config entry: `type`, `name?`, `sweep?` and the type's own keys. */
  readonly schema: S;
  /** Keys `sweep:` may vary, each with the path it sets in the entry (`efSearch` → `hnsw.efSearch`). */
  readonly sweepable: Readonly<Record<string, readonly string[]>>;
  /** The name a variant gets when the entry has no `name`. */
  defaultName(entry: z.output<S>): string;
  /** Checks that span several keys or need the file system; problems go to `ctx.problem`. */
  check?(entry: z.output<S>, ctx: CheckContext): void;
  /** Names of the other retrievers this one combines (hybrid). */
  parts?(entry: z.output<S>): readonly string[];
  /** Models the entry names (for --offline and the up-front check that local models are present). */
  models?(entry: z.output<S>): EmbedderSpec[];
  /** Builds and indexes the retriever for one dataset. */
  build(v: Variant<z.output<S>>, ctx: BuildContext): Promise<Built>;
}

/** Declares a retriever type with its entry type inferred from the schema. */
export function defineRetrieverType<S extends EntrySchema>(t: RetrieverType<S>): RetrieverType<S> {
  return t;
}
