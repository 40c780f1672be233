/**
 * LanceDB (`@lancedb/lancedb`) as a first-stage retriever: embedded in a local folder, or on object storage
 * (`s3://`, `gs://`, `az://`) or LanceDB Cloud (`db://`) by URI. Three modes:
 *
 * - `vector`: nearest neighbours of the query embedding, flat (exact, `bypassVectorIndex`) or through one of
 *   LanceDB's vector indexes (IVF_FLAT, IVF_PQ, IVF_RQ, IVF_HNSW_SQ, IVF_HNSW_PQ) with its search settings
 *   (`nprobes`, `refineFactor`, `ef`).
 * - `fts`: LanceDB's native full-text index (BM25 over its own tokenizer: simple, lowercased, English stemming
 *   and stop words by default) on the document text `title + " " + text`.
 * - `hybrid`: LanceDB's native hybrid query: the vector query and the full-text query each take `depth`
 *   documents, and LanceDB's RRF reranker fuses them: score = Σ 1 / (rrfK + rank), rank counted from 0 in
 *   each list, a document missing from one list getting nothing from it.
 *
 * Scores are higher-is-better: `cosine` and `dot` give 1 − LanceDB's distance (its cosine distance is
 * 1 − cos, its dot distance 1 − q·d, so the score is the cosine similarity or the inner product), `l2` gives
 * −(squared L2 distance); full-text search gives LanceDB's BM25 `_score`, hybrid its `_relevance_score`.
 * With a quantized index (PQ, SQ, RQ) and no `refineFactor`, distances are LanceDB's approximate ones.
 * Rankings follow trec_eval order (score descending, ties by document id descending in byte order): a
 * vector or full-text query asks for one document more than it needs, and more while the last one ties with
 * the k-th, so equal scores at the cut are ordered by id and not by LanceDB's internal row order.
 *
 * Tables hold `id`, `text` (full-text modes) and `vector` (a fixed-size list of float32; vector modes).
 * Loading is idempotent: a table that exists is checked against the dataset (same ids, the embedder's
 * dimension, the embedder's vectors for a few documents) and reused without writing; missing indexes are
 * created. This module is loaded only by configs that use `type: lancedb`, and it loads the native package
 * (about 155 MB on disk) only when a retriever connects.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Connection, Index, rerankers, Table, VectorQuery } from '@lancedb/lancedb';
import type { Field, Table as ArrowTable } from 'apache-arrow';
import { canonicalJson } from '../../canonical.js';
import { sortTrec } from '../../data/order.js';
import { docText, type Doc, type Query, type ScoredDoc } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { Embedder } from '../../models/types.js';
import { ensureWritableDir } from '../../paths.js';
import type { Retriever, SearchOptions } from '../types.js';
import { annRecall } from '../vector/hnsw.js';

export type LanceMode = 'vector' | 'fts' | 'hybrid';
export type LanceDistance = 'cosine' | 'l2' | 'dot';
/** rbench's names for LanceDB 0.31's vector indexes (`Index.ivfFlat`, `ivfPq`, `ivfRq`, `hnswSq`, `hnswPq`). */
export type LanceIndexType = 'none' | 'ivf_flat' | 'ivf_pq' | 'ivf_rq' | 'ivf_hnsw_sq' | 'ivf_hnsw_pq';
export const LANCE_INDEX_TYPES: readonly LanceIndexType[] = ['none', 'ivf_flat', 'ivf_pq', 'ivf_rq', 'ivf_hnsw_sq', 'ivf_hnsw_pq'];

/** Build parameters of a vector index (LanceDB's names; each applies to the index types `INDEX_PARAMS` lists). */
export interface LanceIndexParams {
  numPartitions?: number;
  numSubVectors?: number;
  numBits?: number;
  m?: number;
  efConstruction?: number;
  maxIterations?: number;
  sampleRate?: number;
}

/** Which build parameters each index type takes. */
export const INDEX_PARAMS: Readonly<Record<Exclude<LanceIndexType, 'none'>, readonly (keyof LanceIndexParams)[]>> = {
  ivf_flat: ['numPartitions', 'maxIterations', 'sampleRate'],
  ivf_pq: ['numPartitions', 'numSubVectors', 'numBits', 'maxIterations', 'sampleRate'],
  ivf_rq: ['numPartitions', 'numBits', 'maxIterations', 'sampleRate'],
  ivf_hnsw_sq: ['numPartitions', 'm', 'efConstruction', 'maxIterations', 'sampleRate'],
  ivf_hnsw_pq: ['numPartitions', 'numSubVectors', 'm', 'efConstruction', 'maxIterations', 'sampleRate'],
};

/** LanceDB's full-text index options (`Index.fts`); unset ones keep LanceDB's defaults. */
export interface LanceFtsOptions {
  baseTokenizer?: 'simple' | 'whitespace' | 'raw' | 'ngram';
  language?: string;
  stem?: boolean;
  removeStopWords?: boolean;
  lowercase?: boolean;
  asciiFolding?: boolean;
  maxTokenLength?: number;
  withPosition?: boolean;
  ngramMinLength?: number;
  ngramMaxLength?: number;
  prefixOnly?: boolean;
}

