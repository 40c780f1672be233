/**
 * Dense retrieval in Postgres with pgvector: documents embedded by rbench (the same cached vectors as the
 * in-memory `vector` retriever) are loaded into a table, or an existing table is used; a query is embedded
 * by rbench and searched with one SQL statement (exact scan, HNSW or IVFFlat).
 *
 * Scores, from pgvector's distance operators (computed by pgvector in float4 arithmetic over float4 storage):
 * - `cosine` (`<=>`, cosine distance): score = 1 − distance, the cosine similarity;
 * - `ip` (`<#>`, negative inner product): score = −(negative inner product), the inner product;
 * - `l2` (`<->`, Euclidean distance): score = −distance.
 * For L2-normalised embeddings the three rank alike (up to float4 rounding). A cosine with a zero vector
 * (pgvector: NaN) scores 0.
 *
 * Order: an exact search is sorted in SQL by the score and then by document id in byte order, descending
 * (`COLLATE "C"`, UTF-8 byte order = trec_eval's `strcmp`), so ties at the cut are broken as trec_eval breaks
 * them. An approximate search returns the index's k nearest in the index's order; they are re-sorted into
 * trec_eval order here (a tie at the cut of an approximate list is decided by the index).
 */
import type { Doc, Query, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import { sortTrec } from '../../data/order.js';
import { UsageError } from '../../errors.js';
import type { Embedder } from '../../models/types.js';
import type { Retriever, SearchOptions } from '../types.js';
import { annRecall } from '../vector/hnsw.js';
import { insertRows, quoteIdent, readMarker, serverInfo, writeMarker, type EngineConnection, type SessionSettings, type Sql } from './connection.js';

export type PgvectorIndexKind = 'exact' | 'hnsw' | 'ivfflat';
export type PgvectorDistance = 'cosine' | 'ip' | 'l2';

/** pgvector's defaults (0.8): HNSW m 16, ef_construction 64, ef_search 40; IVFFlat lists 100, probes 1. */
export const PGVECTOR_DEFAULTS = { m: 16, efConstruction: 64, efSearch: 40, lists: 100, probes: 1 } as const;

const OPERATOR: Record<PgvectorDistance, string> = { cosine: '<=>', ip: '<#>', l2: '<->' };
const OPCLASS: Record<PgvectorDistance, string> = { cosine: 'vector_cosine_ops', ip: 'vector_ip_ops', l2: 'vector_l2_ops' };

/**
 * The score of a distance pgvector returned (see the file's comment). The cosine distance of a zero vector
 * (a text without one known word, for static embedders) is undefined: pgvector returns NaN, which Postgres
 * sorts above every number. Its score is 0 here, what the in-memory retriever's inner product gives.
 */
export function scoreOf(distance: PgvectorDistance, d: number): number {
  if (Number.isNaN(d)) return 0;
  return distance === 'cosine' ? 1 - d : -d;
}

/** The same score as a SQL expression over the distance expression `d` (float8 arithmetic, as in JS; NaN → 0). */
function scoreSql(distance: PgvectorDistance, d: string): string {
  return distance === 'cosine' ? `coalesce(nullif(1 - (${d}), 'NaN'::float8), 0)` : `-(${d})`;
}

/** A Float32Array as pgvector's text input. JS prints each float4 value exactly enough to read it back bit for bit. */
export function vectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

export interface PgvectorIndexParams {
  kind: PgvectorIndexKind;
  distance: PgvectorDistance;
  /** HNSW build: graph degree and candidate list size. */
  m?: number;
  efConstruction?: number;
  /** HNSW search: candidate list size (raised to k when k is larger, as for hnswlib). */
  efSearch?: number;
  /** IVFFlat build: lists; search: lists probed. */
  lists?: number;
  probes?: number;
}

export interface PgvectorOptions {
  /** `retriever "name" (pgvector)`: starts every message. */
  who: string;
  conn: EngineConnection;
  /** The model, uncached (timing pass). */
  embedder: Embedder;
  /** The same model behind the durable embedding cache (quality pass, loading). */
  cachedEmbedder: Embedder;
  batchSize: number;
  /** Table to create (`load`) or to use. */
  table: string;
  idColumn: string;
  embeddingColumn: string;
  /** Create and fill the table (idempotently) instead of using an existing one. */
  load: boolean;
  index: PgvectorIndexParams;
  /** Checksum of the corpus (keys the loaded table) and of the embedder identity. */
  corpusKey: string;
  embedderKey: string;
  onProgress?: (embedded: number) => void;
  log?: (message: string) => void;
}

/** What a pgvector retriever records about where and on what it ran. */
export type PgvectorEngineInfo = {
  engine: 'pgvector';
  client: string;
  host: string;
  database: string;
  /** `SELECT version()`. */
  version: string;
  serverVersion: string;
  /** pgvector's `extversion`. */
  vector: string;
  table: string;
  /** The index queries use (its name and definition), absent for exact search. */
  index?: { name: string; definition: string };
  /** When rbench loaded the table (load: true), from its load marker. */
  loadedAt?: string;
};

interface IndexRow {
  name: string;
  method: string;
  definition: string;
  reloptions: string[] | null;
}

export class PgvectorRetriever implements Retriever {
  description: Record<string, unknown>;
  engine: PgvectorEngineInfo | undefined;
  private readonly params: Required<Pick<PgvectorIndexParams, 'kind' | 'distance'>> & PgvectorIndexParams;
  /** The table queries read (for `load`, the table of this index configuration). */
  private queryTable: string;

  constructor(private readonly opts: PgvectorOptions) {
    this.params = { ...opts.index };
    if (this.params.kind === 'hnsw') {
      this.params.m ??= PGVECTOR_DEFAULTS.m;
      this.params.efConstruction ??= PGVECTOR_DEFAULTS.efConstruction;
      this.params.efSearch ??= PGVECTOR_DEFAULTS.efSearch;
    }
    if (this.params.kind === 'ivfflat') {
      this.params.lists ??= PGVECTOR_DEFAULTS.lists;
      this.params.probes ??= PGVECTOR_DEFAULTS.probes;
    }
    this.queryTable = opts.load ? loadedTableName(opts.table, this.params) : opts.table;
    this.description = this.describe();
  }

  private describe(): Record<string, unknown> {
    const { kind, distance, m, efConstruction, efSearch, lists, probes } = this.params;
    return {
      type: 'pgvector',
      embedder: this.opts.embedder.identity.name,
      table: this.queryTable,
      index: kind,
      distance,
      ...(kind === 'hnsw' ? { m, efConstruction, efSearch } : {}),
      ...(kind === 'ivfflat' ? { lists, probes } : {}),
      ...(this.engine ? { engine: this.engine } : {}),
    };
  }

  /** Embeds and loads the corpus (load: true), or checks the existing table against it; then reads the server's versions. */
  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    const docs: Doc[] = [];
    for await (const d of corpus) docs.push(d);
    const { conn } = this.opts;
    const info = await conn.run({}, 'checking the server', async (sql) => ({ ...(await serverInfo(sql)), vector: await ensureVectorExtension(sql, this.opts.who) }));
    let loadedAt: string | undefined;
    let index: { name: string; definition: string } | undefined;
    if (this.opts.load) {
      const dimension = await this.opts.cachedEmbedder.dimension();
      const content = JSON.stringify({ embedder: this.opts.embedderKey, dimension, index: this.indexSql('') });
      const marker = await conn.run({}, `reading the load marker of ${this.queryTable}`, (sql) => readMarker(sql, this.queryTable));
      if (marker && marker.corpus_sha256 === this.opts.corpusKey && marker.content === content) {
        this.opts.log?.(`${this.queryTable}: already loaded with this corpus, embedder and index (${marker.row_count} rows, ${marker.loaded_at}); not loaded again`);
        loadedAt = marker.loaded_at;
      } else {
        const vectors = await this.embedCorpus(docs);
        loadedAt = await this.load(docs, vectors, dimension, content);
      }
    } else {
      await this.checkTable(docs);
    }
    if (this.params.kind !== 'exact') index = await this.checkIndexUse(docs.length > 0);
    this.engine = {
      engine: 'pgvector',
      client: conn.location.client,
      host: conn.location.host,
      database: conn.location.database,
      version: info.version,
      serverVersion: info.serverVersion,
      vector: info.vector,
      table: this.queryTable,
      ...(index ? { index } : {}),
      ...(loadedAt ? { loadedAt } : {}),
    };
    this.description = this.describe();
  }

  private async embedCorpus(docs: readonly Doc[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let s = 0; s < docs.length; s += this.opts.batchSize) {
      out.push(...(await this.opts.cachedEmbedder.embedDocuments(docs.slice(s, s + this.opts.batchSize).map(docText))));
      this.opts.onProgress?.(out.length);
    }
    return out;
  }

  /** `CREATE INDEX` for this configuration on `table` (empty string: the statement without a table, for the marker). */
  private indexSql(table: string): string {
    const { kind, distance, m, efConstruction, lists } = this.params;
    if (kind === 'exact') return 'none';
    const on = `${table ? ` ${quoteIdent(table)}` : ''} USING ${kind} (${quoteIdent(this.opts.embeddingColumn)} ${OPCLASS[distance]})`;
    return kind === 'hnsw' ? `CREATE INDEX ON${on} WITH (m = ${m}, ef_construction = ${efConstruction})` : `CREATE INDEX ON${on} WITH (lists = ${lists})`;
  }

  /** Creates the table in one transaction: table, rows (multi-row INSERTs), then the index, then the marker. */
  private async load(docs: readonly Doc[], vectors: readonly Float32Array[], dimension: number, content: string): Promise<string> {
    const t = this.queryTable;
    const started = Date.now();
    const loadedAt = await this.opts.conn.run({}, `loading ${docs.length} documents into ${t}`, async (sql) => {
      await sql.query('BEGIN');
      try {
        await sql.query(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
        await sql.query(`CREATE TABLE ${quoteIdent(t)} (${quoteIdent(this.opts.idColumn)} text PRIMARY KEY, ${quoteIdent(this.opts.embeddingColumn)} vector(${dimension}) NOT NULL)`);
        const rows = docs.map((d, i) => [d.id, vectorLiteral(vectors[i])]);
        await insertRows(sql, t, [this.opts.idColumn, this.opts.embeddingColumn], ['', '::vector'], rows);
        // The index is built after the rows are in (faster than maintaining it row by row).
        if (this.params.kind !== 'exact') await sql.query(this.indexSql(t));
        await sql.query(`ANALYZE ${quoteIdent(t)}`);
        const m = await writeMarker(sql, { table_name: t, corpus_sha256: this.opts.corpusKey, content, row_count: docs.length });
        await sql.query('COMMIT');
        return m.loaded_at;
      } catch (e) {
        await sql.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    this.opts.log?.(`${t}: loaded ${docs.length} documents${this.params.kind === 'exact' ? '' : ` and built its ${this.params.kind} index`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return loadedAt;
  }

  /** load: false: the table exists, has the two columns, the embedder's dimension, and exactly the dataset's documents. */
  private async checkTable(docs: readonly Doc[]): Promise<void> {
    const { who, table, idColumn, embeddingColumn } = this.opts;
    const dimension = await this.opts.embedder.dimension();
    await this.opts.conn.run({}, `checking table ${table}`, async (sql) => {
      const [exists] = await sql.query<{ t: string | null }>('SELECT to_regclass($1::text)::text AS t', [quoteIdent(table)]);
      if (!exists.t) throw new UsageError(`${who}: table ${table} does not exist (load: false uses an existing table).`, { key: 'table', hint: 'Name an existing table, or set `load: true` to let rbench create and fill it.' });
      const cols = await sql.query<{ name: string; type: string }>(
        'SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
        [quoteIdent(table)],
      );
      const col = (c: string, key: string) => {
        const found = cols.find((x) => x.name === c);
        if (!found) throw new UsageError(`${who}: table ${table} has no column ${c}; its columns: ${cols.map((x) => x.name).join(', ')}.`, { key, hint: `Set \`${key}\` to the right column.` });
        return found;
      };
      col(idColumn, 'idColumn');
      const emb = col(embeddingColumn, 'embeddingColumn');
      if (!/^vector(\(\d+\))?$/.test(emb.type)) throw new UsageError(`${who}: column ${table}.${embeddingColumn} is of type ${emb.type}, not vector.`, { key: 'embeddingColumn' });
      const dims = await sql.query<{ d: number }>(`SELECT DISTINCT vector_dims(${quoteIdent(embeddingColumn)}) AS d FROM ${quoteIdent(table)} LIMIT 3`);
      const wrong = dims.map((x) => Number(x.d)).filter((d) => d !== dimension);
      if (wrong.length > 0) {
        throw new UsageError(`${who}: table ${table} holds vectors of dimension ${wrong.join(', ')}, but the embedder ${this.opts.embedder.identity.name} gives dimension ${dimension}.`, {
          key: 'embeddingColumn',
          hint: 'The table must hold the embeddings of the configured embedder: use the same model, or `load: true`.',
        });
      }
      const ids = (await sql.query<{ id: string }>(`SELECT ${quoteIdent(idColumn)}::text AS id FROM ${quoteIdent(table)}`)).map((r) => r.id);
      checkIds(who, table, ids, docs);
    });
  }

  /**
   * The index an approximate search must use exists (load: false: the user's own; its build parameters must
   * match any the config gives), and the planner uses it: a query whose operator does not match the index's
   * operator class would silently scan the whole table, i.e. measure exact search under an HNSW label.
   */
  private async checkIndexUse(haveRows: boolean): Promise<{ name: string; definition: string }> {
    const { who } = this.opts;
    const { kind, distance } = this.params;
    const t = this.queryTable;
    return this.opts.conn.run(this.searchSettings(10), `checking the ${kind} index of ${t}`, async (sql) => {
      const indexes = await sql.query<IndexRow>(
        `SELECT c.relname AS name, am.amname AS method, pg_get_indexdef(i.indexrelid) AS definition, c.reloptions AS reloptions
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = $1::regclass`,
        [quoteIdent(t)],
      );
      const usable = indexes.filter((x) => x.method === kind && x.definition.includes(OPCLASS[distance]));
      if (usable.length === 0) {
        throw new UsageError(`${who}: table ${t} has no ${kind} index with ${OPCLASS[distance]} (distance: ${distance}); indexes: ${indexes.map((x) => `${x.name} (${x.method})`).join(', ') || 'none'}.`, {
          key: 'index',
          hint: `Create it (\`${this.indexSql(t)}\`), set \`distance\` to the index's, or set \`load: true\`.`,
        });
      }
      if (!this.opts.load) this.adoptBuildParams(usable);
      if (!haveRows) return { name: usable[0].name, definition: usable[0].definition };
      const [probe] = await sql.query<{ v: string }>(`SELECT ${quoteIdent(this.opts.embeddingColumn)}::text AS v FROM ${quoteIdent(t)} LIMIT 1`);
      const plan = await sql.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${this.approxSql(t)}`, [probe.v, 10]);
      const used = JSON.stringify(plan).match(/"Index Name":\s*"([^"]+)"/)?.[1];
      const chosen = usable.find((x) => x.name === used);
      if (!chosen) {
        throw new UsageError(`${who}: Postgres does not use the ${kind} index of ${t} for this search (plan: ${used ? `index ${used}` : 'no index'}).`, {
          key: 'index',
          hint: 'Check that `distance` matches the operator class of the index.',
        });
      }
      return { name: chosen.name, definition: chosen.definition };
    });
  }

  /** load: false: build parameters come from the user's index; a config value that differs is an error. */
  private adoptBuildParams(usable: readonly IndexRow[]): void {
    const opts = Object.fromEntries((usable[0].reloptions ?? []).map((o) => o.split('=')).map(([k, v]) => [k, Number(v)]));
    const actual = this.params.kind === 'hnsw' ? { m: opts.m ?? PGVECTOR_DEFAULTS.m, efConstruction: opts.ef_construction ?? PGVECTOR_DEFAULTS.efConstruction } : { lists: opts.lists ?? PGVECTOR_DEFAULTS.lists };
    for (const [k, v] of Object.entries(actual) as ['m' | 'efConstruction' | 'lists', number][]) {
      if (this.opts.index[k] !== undefined && this.opts.index[k] !== v) {
        throw new UsageError(`${this.opts.who}: the ${this.params.kind} index ${usable[0].name} of ${this.queryTable} was built with ${k} ${v}, but the config says ${this.opts.index[k]}.`, {
          key: k,
          hint: `Remove \`${k}\` (an existing index is used as built), or set \`load: true\` to let rbench build one per configuration.`,
        });
      }
      this.params[k] = v;
    }
  }

  private approxSql(t: string): string {
    const d = `${quoteIdent(this.opts.embeddingColumn)} ${OPERATOR[this.params.distance]} $1::vector`;
    return `SELECT ${quoteIdent(this.opts.idColumn)}::text AS id, ${d} AS d FROM ${quoteIdent(t)} ORDER BY ${d} LIMIT $2`;
  }

  private exactSql(t: string): string {
    const d = `${quoteIdent(this.opts.embeddingColumn)} ${OPERATOR[this.params.distance]} $1::vector`;
    const id = `${quoteIdent(this.opts.idColumn)}::text`;
    return `SELECT ${id} AS id, ${scoreSql(this.params.distance, d)} AS score FROM ${quoteIdent(t)} ORDER BY 2 DESC, ${id} COLLATE "C" DESC LIMIT $2`;
  }

  /**
   * Session settings of an approximate search for k documents. HNSW returns at most ef_search rows, so
   * ef_search is max(efSearch, k), as hnswlib does. Sequential scans are disabled so that the planner uses
   * the index even on a table small enough to scan (the measured search is the index's).
   */
  private searchSettings(k: number): SessionSettings {
    if (this.params.kind === 'hnsw') return { 'hnsw.ef_search': Math.max(this.params.efSearch!, k), enable_seqscan: 'off' };
    if (this.params.kind === 'ivfflat') return { 'ivfflat.probes': this.params.probes!, enable_seqscan: 'off' };
    return {};
  }

  /** Changes efSearch without rebuilding the index (a benchmark over efSearch shares one graph). */
  setEfSearch(ef: number): void {
    if (this.params.kind !== 'hnsw') throw new Error('setEfSearch on a pgvector retriever without an HNSW index');
    this.params.efSearch = ef;
    this.description = this.describe();
  }

  /**
   * The statement of an approximate search for k documents, its parameters and the session settings it
   * runs with (the benchmark runs the same through a bare client to measure rbench's overhead).
   */
  statement(v: Float32Array, k: number): { text: string; params: unknown[]; settings: SessionSettings } {
    if (this.params.kind === 'exact') return { text: this.exactSql(this.queryTable), params: [vectorLiteral(v), k], settings: {} };
    return { text: this.approxSql(this.queryTable), params: [vectorLiteral(v), k], settings: this.searchSettings(k) };
  }

  /** Top-k for a query vector: one SQL statement (the engine round trip), rows in trec_eval order. */
  async searchVector(v: Float32Array, k: number): Promise<ScoredDoc[]> {
    if (k <= 0) return [];
    const literal = vectorLiteral(v);
    if (this.params.kind === 'exact') return this.exactVector(literal, k);
    const rows = await this.opts.conn.run(this.searchSettings(k), `searching ${this.queryTable}`, (sql) => sql.query<{ id: string; d: number }>(this.approxSql(this.queryTable), [literal, k]));
    return sortTrec(rows.map((r) => ({ id: r.id, score: scoreOf(this.params.distance, Number(r.d)) })));
  }

  /** Exact top-k over the same table (sequential scan): the ground truth of `annRecall`. */
  async exactVector(literal: string, k: number): Promise<ScoredDoc[]> {
    const rows = await this.opts.conn.run({}, `searching ${this.queryTable} exactly`, (sql) => sql.query<{ id: string; score: number }>(this.exactSql(this.queryTable), [literal, k]));
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  private embedderFor(opts?: SearchOptions): Embedder {
    return opts?.useCache === false ? this.opts.embedder : this.opts.cachedEmbedder;
  }

  /** Embeds the query (part of the retrieve stage, as for the in-memory vector retriever) and searches. */
  async search(query: Query, k: number, opts?: SearchOptions): Promise<ScoredDoc[]> {
    const [v] = await this.embedderFor(opts).embedQueries([query.text]);
    return this.searchVector(v, k);
  }

  async searchMany(queries: Query[], k: number, opts?: SearchOptions): Promise<Map<string, ScoredDoc[]>> {
    const out = new Map<string, ScoredDoc[]>();
    for (const [q, v] of await this.embedQueries(queries, opts)) out.set(q.id, await this.searchVector(v, k));
    return out;
  }

  private async embedQueries(queries: readonly Query[], opts?: SearchOptions): Promise<[Query, Float32Array][]> {
    const out: [Query, Float32Array][] = [];
    for (let s = 0; s < queries.length; s += this.opts.batchSize) {
      const batch = queries.slice(s, s + this.opts.batchSize);
      const vecs = await this.embedderFor(opts).embedQueries(batch.map((q) => q.text));
      batch.forEach((q, i) => out.push([q, vecs[i]]));
    }
    return out;
  }

  /**
   * Recall@k of the index's top-k against pgvector's exact search over the same table, averaged over the
   * queries (1 for exact search). The ground truth is pgvector's own exact scan rather than rbench's
   * in-memory exact search: both read the same float4 vectors through the same distance function, so the
   * figure measures the index's approximation alone, not float rounding between two engines.
   */
  async annRecall(queries: Query[], k: number): Promise<number> {
    if (this.params.kind === 'exact') return 1;
    const truth = new Map<string, ScoredDoc[]>();
    const approx = new Map<string, ScoredDoc[]>();
    for (const [q, v] of await this.embedQueries(queries)) {
      truth.set(q.id, await this.exactVector(vectorLiteral(v), k));
      approx.set(q.id, await this.searchVector(v, k));
    }
    return annRecall(truth, approx, k);
  }

  async dispose(): Promise<void> {
    await this.opts.conn.release();
  }
}

