/**
 * Lexical first stage in Postgres full-text search: documents (`title + " " + text`) as a `tsvector`
 * (`to_tsvector(config, body)`, a stored generated column with a GIN index), a query parsed with
 * `websearch_to_tsquery(config, text)`, matches ranked by `ts_rank_cd` (cover density).
 *
 * `match: all` keeps websearch_to_tsquery's meaning: every term must occur (its default AND), which is what a
 * search box in Postgres does and what hybrid search examples built on Postgres use; on natural-language
 * questions it matches few documents. `match: any` ORs the query's lexemes instead (the usual workaround):
 * a document matching any lexeme is ranked.
 *
 * Scores are `ts_rank_cd` values (float4, hence many ties); the SQL orders by score, then by document id in
 * byte order descending (`COLLATE "C"`), which is trec_eval's order, so ties at the cut are broken as
 * trec_eval breaks them. Documents that match nothing are not returned (a list can be shorter than k).
 */
import type { Doc, Query, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { Retriever } from '../types.js';
import { insertRows, quoteIdent, readMarker, serverInfo, writeMarker, type EngineConnection } from './connection.js';
import { checkIds } from './pgvector.js';

export interface PostgresFtsOptions {
  who: string;
  conn: EngineConnection;
  table: string;
  load: boolean;
  idColumn: string;
  /** load: false: the text column (the tsvector is computed per query) … */
  textColumn: string;
  /** … or a stored tsvector column (load: true creates `tsv`). */
  tsvectorColumn?: string;
  /** Text search configuration (`english`, `simple`, …). */
  tsConfig: string;
  match: 'all' | 'any';
  /** ts_rank_cd's normalization bit mask (0: none). */
  normalization: number;
  corpusKey: string;
  log?: (message: string) => void;
}

export type PostgresFtsEngineInfo = {
  engine: 'postgres-fts';
  client: string;
  host: string;
  database: string;
  version: string;
  serverVersion: string;
  table: string;
  loadedAt?: string;
};

export class PostgresFtsRetriever implements Retriever {
  description: Record<string, unknown>;
  engine: PostgresFtsEngineInfo | undefined;
  private readonly sqlText: string;

  constructor(private readonly opts: PostgresFtsOptions) {
    // A loaded table has its stored tsvector column (`tsv` unless named).
    if (opts.load) this.opts = { ...opts, tsvectorColumn: opts.tsvectorColumn ?? 'tsv' };
    this.description = this.describe();
    this.sqlText = this.querySql();
  }

  private describe(): Record<string, unknown> {
    const { table, tsConfig, match, normalization } = this.opts;
    return { type: 'postgres-fts', table, tsConfig, match, normalization, rank: 'ts_rank_cd', ...(this.engine ? { engine: this.engine } : {}) };
  }

  /** The tsvector a document is matched on: the stored column, or computed from the text column. */
  private tsvector(): string {
    return this.opts.tsvectorColumn ? quoteIdent(this.opts.tsvectorColumn) : `to_tsvector($2::regconfig, ${quoteIdent(this.opts.textColumn)})`;
  }

  /**
   * The search statement: $1 query text, $2 configuration, $3 normalization, $4 k. For `any`, the query's
   * lexemes (to_tsvector of the query) are ORed; each is quoted as a tsquery literal ('' for ', \\ for \).
   */
  private querySql(): string {
    const id = `${quoteIdent(this.opts.idColumn)}::text`;
    const tsv = this.tsvector();
    const q =
      this.opts.match === 'all'
        ? 'websearch_to_tsquery($2::regconfig, $1::text) AS q'
        : `(SELECT string_agg('''' || replace(replace(w, '\\', '\\\\'), '''', '''''') || '''', ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector($2::regconfig, $1::text))) AS w) AS s(q)`;
    return `SELECT ${id} AS id, ts_rank_cd(${tsv}, q, $3::integer) AS score FROM ${quoteIdent(this.opts.table)}, ${q} WHERE ${tsv} @@ q ORDER BY 2 DESC, ${id} COLLATE "C" DESC LIMIT $4`;
  }

  async index(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<void> {
    const docs: Doc[] = [];
    for await (const d of corpus) docs.push(d);
    const { conn, who, table, tsConfig } = this.opts;
    const info = await conn.run({}, 'checking the server', async (sql) => {
      const [schema, name] = tsConfig.includes('.') ? tsConfig.split('.') : [null, tsConfig];
      const found = await sql.query<{ c: string }>(
        'SELECT c.cfgname AS c FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace WHERE c.cfgname = $1 AND ($2::text IS NULL OR n.nspname = $2::text)',
        [name, schema],
      );
      if (found.length === 0) {
        const known = (await sql.query<{ n: string }>('SELECT cfgname AS n FROM pg_ts_config ORDER BY 1')).map((r) => r.n);
        throw new UsageError(`${who}: "${tsConfig}" is not a text search configuration of this server.`, { key: 'tsConfig', hint: `Configurations: ${known.join(', ')}.` });
      }
      return serverInfo(sql);
    });
    let loadedAt: string | undefined;
    if (this.opts.load) {
      const content = JSON.stringify({ tsConfig, body: 'title text' });
      const marker = await conn.run({}, `reading the load marker of ${table}`, (sql) => readMarker(sql, table));
      if (marker && marker.corpus_sha256 === this.opts.corpusKey && marker.content === content) {
        this.opts.log?.(`${table}: already loaded with this corpus and text search configuration (${marker.row_count} rows, ${marker.loaded_at}); not loaded again`);
        loadedAt = marker.loaded_at;
      } else {
        loadedAt = await this.load(docs, content);
      }
    } else {
      await conn.run({}, `checking table ${table}`, async (sql) => {
        const [exists] = await sql.query<{ t: string | null }>('SELECT to_regclass($1::text)::text AS t', [quoteIdent(table)]);
        if (!exists.t) throw new UsageError(`${who}: table ${table} does not exist (load: false uses an existing table).`, { key: 'table', hint: 'Name an existing table, or set `load: true`.' });
        const ids = (await sql.query<{ id: string }>(`SELECT ${quoteIdent(this.opts.idColumn)}::text AS id FROM ${quoteIdent(table)}`)).map((r) => r.id);
        checkIds(who, table, ids, docs);
      });
    }
    this.engine = { engine: 'postgres-fts', client: conn.location.client, host: conn.location.host, database: conn.location.database, version: info.version, serverVersion: info.serverVersion, table, ...(loadedAt ? { loadedAt } : {}) };
    this.description = this.describe();
  }

  private async load(docs: readonly Doc[], content: string): Promise<string> {
    const { table, tsConfig, idColumn } = this.opts;
    const tsv = this.opts.tsvectorColumn!;
    const started = Date.now();
    const loadedAt = await this.opts.conn.run({}, `loading ${docs.length} documents into ${table}`, async (sql) => {
      await sql.query('BEGIN');
      try {
        await sql.query(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
        // The configuration is a checked name (found in pg_ts_config above); as a literal it makes the generated column immutable.
        const cfg = `'${tsConfig.replace(/'/g, "''")}'::regconfig`;
        await sql.query(
          `CREATE TABLE ${quoteIdent(table)} (${quoteIdent(idColumn)} text PRIMARY KEY, ${quoteIdent(this.opts.textColumn)} text NOT NULL, ${quoteIdent(tsv)} tsvector GENERATED ALWAYS AS (to_tsvector(${cfg}, ${quoteIdent(this.opts.textColumn)})) STORED)`,
        );
        await insertRows(sql, table, [idColumn, this.opts.textColumn], [], docs.map((d) => [d.id, docText(d)]));
        await sql.query(`CREATE INDEX ON ${quoteIdent(table)} USING gin (${quoteIdent(tsv)})`);
        await sql.query(`ANALYZE ${quoteIdent(table)}`);
        const m = await writeMarker(sql, { table_name: table, corpus_sha256: this.opts.corpusKey, content, row_count: docs.length });
        await sql.query('COMMIT');
        return m.loaded_at;
      } catch (e) {
        await sql.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    this.opts.log?.(`${table}: loaded ${docs.length} documents and built the GIN index in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return loadedAt;
  }

  /** The search statement and its parameters for a query (the benchmark runs the same through a bare client). */
  statement(text: string, k: number): { text: string; params: unknown[] } {
    return { text: this.sqlText, params: [text, this.opts.tsConfig, this.opts.normalization, k] };
  }

  /** One SQL statement per query (the engine round trip); Postgres parses the query text itself. */
  async search(query: Query, k: number): Promise<ScoredDoc[]> {
    if (k <= 0) return [];
    const s = this.statement(query.text, k);
    const rows = await this.opts.conn.run({}, `searching ${this.opts.table}`, (sql) => sql.query<{ id: string; score: number }>(s.text, s.params));
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  async dispose(): Promise<void> {
    await this.opts.conn.release();
  }
}