/** Search settings of a vector query (unset: LanceDB's defaults: nprobes 20, no refine, ef 1.5 × limit). */
export interface LanceSearchParams {
  nprobes?: number;
  refineFactor?: number;
  ef?: number;
}

export interface LanceTableOptions {
  /** Local folder, `s3://…`, `gs://…`, `az://…` or `db://…` (LanceDB Cloud). A relative path is taken from the working directory. */
  uri: string;
  /** Table name; default `rbench_<dataset>_<hash of the corpus, embedder and index settings>`. */
  table?: string;
  mode: LanceMode;
  /**
   * Vector modes: distance the index is trained with and queries use. Default `cosine`: on rbench's embedders
   * (normalised) it ranks as `type: vector`'s inner product does, and it works with every index type, while
   * LanceDB 0.31's IVF_HNSW_SQ with `dot` finds few true neighbours. LanceDB's cosine search returns nothing
   * for an all-zero query vector; `dot` ranks such a query as `type: vector` does (every document tied).
   */
  distance?: LanceDistance;
  index?: LanceIndexType;
  indexParams?: LanceIndexParams;
  fts?: LanceFtsOptions;
  /** LanceDB Cloud (`db://`): its API key and region. */
  apiKey?: string;
  region?: string;
  /** Limit for connecting and for each query (ms). */
  timeoutMs?: number;
  /** Limit for loading the table and training each index (ms). */
  buildTimeoutMs?: number;
  /** Dataset name, for the derived table name and messages. */
  dataset: string;
  /** Says what was done once (index created, table reused) and where a setting was adjusted. */
  log?: (message: string) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_BUILD_TIMEOUT_MS = 3_600_000;

type LanceModule = typeof import('@lancedb/lancedb');

let lanceModule: Promise<LanceModule> | undefined;

/**
 * The LanceDB package, imported on first use. LanceDB logs warnings of its own (Rust `env_logger`, read once
 * when the module loads) to stderr; `LANCEDB_LOG=error` keeps them off rbench's output unless the user set it.
 */
export function loadLanceDb(): Promise<LanceModule> {
  lanceModule ??= (async () => {
    process.env.LANCEDB_LOG ??= 'error';
    try {
      return await import('@lancedb/lancedb');
    } catch (e) {
      lanceModule = undefined;
      throw new UsageError(`LanceDB could not be loaded: ${cleanMessage(e)}`, {
        key: 'type',
        hint: `\`type: lancedb\` needs @lancedb/lancedb and its native package for ${process.platform}-${process.arch} (@lancedb/lancedb-<platform>, an optional dependency npm installs from the registry); run \`npm ci\` in the rbench folder.`,
        cause: e,
      });
    }
  })();
  return lanceModule;
}

/** The installed @lancedb/lancedb version (its package.json is not exported, so it is found beside the entry). */
export function lanceDbVersion(): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve('@lancedb/lancedb'));
    for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const f = path.join(dir, 'package.json');
      if (!fs.existsSync(f)) continue;
      const p = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version?: string };
      if (p.name === '@lancedb/lancedb' && p.version) return p.version;
    }
  } catch {
    /* not installed: loadLanceDb says so */
  }
  return 'unknown';
}

/** Whether a URI names a local folder (no scheme, or `file://`). */
export function isLocalUri(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || uri.startsWith('file://');
}

/**
 * Where a table lives, for results: the absolute folder of a local database, else `scheme://host[/path]`
 * with any user name, password and query string (where credentials could sit) left out.
 */
export function whereOf(uri: string): string {
  if (isLocalUri(uri)) return path.resolve(uri.replace(/^file:\/\//, ''));
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return uri.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
  }
}

/**
 * LanceDB's error text without the Rust source locations it appends (`, /usr/local/cargo/…/x.rs:12:3`) and
 * without the causes that repeat the message.
 */
export function cleanMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const parts = raw
    .split(/\s+Caused by:\s+/)
    .map((p) => p.replace(/,?\s*\/\S+\.rs:\d+:\d+/g, '').trim())
    .filter(Boolean);
  const kept: string[] = [];
  for (const p of parts) if (!kept.some((k) => k.includes(p))) kept.push(p);
  return kept.join(': ');
}

/** `p`, or a UsageError once `ms` have passed (the engine call itself is not cancelled: LanceDB has no way to). */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => UsageError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** SHA-256 of the corpus as the table stores it: ids and document texts, in corpus order. */
export function corpusHash(docs: readonly Doc[]): string {
  const h = createHash('sha256');
  for (const d of docs) h.update(d.id).update('\0').update(docText(d)).update('\n');
  return h.digest('hex');
}