/**
 * Installs pgvector when it is available but not yet installed in the database; returns its version.
 * Missing from the server altogether, it is an error that says how to get it.
 */
export async function ensureVectorExtension(sql: Sql, who: string): Promise<string> {
  const [avail] = await sql.query<{ installed: string | null; available: string | null }>(
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed, (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available`,
  );
  if (avail.installed) return avail.installed;
  if (!avail.available) {
    throw new UsageError(`${who}: the Postgres server has no \`vector\` extension (pgvector).`, {
      key: 'url',
      hint: 'Install pgvector on the server (https://github.com/pgvector/pgvector), then `CREATE EXTENSION vector;`. With pglite-server, load it with `-e @electric-sql/pglite-pgvector:vector`.',
    });
  }
  try {
    await sql.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (e) {
    throw new UsageError(`${who}: pgvector is available but could not be installed in this database: ${e instanceof Error ? e.message : String(e)}.`, {
      key: 'url',
      hint: 'Run `CREATE EXTENSION vector;` in the database as a user allowed to (a superuser or the database owner).',
    });
  }
  const [v] = await sql.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`);
  return v.v;
}

/** The table's ids must be exactly the corpus's: none missing, none extra, none twice. */
export function checkIds(who: string, table: string, ids: readonly string[], docs: readonly Doc[]): void {
  const want = new Set(docs.map((d) => d.id));
  const have = new Set<string>();
  const twice: string[] = [];
  for (const id of ids) {
    if (have.has(id)) twice.push(id);
    else have.add(id);
  }
  const missing = [...want].filter((id) => !have.has(id));
  const extra = [...have].filter((id) => !want.has(id));
  if (missing.length === 0 && extra.length === 0 && twice.length === 0) return;
  const ex = (xs: string[]) => xs.slice(0, 3).map((x) => JSON.stringify(x)).join(', ');
  const parts = [
    missing.length > 0 ? `${missing.length} of the dataset's ${want.size} documents are missing (e.g. ${ex(missing)})` : '',
    extra.length > 0 ? `${extra.length} rows are not documents of the dataset (e.g. ${ex(extra)})` : '',
    twice.length > 0 ? `${twice.length} ids appear more than once (e.g. ${ex(twice)})` : '',
  ].filter(Boolean);
  throw new UsageError(`${who}: table ${table} does not match the dataset: ${parts.join('; ')}.`, {
    key: 'table',
    hint: 'The table must hold exactly the corpus being evaluated, or the metrics would be wrong: use the matching table, or `load: true`.',
  });
}

/**
 * The table a `load: true` configuration reads: `table` for exact search; for an index, `table` suffixed
 * with the index's build parameters (`docs_hnsw_cos_m16_efc64`), so that sweeps over build parameters each
 * have their index (Postgres would otherwise pick one of several indexes on one column by cost alone).
 */
export function loadedTableName(table: string, p: PgvectorIndexParams): string {
  if (p.kind === 'exact') return table;
  const dist = { cosine: 'cos', ip: 'ip', l2: 'l2' }[p.distance];
  const suffix = p.kind === 'hnsw' ? `_hnsw_${dist}_m${p.m}_efc${p.efConstruction}` : `_ivf_${dist}_l${p.lists}`;
  const [schema, name] = table.includes('.') ? table.split('.') : [undefined, table];
  const full = `${name.slice(0, 63 - suffix.length)}${suffix}`;
  return schema ? `${schema}.${full}` : full;
}