/**
 * The default number of PQ sub-vectors. LanceDB's own default is dimension / 16, else / 8, else 1 sub-vector,
 * which for a dimension divisible by neither (GloVe's 100) quantizes each vector to one byte and makes most
 * documents tie; rbench takes the largest divisor of the dimension that is at most dimension / 8 instead.
 */
export function defaultSubVectors(dim: number): number {
  if (dim % 16 === 0) return dim / 16;
  if (dim % 8 === 0) return dim / 8;
  for (let s = Math.floor(dim / 8); s > 1; s--) if (dim % s === 0) return s;
  return 1;
}

/** The vector index settings a table is built with, defaults resolved (part of the derived table name). */
export interface ResolvedIndex {
  type: LanceIndexType;
  distance: LanceDistance;
  params: LanceIndexParams;
}

/** Resolves index defaults for a corpus of `rows` vectors of dimension `dim`, and checks what LanceDB would reject late. */
export function resolveIndex(index: LanceIndexType, distance: LanceDistance, given: LanceIndexParams, rows: number, dim: number): ResolvedIndex {
  if (index === 'none') return { type: index, distance, params: {} };
  const params: LanceIndexParams = { ...given };
  const bad = (key: keyof LanceIndexParams | 'index', message: string, hint: string): never => {
    throw new UsageError(message, { key: key === 'index' ? 'index' : `indexParams.${key}`, hint });
  };
  // HNSW: one graph over the whole table (LanceDB's advice); more partitions only lower the memory of training.
  if (index.startsWith('ivf_hnsw') && params.numPartitions === undefined) params.numPartitions = 1;
  if (params.numPartitions !== undefined && params.numPartitions > rows) {
    bad('numPartitions', `${index} with ${params.numPartitions} partitions needs at least that many documents; the corpus has ${rows}.`, `Use numPartitions ≤ ${rows} (LanceDB's default is √rows).`);
  }
  if (index === 'ivf_pq' || index === 'ivf_hnsw_pq') {
    params.numSubVectors ??= defaultSubVectors(dim);
    if (dim % params.numSubVectors !== 0) bad('numSubVectors', `numSubVectors ${params.numSubVectors} does not divide the vector dimension ${dim}.`, `Use a divisor of ${dim} (default ${defaultSubVectors(dim)}).`);
  }
  if (index === 'ivf_pq') {
    const bits = params.numBits ?? 8;
    if (bits !== 4 && bits !== 8) bad('numBits', `ivf_pq takes numBits 4 or 8, not ${bits}.`, 'Use 8 (the default) or 4.');
    if (rows < 2 ** bits) {
      bad('index', `ivf_pq with ${bits}-bit codes trains ${2 ** bits} centroids per sub-vector and needs at least ${2 ** bits} documents; the corpus has ${rows}.`, bits === 8 ? 'Use `indexParams: { numBits: 4 }`, or `index: ivf_flat` or `ivf_hnsw_sq`, or `index: none` (flat search).' : 'Use `index: ivf_flat`, `ivf_hnsw_sq` or `none`.');
    }
  }
  if (index === 'ivf_hnsw_pq' && rows < 256) bad('index', `ivf_hnsw_pq trains 256 centroids per sub-vector and needs at least 256 documents; the corpus has ${rows}.`, 'Use `index: ivf_hnsw_sq`, `ivf_flat` or `none`.');
  if (index === 'ivf_rq' && dim % 8 !== 0) bad('index', `ivf_rq needs a vector dimension divisible by 8; this embedder's is ${dim}.`, 'Use another index type.');
  return { type: index, distance, params };
}

/** LanceDB's index type name (`listIndices`) for each of rbench's. */
const NATIVE_INDEX_NAMES: Record<Exclude<LanceIndexType, 'none'>, string> = {
  ivf_flat: 'IvfFlat',
  ivf_pq: 'IvfPq',
  ivf_rq: 'IvfRq',
  ivf_hnsw_sq: 'IvfHnswSq',
  ivf_hnsw_pq: 'IvfHnswPq',
};

function indexConfig(lance: LanceModule, r: ResolvedIndex): Index {
  const p = { ...r.params, distanceType: r.distance };
  switch (r.type) {
    case 'ivf_flat':
      return lance.Index.ivfFlat(p);
    case 'ivf_pq':
      return lance.Index.ivfPq(p);
    case 'ivf_rq':
      return lance.Index.ivfRq(p);
    case 'ivf_hnsw_sq':
      return lance.Index.hnswSq(p);
    case 'ivf_hnsw_pq':
      return lance.Index.hnswPq(p);
    case 'none':
      throw new Error('indexConfig: no index');
  }
}

const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Ids quoted for a LanceDB SQL filter (`'` doubled). */
const sqlList = (ids: readonly string[]): string => ids.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ');

/** Vectors of documents as LanceDB gives them back (an Arrow vector, a typed array or an array). */
function toFloats(v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  if (v && typeof (v as { toArray?: unknown }).toArray === 'function') return Float32Array.from((v as { toArray(): ArrayLike<number> }).toArray());
  return Float32Array.from(v as ArrayLike<number>);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb);
}

/** Loads of one table in this process run one after another (two retrievers of a sweep may share a table). */
const loading = new Map<string, Promise<unknown>>();

/** What `LanceDbTable.load` needs besides the options. */
export interface LoadInput {
  corpus: readonly Doc[];
  /** Vector modes: the embedder's dimension. */
  dimension?: number;
  /** Vector modes: document vectors (cached embeddings), asked only for a new table and for a few documents of an existing one. */
  embedDocuments?: (docs: readonly Doc[]) => Promise<Float32Array[]>;
  /** Identity of the embedder's vectors (part of the derived table name). */
  embedderKey?: string;
}

/** One LanceDB table, loaded and checked, and the queries rbench runs on it. */
export class LanceDbTable {
  readonly where: string;
  readonly version = lanceDbVersion();
  private readonly timeoutMs: number;
  private lance!: LanceModule;
  private conn: Connection | undefined;
  private tbl: Table | undefined;
  /** What was found or built, for `describe()`. */
  name = '';
  created = false;
  tableVersion = 0;
  resolved: ResolvedIndex | undefined;
  ftsDetails: Record<string, unknown> | undefined;
  private readonly rerankers = new Map<number, rerankers.RRFReranker>();

  constructor(readonly opts: LanceTableOptions) {
    this.where = whereOf(opts.uri);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get table(): Table {
    if (!this.tbl) throw new Error('LanceDbTable: load() first');
    return this.tbl;
  }

  get vectorIndex(): LanceIndexType {
    return this.resolved?.type ?? 'none';
  }

  /** Parameters that identify this table's search in results and cache keys (never credentials). */
  describe(): Record<string, unknown> {
    const { mode } = this.opts;
    return {
      engine: 'lancedb',
      engineVersion: this.version,
      where: this.where,
      table: this.name,
      tableVersion: this.tableVersion,
      mode,
      ...(this.resolved ? { distance: this.resolved.distance, index: this.resolved.type, indexParams: this.resolved.params } : {}),
      ...(this.ftsDetails ? { fts: this.ftsDetails } : {}),
    };
  }

  private fail(what: string, e: unknown, hint: string, key?: string): UsageError {
    if (e instanceof UsageError) return e;
    return new UsageError(`LanceDB at ${this.where}${this.name ? `, table ${this.name}` : ''}: ${what}: ${cleanMessage(e)}`, { hint, key, cause: e });
  }

  private timeout(what: string, ms: number, key: string): () => UsageError {
    return () => new UsageError(`LanceDB at ${this.where}: ${what} did not finish within ${ms} ms.`, { key, hint: `Raise \`${key}\`, or check that the database at ${this.where} is reachable and not overloaded.` });
  }

  /** An engine call with the query time limit; errors become UsageErrors naming `what`. */
  async call<T>(what: string, f: () => Promise<T>, hint = 'Check the table and the settings of this retriever.'): Promise<T> {
    try {
      return await withTimeout(f(), this.timeoutMs, this.timeout(what, this.timeoutMs, 'timeoutMs'));
    } catch (e) {
      throw this.fail(what, e, hint);
    }
  }

  private async build<T>(what: string, f: () => Promise<T>, hint: string, key?: string): Promise<T> {
    const ms = this.opts.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
    try {
      return await withTimeout(f(), ms, this.timeout(what, ms, 'buildTimeoutMs'));
    } catch (e) {
      throw this.fail(what, e, hint, key);
    }
  }

  /**
   * Connects, then opens the table and checks it against the corpus, or creates it; then creates the indexes
   * it lacks. Idempotent: a table that matches is not written to.
   */
  async load(input: LoadInput): Promise<void> {
    const { opts } = this;
    const vectors = opts.mode !== 'fts';
    if (vectors && (input.dimension === undefined || !input.embedDocuments)) throw new Error('LanceDbTable.load: vector modes need the dimension and embedDocuments');
    this.lance = await loadLanceDb();
    const rows = input.corpus.length;
    if (rows === 0) throw new UsageError(`dataset ${opts.dataset} has no documents to load into LanceDB.`);
    this.resolved = vectors ? resolveIndex(opts.index ?? 'none', opts.distance ?? 'cosine', opts.indexParams ?? {}, rows, input.dimension!) : undefined;
    this.name = opts.table ?? this.derivedName(input);
    if (!TABLE_NAME.test(this.name)) throw new UsageError(`LanceDB table name "${this.name}" is not valid.`, { key: 'table', hint: 'Use letters, digits, _ - and . only.' });

    if (isLocalUri(opts.uri)) ensureWritableDir(opts.uri.replace(/^file:\/\//, ''), 'LanceDB database folder (config key `uri`)');
    const connectHint = isLocalUri(opts.uri)
      ? `Check that ${this.where} is a LanceDB folder rbench can write (config key \`uri\`).`
      : `Check the URI, the network and the credentials (for db:// the key named by \`apiKeyEnv\`; for object storage the provider's environment variables).`;
    this.conn = await this.call(
      'connecting',
      () => this.lance.connect(opts.uri, this.connectOptions()),
      connectHint,
    );
    const key = `${this.where}\0${this.name}`;
    const before = loading.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.openOrCreate(input));
    loading.set(key, mine);
    await mine;
  }

  /** LanceDB Cloud: the key, the region and the client's own time limits (seconds); nothing for a folder or object storage. */
  private connectOptions(): Record<string, unknown> {
    const { opts } = this;
    if (!opts.uri.startsWith('db://')) return {};
    const s = Math.ceil(this.timeoutMs / 1000);
    return { ...(opts.apiKey ? { apiKey: opts.apiKey } : {}), ...(opts.region ? { region: opts.region } : {}), clientConfig: { timeoutConfig: { connectTimeout: s, readTimeout: s } } };
  }

  /** `rbench_<dataset>_<12 hex>`: a hash of the corpus, the embedder and the index settings, so equal inputs find the same table. */
  private derivedName(input: LoadInput): string {
    const { opts } = this;
    const keyed = {
      v: 1,
      corpus: corpusHash(input.corpus),
      embedder: opts.mode === 'fts' ? null : (input.embedderKey ?? null),
      vectorIndex: this.resolved && this.resolved.type !== 'none' ? this.resolved : null,
      fts: opts.mode === 'vector' ? null : (opts.fts ?? {}),
    };
    const slug = opts.dataset.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40);
    return `rbench_${slug}_${createHash('sha256').update(canonicalJson(keyed)).digest('hex').slice(0, 12)}`;
  }

  private async openOrCreate(input: LoadInput): Promise<void> {
    const conn = this.conn!;
    if (await this.exists(conn)) {
      this.tbl = await this.call('opening the table', () => conn.openTable(this.name));
      await this.check(input);
    } else {
      await this.create(input);
      this.created = true;
    }
    await this.ensureIndexes(input.corpus.length);
    this.tableVersion = await this.call('reading the table version', () => this.table.version());
  }

  /** Whether the table exists: table names are listed in pages (LanceDB Cloud pages them), in lexicographic order. */
  private async exists(conn: Connection): Promise<boolean> {
    const page = 1000;
    for (let after: string | undefined; ; ) {
      const names = await this.call('listing tables', () => conn.tableNames({ ...(after === undefined ? {} : { startAfter: after }), limit: page }));
      if (names.includes(this.name)) return true;
      if (names.length < page || names[names.length - 1] > this.name) return false;
      after = names[names.length - 1];
    }
  }

  private async create(input: LoadInput): Promise<void> {
    const arrow = await import('apache-arrow');
    const { corpus } = input;
    const fields: Field[] = [new arrow.Field('id', new arrow.Utf8(), false), new arrow.Field('text', new arrow.Utf8(), false)];
    let vecs: Float32Array[] = [];
    if (this.opts.mode !== 'fts') {
      const dim = input.dimension!;
      fields.push(new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false));
      vecs = await input.embedDocuments!(corpus);
    }
    const schema = new arrow.Schema(fields);
    const data = corpus.map((d, i) => (vecs.length > 0 ? { id: d.id, text: docText(d), vector: vecs[i] } : { id: d.id, text: docText(d) }));
    this.opts.log?.(`LanceDB: creating table ${this.name} (${corpus.length} documents) at ${this.where}`);
    this.tbl = await this.build('creating the table', () => this.conn!.createTable(this.name, data, { schema, mode: 'create' }), `Check that ${this.where} is writable and has space (config key \`uri\`).`);
  }

  /** The table must hold exactly the corpus's ids, with the embedder's dimension and vectors. */
  private async check(input: LoadInput): Promise<void> {
    const t = this.table;
    const what = `LanceDB table ${this.name} at ${this.where}`;
    const fix = this.opts.table
      ? 'Point `table` at a table loaded from this dataset, or remove `table` to let rbench load its own.'
      : `Delete the folder ${this.name}.lance under ${this.where} and run again; rbench will load it anew.`;
    const schema = await this.call('reading the schema', () => t.schema());
    const field = (n: string) => schema.fields.find((f) => f.name === n);
    for (const col of this.opts.mode === 'vector' ? ['id', 'vector'] : this.opts.mode === 'fts' ? ['id', 'text'] : ['id', 'text', 'vector']) {
      if (!field(col)) throw new UsageError(`${what} has no column \`${col}\` (columns: ${schema.fields.map((f) => f.name).join(', ')}).`, { key: 'table', hint: `rbench reads \`id\`, \`text\` and \`vector\`. ${fix}` });
    }
    if (this.opts.mode !== 'fts') {
      const type = field('vector')!.type as { listSize?: number };
      if (type.listSize !== input.dimension) {
        throw new UsageError(`${what}: its vectors have dimension ${type.listSize ?? `? (${String(field('vector')!.type)})`}, the embedder's have ${input.dimension}.`, { key: 'table', hint: `The table was loaded with another embedder. ${fix}` });
      }
    }
    const stored = (await this.call('reading the ids', () => t.query().select(['id']).toArrow())) as ArrowTable;
    const col = stored.getChild('id')!;
    const have = new Set<string>();
    let duplicates = 0;
    for (let i = 0; i < stored.numRows; i++) {
      const id = String(col.get(i));
      if (have.has(id)) duplicates++;
      have.add(id);
    }
    const want = new Set(input.corpus.map((d) => d.id));
    const missing = [...want].filter((id) => !have.has(id));
    const extra = [...have].filter((id) => !want.has(id));
    const eg = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', …' : '');
    if (missing.length > 0 || extra.length > 0 || duplicates > 0) {
      const parts = [
        missing.length > 0 ? `${missing.length} of the dataset's ${want.size} document ids are missing (${eg(missing)})` : '',
        extra.length > 0 ? `${extra.length} ids are not in the dataset (${eg(extra)})` : '',
        duplicates > 0 ? `${duplicates} rows repeat an id` : '',
      ].filter(Boolean);
      throw new UsageError(`${what} does not match dataset ${this.opts.dataset}: ${parts.join('; ')}.`, { key: 'table', hint: fix });
    }
    if (this.opts.mode !== 'fts') {
      // A few documents' stored vectors against the embedder's (cached) ones: another model gives other vectors.
      const sample = input.corpus.slice(0, 4);
      const rows = (await this.call('reading sample vectors', () => t.query().where(`id IN (${sqlList(sample.map((d) => d.id))})`).select(['id', 'vector']).toArray())) as { id: string; vector: unknown }[];
      const mine = await input.embedDocuments!(sample);
      sample.forEach((d, i) => {
        const row = rows.find((r) => r.id === d.id);
        const c = row ? cosine(toFloats(row.vector), mine[i]) : 0;
        if (c < 0.999) throw new UsageError(`${what}: the stored vector of document ${d.id} is not the embedder's (cosine ${c.toFixed(4)}).`, { key: 'table', hint: `The table was loaded with another embedder or other text. ${fix}` });
      });
    }
  }

  /** Creates the vector and full-text indexes the mode needs and the table lacks; checks the ones it has. */
  private async ensureIndexes(rows: number): Promise<void> {
    const t = this.table;
    const indices = await this.call('listing indexes', () => t.listIndices());
    const r = this.resolved;
    if (r && r.type !== 'none') {
      const have = indices.find((i) => i.columns.includes('vector'));
      if (have) {
        const stats = await this.call('reading index statistics', () => t.indexStats(have.name));
        if (have.indexType !== NATIVE_INDEX_NAMES[r.type] || (stats && stats.distanceType !== r.distance)) {
          throw new UsageError(`LanceDB table ${this.name} at ${this.where} has a ${have.indexType} index with ${stats?.distanceType ?? '?'} distance on \`vector\`; the config asks for ${r.type} with ${r.distance}.`, {
            key: 'index',
            hint: 'Set `index` and `distance` to match the table, or use another table (remove `table` to let rbench load one per index).',
          });
        }
        if ((have.numUnindexedRows ?? 0) > 0) this.opts.log?.(`LanceDB: ${have.numUnindexedRows} rows of ${this.name} are not in its vector index (LanceDB searches them flat)`);
      } else {
        this.opts.log?.(`LanceDB: training ${r.type} (${r.distance}${Object.keys(r.params).length > 0 ? `, ${canonicalJson(r.params)}` : ''}) on ${rows} vectors of ${this.name}`);
        await this.build('training the vector index', () => t.createIndex('vector', { config: indexConfig(this.lance, r) }), 'Check `index` and `indexParams` against the corpus size and the vector dimension.', 'indexParams');
      }
    }
    if (this.opts.mode !== 'vector') {
      let fts = indices.find((i) => i.columns.includes('text') && i.indexType === 'FTS');
      if (!fts) {
        this.opts.log?.(`LanceDB: building the full-text index of ${this.name}`);
        await this.build('building the full-text index', () => t.createIndex('text', { config: this.lance.Index.fts(this.opts.fts ?? {}) }), 'Check the `fts` options.', 'fts');
        fts = (await this.call('listing indexes', () => t.listIndices())).find((i) => i.columns.includes('text') && i.indexType === 'FTS');
      }
      this.ftsDetails = (fts?.indexDetails as Record<string, unknown> | undefined) ?? { ...this.opts.fts };
    }
  }

  /** The vector query rbench runs: `limit` nearest documents with the configured search settings. */
  vectorQuery(vec: Float32Array, limit: number, search: LanceSearchParams, exact = false): VectorQuery {
    const r = this.resolved!;
    let q = this.table.query().nearestTo(vec).distanceType(r.distance);
    if (exact || r.type === 'none') q = q.bypassVectorIndex();
    else {
      if (search.nprobes !== undefined) q = q.nprobes(search.nprobes);
      if (search.refineFactor !== undefined) q = q.refineFactor(search.refineFactor);
      // HNSW needs ef >= limit: the larger of the configured ef and the limit.
      if (search.ef !== undefined && r.type.startsWith('ivf_hnsw')) q = q.ef(Math.max(search.ef, limit));
    }
    return q.limit(limit);
  }

  /** Score (higher is better) of a LanceDB distance. */
  private score(distance: number): number {
    return this.resolved!.distance === 'l2' ? -distance : 1 - distance;
  }

  /** Top-k documents for a query vector, in trec_eval order. `exact` bypasses the vector index (flat search). */
  searchVector(vec: Float32Array, k: number, search: LanceSearchParams, exact = false): Promise<ScoredDoc[]> {
    return topK(k, async (limit) => {
      const a = (await this.call('vector search', () => this.vectorQuery(vec, limit, search, exact).select(['id', '_distance']).toArrow())) as ArrowTable;
      return readScores(a, '_distance', (d) => this.score(d));
    });
  }

  /** Top-k documents for a full-text query, in trec_eval order. */
  searchText(text: string, k: number): Promise<ScoredDoc[]> {
    return topK(k, async (limit) => {
      const a = (await this.call('full-text search', () => this.table.query().fullTextSearch(text, { columns: ['text'] }).limit(limit).select(['id', '_score']).toArrow())) as ArrowTable;
      return readScores(a, '_score', (s) => s);
    });
  }

  /**
   * LanceDB's native hybrid query: vector and full-text queries of `depth` documents each, fused by its RRF
   * reranker with constant `rrfK`; the top k of the fused list in trec_eval order.
   */
  async searchHybrid(text: string, vec: Float32Array, k: number, depth: number, rrfK: number, search: LanceSearchParams): Promise<ScoredDoc[]> {
    const limit = Math.max(k, depth);
    if (this.resolved!.distance === 'cosine' && vec.every((x) => x === 0)) {
      // LanceDB's cosine search returns nothing for an all-zero query vector (GloVe-SIF gives one to a query with
      // no known word), and its hybrid query then fails. Its RRF over an empty vector list is the full-text
      // list's 1 / (rrfK + rank): computed here, so such a query keeps its full-text results.
      const fts = await this.searchText(text, limit);
      return sortTrec(fts.map((d, rank) => ({ id: d.id, score: Math.fround(1 / (rrfK + rank)) }))).slice(0, k);
    }
    let reranker = this.rerankers.get(rrfK);
    if (!reranker) this.rerankers.set(rrfK, (reranker = await this.lance.rerankers.RRFReranker.create(rrfK)));
    const a = (await this.call('hybrid search', () => this.vectorQuery(vec, limit, search).fullTextSearch(text, { columns: ['text'] }).rerank(reranker).select(['id']).toArrow())) as ArrowTable;
    return sortTrec(readScores(a, '_relevance_score', (s) => s)).slice(0, k);
  }

  close(): void {
    try {
      this.tbl?.close();
      this.conn?.close();
    } catch {
      /* already closed */
    }
  }
}

/** `id` and a score column of a LanceDB result. */
function readScores(a: ArrowTable, column: string, toScore: (v: number) => number): ScoredDoc[] {
  const ids = a.getChild('id');
  const values = a.getChild(column);
  const out: ScoredDoc[] = [];
  if (!ids || !values) return out;
  for (let i = 0; i < a.numRows; i++) out.push({ id: String(ids.get(i)), score: toScore(Number(values.get(i))) });
  return out;
}

/**
 * The top k of a ranked query in trec_eval order. The engine orders equal scores its own way, so the query
 * asks for k + 1 rows, and for twice as many while the last row it got ties with the k-th: then every
 * document tied at the cut is in hand and sorting by id decides which of them make the top k.
 */
export async function topK(k: number, run: (limit: number) => Promise<ScoredDoc[]>): Promise<ScoredDoc[]> {
  for (let limit = k + 1; ; limit *= 2) {
    const got = sortTrec(await run(limit));
    if (got.length < limit || got.length <= k || got[got.length - 1].score !== got[k - 1].score) return got.slice(0, k);
  }
}

export interface LanceDbRetrieverOptions extends LanceTableOptions {
  /** Vector modes: the embedder, uncached (timing pass) and cached (quality pass, table loading). */
  embedder?: Embedder;
  cachedEmbedder?: Embedder;
  /** Identity key of the embedder's vectors (`identityKey`), for the derived table name. */
  embedderKey?: string;
  /** Vector search settings. */
  search?: LanceSearchParams;
  /** Hybrid: documents each side retrieves before fusion, and the RRF constant. */
  depth?: number;
  rrfK?: number;
  /** Documents embedded per call while loading, and queries per call. */
  batchSize?: number;
  onProgress?: (embedded: number, total: number) => void;
}

/** A `Retriever` over one LanceDB table (see the module comment for modes and scores). */
export class LanceDbRetriever implements Retriever {
  readonly description: Record<string, unknown>;
  readonly engine: LanceDbTable;
  private readonly batchSize: number;

  constructor(private readonly opts: LanceDbRetrieverOptions) {
    if (opts.mode !== 'fts' && !opts.embedder) throw new Error(`LanceDbRetriever: mode ${opts.mode} needs an embedder`);
    this.engine = new LanceDbTable(opts);
    this.batchSize = opts.batchSize ?? 64;
    this.description = { type: 'lancedb', engine: 'lancedb', engineVersion: this.engine.version, where: this.engine.where, mode: opts.mode, ...(opts.embedder ? { embedder: opts.embedder.identity.name } : {}) };
  }

  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    const docs: Doc[] = [];
    for await (const d of corpus) docs.push(d);
    const embedder = this.opts.cachedEmbedder ?? this.opts.embedder;
    await this.engine.load({
      corpus: docs,
      dimension: embedder ? await embedder.dimension() : undefined,
      embedderKey: this.opts.embedderKey,
      embedDocuments: embedder
        ? async (ds) => {
            const out: Float32Array[] = [];
            for (let s = 0; s < ds.length; s += this.batchSize) {
              out.push(...(await embedder.embedDocuments(ds.slice(s, s + this.batchSize).map(docText))));
              if (ds.length > 8) this.opts.onProgress?.(out.length, ds.length);
            }
            return out;
          }
        : undefined,
    });
    Object.assign(this.description, this.engine.describe(), this.searchDescription());
  }

  /** The search settings in effect (part of the description, so of the cache key). */
  private searchDescription(): Record<string, unknown> {
    const { mode, search } = this.opts;
    return {
      ...(mode !== 'fts' && this.engine.vectorIndex !== 'none' ? { search: { ...search } } : {}),
      ...(mode === 'hybrid' ? { fusion: 'lancedb-rrf', rrfK: this.rrfK, depth: this.depth } : {}),
    };
  }

  get rrfK(): number {
    return this.opts.rrfK ?? 60;
  }

  get depth(): number {
    return this.opts.depth ?? 100;
  }

  private embedderFor(opts?: SearchOptions): Embedder {
    return opts?.useCache === false ? this.opts.embedder! : (this.opts.cachedEmbedder ?? this.opts.embedder!);
  }

  private async searchWith(q: Query, vec: Float32Array | undefined, k: number): Promise<ScoredDoc[]> {
    const { mode } = this.opts;
    if (mode === 'fts') return this.engine.searchText(q.text, k);
    if (mode === 'vector') return this.engine.searchVector(vec!, k, this.opts.search ?? {});
    return this.engine.searchHybrid(q.text, vec!, k, this.depth, this.rrfK, this.opts.search ?? {});
  }

  /** One engine round trip (and the query embedding, in vector modes). */
  async search(query: Query, k: number, opts?: SearchOptions): Promise<ScoredDoc[]> {
    const vec = this.opts.mode === 'fts' ? undefined : (await this.embedderFor(opts).embedQueries([query.text]))[0];
    return this.searchWith(query, vec, k);
  }

  async searchMany(queries: Query[], k: number, opts?: SearchOptions): Promise<Map<string, ScoredDoc[]>> {
    const out = new Map<string, ScoredDoc[]>();
    for (let s = 0; s < queries.length; s += this.batchSize) {
      const batch = queries.slice(s, s + this.batchSize);
      const vecs = this.opts.mode === 'fts' ? [] : await this.embedderFor(opts).embedQueries(batch.map((q) => q.text));
      for (let i = 0; i < batch.length; i++) out.set(batch[i].id, await this.searchWith(batch[i], vecs[i], k));
    }
    return out;
  }

  /**
   * Recall@k of the vector index against LanceDB's own flat search (`bypassVectorIndex`) over the same
   * stored vectors and distance, averaged over the queries; 1 without an index. The ground truth is the
   * engine's exact search rather than rbench's ExactIndex so that only the index's approximation counts (not
   * float32-versus-double differences between two implementations), and so that it works on a table rbench
   * did not load.
   */
  async annRecall(queries: Query[], k: number): Promise<number> {
    if (this.opts.mode !== 'vector' || this.engine.vectorIndex === 'none') return 1;
    const truth = new Map<string, ScoredDoc[]>();
    const approx = new Map<string, ScoredDoc[]>();
    const embedder = this.embedderFor();
    for (let s = 0; s < queries.length; s += this.batchSize) {
      const batch = queries.slice(s, s + this.batchSize);
      const vecs = await embedder.embedQueries(batch.map((q) => q.text));
      for (let i = 0; i < batch.length; i++) {
        truth.set(batch[i].id, await this.engine.searchVector(vecs[i], k, {}, true));
        approx.set(batch[i].id, await this.engine.searchVector(vecs[i], k, this.opts.search ?? {}));
      }
    }
    return annRecall(truth, approx, k);
  }

  async dispose(): Promise<void> {
    this.engine.close();
  }
}
