/**
 * Connections to Postgres for the engine retrievers (pgvector, postgres-fts), loaded only by configs that
 * use them (the retriever types import this module with a dynamic `import()`).
 *
 * Two ways to reach Postgres, one interface:
 * - a server, through node-postgres (`postgres://…` or `postgresql://…`): a user's Postgres, or PGlite served by
 *   `pglite-server` (@electric-sql/pglite-socket);
 * - PGlite in this process (`pglite:memory`, or `pglite:<folder>` for a persistent database), with pgvector.
 *
 * One connection per URL is shared by every retriever of the process (reference counted): `pglite-server`
 * serves one connection at a time unless started with `--max-connections`, and PGlite has a single backend,
 * so session settings would be shared anyway. Retrievers take the connection in turn (`run`), each with the
 * session settings it needs (`hnsw.ef_search`, `ivfflat.probes`, `statement_timeout`, …): only those that
 * differ from what the session has are SET, so a run of queries with the same settings costs one round trip
 * per query. Hybrids query their parts concurrently; the turn-taking keeps each part's settings and
 * statement together.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';

/** What a statement returns: its rows. */
export interface Sql {
  query<R extends object>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Where a retriever's engine runs, as results record it (never credentials). */
export interface EngineLocation {
  /** `postgres` (a server reached through node-postgres) or `pglite` (in this process). */
  client: 'postgres' | 'pglite';
  /** Server host and port from the URL (`127.0.0.1:5433`), or `in-process` for embedded PGlite. */
  host: string;
  /** Database name (server) or `memory` / the data folder (embedded). */
  database: string;
}

/** What identifies a connection's failures in messages: the retriever, its type and the config key of the URL. */
export interface ErrorContext {
  /** `retriever "pgv" (pgvector)`. */
  who: string;
  /** Config key naming the URL (`url` or `urlEnv`). */
  urlKey: string;
  /** Client-side timeout of one statement in ms (also set as Postgres' `statement_timeout`), if any. */
  timeoutMs?: number;
}

/** Session settings the engines manage, with Postgres' (and pgvector's) defaults. */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  statement_timeout: '0',
  enable_seqscan: 'on',
  enable_indexscan: 'on',
  'hnsw.ef_search': '40',
  'ivfflat.probes': '1',
};
export type SessionSettings = Partial<Record<keyof typeof DEFAULT_SETTINGS | 'hnsw.ef_search' | 'ivfflat.probes', string | number>>;

interface Backend {
  query<R extends object>(text: string, params: readonly unknown[], timeoutMs: number | undefined): Promise<R[]>;
  close(): Promise<void>;
}

/** How to start a PGlite server for a try without installing Postgres. */
export const PGLITE_SERVER_HINT =
  'To try the engines without installing Postgres: `npx pglite-server -p 5433 -e @electric-sql/pglite-pgvector:vector --max-connections 4 &` and `export RBENCH_PG_URL=postgres://postgres@127.0.0.1:5433/postgres` (or `npm run engines`).';

/** A URL without its password (for messages): `postgres://user@host:5433/db`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    u.search = '';
    return u.toString().replace(/:@/, '@');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

/** Where a URL points, without credentials. */
export function locationOf(url: string): EngineLocation {
  if (url.startsWith('pglite:')) return { client: 'pglite', host: 'in-process', database: url.slice('pglite:'.length) || 'memory' };
  const u = new URL(url);
  return { client: 'postgres', host: u.port ? `${u.hostname}:${u.port}` : u.hostname, database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres' };
}

/** Whether a string is a URL the engines take (checked by the config, before any connection). */
export function isEngineUrl(url: string): boolean {
  if (/^pglite:/.test(url)) return true;
  try {
    const u = new URL(url);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** A Postgres or Node error code, if the value has one. */
function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The underlying message of an error (AggregateError of a multi-address connect included). */
function messageOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return messageOf(e.errors[0]);
  return e instanceof Error ? e.message : String(e);
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/**
 * Turns a failure of a statement or a connection into a UsageError that says what happened and what to do:
 * the server cannot be reached, refused the login, timed out, or rejected the statement (its own message).
 */
export function engineError(e: unknown, ctx: ErrorContext, where: EngineLocation, doing: string): UsageError {
  if (e instanceof UsageError) return e;
  const code = codeOf(e) ?? codeOf((e as { errors?: unknown[] } | null)?.errors?.[0]);
  const msg = messageOf(e);
  const at = `${where.client === 'pglite' ? 'PGlite (in-process)' : `Postgres at ${where.host}`}`;
  if (code !== undefined && CONNECT_CODES.has(code)) {
    return new UsageError(`${ctx.who}: cannot connect to ${at} (${code}: ${msg}) while ${doing}.`, {
      key: ctx.urlKey,
      hint: `Check that the server is running and that \`${ctx.urlKey}\` points at it. ${PGLITE_SERVER_HINT}`,
      cause: e,
    });
  }
  if (code === '57014' || /Query read timeout|timeout expired|Connection terminated due to connection timeout/i.test(msg)) {
    const limit = ctx.timeoutMs !== undefined ? ` (timeoutMs: ${ctx.timeoutMs})` : '';
    return new UsageError(`${ctx.who}: ${at} did not answer in time${limit} while ${doing}: ${msg}.`, {
      key: 'timeoutMs',
      hint: 'Raise `timeoutMs`, check the server load, or add an index. Work committed so far stays in the cache: rerun with --resume.',
      cause: e,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new UsageError(`${ctx.who}: ${at} refused the login: ${msg}.`, { key: ctx.urlKey, hint: 'Check the user and password in the URL (keep the password out of the config: use `urlEnv`).', cause: e });
  }
  if (code === '3D000') {
    return new UsageError(`${ctx.who}: ${at}: ${msg}.`, { key: ctx.urlKey, hint: 'Create the database or name an existing one in the URL.', cause: e });
  }
  if (/Connection terminated|connection (was )?closed|Client has encountered a connection error/i.test(msg)) {
    return new UsageError(`${ctx.who}: the connection to ${at} was lost while ${doing} (${msg}).`, { key: ctx.urlKey, hint: `Check the server's log; rerun with --resume. ${PGLITE_SERVER_HINT}`, cause: e });
  }
  return new UsageError(`${ctx.who}: ${at} failed while ${doing}: ${msg}${code ? ` (SQLSTATE ${code})` : ''}.`, { key: ctx.urlKey, cause: e });
}

async function openPg(url: string, ctx: ErrorContext): Promise<Backend> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: ctx.timeoutMs ?? 30_000, application_name: 'rbench' });
  // A server that goes away between statements emits 'error' on the client: keep it for the next statement
  // instead of crashing the process.
  let broken: unknown;
  client.on('error', (e) => {
    broken = e;
  });
  await client.connect();
  return {
    async query<R extends object>(text: string, params: readonly unknown[], timeoutMs: number | undefined): Promise<R[]> {
      if (broken) throw broken;
      // node-postgres reads a per-statement client-side timeout from the query config (`query_timeout`).
      const config = { text, values: [...params], ...(timeoutMs ? { query_timeout: timeoutMs } : {}) };
      const r = await client.query<R>(config);
      return r.rows;
    },
    close: () => client.end(),
  };
}

async function openPglite(url: string): Promise<Backend> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const dir = url.slice('pglite:'.length);
  const db = await PGlite.create(dir === '' || dir === 'memory' ? 'memory://' : dir, { extensions: { vector } });
  return {
    // PGlite runs statements synchronously in this thread: no timer can interrupt one, so `timeoutMs` only
    // applies to servers.
    async query<R extends object>(text: string, params: readonly unknown[]): Promise<R[]> {
      // Several statements in one text (the SETs) need the simple protocol: `exec`.
      if (params.length === 0) return ((await db.exec(text)).at(-1)?.rows ?? []) as R[];
      const r = await db.query<R>(text, [...params]);
      return r.rows;
    },
    close: () => db.close(),
  };
}

/** One shared connection: a backend, the session settings it has, and turn-taking. */
class Shared {
  refs = 0;
  readonly settings = new Map<string, string>(Object.entries(DEFAULT_SETTINGS));
  readonly limit = pLimit(1);
  constructor(readonly backend: Backend) {}
}

const open = new Map<string, Promise<Shared>>();

/** A retriever's handle on a shared connection. */
export class EngineConnection {
  private released = false;

  constructor(
    private readonly url: string,
    private readonly shared: Shared,
    readonly location: EngineLocation,
    private readonly ctx: ErrorContext,
  ) {}

  /**
   * Runs `fn` while no other retriever uses the connection, with `settings` in force (the others at their
   * defaults). Failures become UsageErrors naming the retriever and what it was `doing`.
   */
  run<T>(settings: SessionSettings, doing: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.shared.limit(async () => {
      const timeoutMs = this.ctx.timeoutMs;
      const want: Record<string, string> = { ...DEFAULT_SETTINGS, statement_timeout: String(timeoutMs ?? 0) };
      for (const [k, v] of Object.entries(settings)) if (v !== undefined) want[k] = String(v);
      const sets = Object.entries(want).filter(([k, v]) => this.shared.settings.get(k) !== v);
      try {
        if (sets.length > 0) {
          // Setting names and values are ours (numbers, on/off): nothing user-written goes into this text.
          await this.shared.backend.query(sets.map(([k, v]) => `SET ${k} = ${/^[0-9]+$/.test(v) ? v : `'${v}'`}`).join('; '), [], timeoutMs);
          for (const [k, v] of sets) this.shared.settings.set(k, v);
        }
        return await fn({ query: (text, params = []) => this.shared.backend.query(text, params, timeoutMs) });
      } catch (e) {
        // A failed statement may leave the session in an unknown state: re-SET everything next time.
        this.shared.settings.clear();
        throw engineError(e, this.ctx, this.location, doing);
      }
    });
  }

  /** Gives the connection back; the last holder closes it. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.shared.refs--;
    if (this.shared.refs > 0) return;
    open.delete(this.url);
    await this.shared.backend.close().catch(() => undefined);
  }
}

/** The shared connection to `url` (opened on first use), for one retriever. */
export async function acquireConnection(url: string, ctx: ErrorContext): Promise<EngineConnection> {
  const location = locationOf(url);
  let p = open.get(url);
  if (!p) {
    p = (async () => new Shared(url.startsWith('pglite:') ? await openPglite(url) : await openPg(url, ctx)))();
    open.set(url, p);
  }
  let shared: Shared;
  try {
    shared = await p;
  } catch (e) {
    if (open.get(url) === p) open.delete(url);
    throw engineError(e, ctx, location, 'connecting');
  }
  shared.refs++;
  return new EngineConnection(url, shared, location, ctx);
}

/** What the server says about itself: Postgres' version and pgvector's, when installed. */
export interface ServerInfo {
  /** `SELECT version()`. */
  version: string;
  /** `SHOW server_version`. */
  serverVersion: string;
}

export async function serverInfo(sql: Sql): Promise<ServerInfo> {
  const [v] = await sql.query<{ version: string; server_version: string }>('SELECT version() AS version, current_setting($1) AS server_version', ['server_version']);
  return { version: v.version, serverVersion: v.server_version };
}

/** A SQL identifier, double-quoted; `schema.table` is quoted part by part. */
export function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');
}

/** Identifiers the configs may name: letters, digits and `_`, optionally schema-qualified. */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * The table that records what rbench loaded: per table, the checksum of the corpus it holds, what it was
 * loaded with (embedder identity and index, or text search configuration), its row count and when. A load is
 * skipped when all of them match. The corpus checksum is that of the dataset's corpus file (the part of the
 * dataset's sha256 that concerns the table), so a dev and a test split of one collection share their tables.
 */
export const MARKER_TABLE = 'rbench_loads';

export interface LoadMarker {
  table_name: string;
  corpus_sha256: string;
  content: string;
  row_count: number;
  loaded_at: string;
}

/**
 * The checksum that keys a table's contents: the sha256 of the dataset's corpus file, else (a dataset built
 * in memory) of its documents.
 */
export function corpusKey(ds: Dataset): string {
  const file = ds.files?.find((f) => f.role === 'corpus');
  if (file) return file.sha256;
  const h = createHash('sha256');
  for (const d of ds.corpus) h.update(`${d.id}\t${d.title}\t${d.text}\n`);
  return h.digest('hex');
}

export async function readMarker(sql: Sql, table: string): Promise<LoadMarker | undefined> {
  await sql.query(
    `CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (table_name text PRIMARY KEY, corpus_sha256 text NOT NULL, content text NOT NULL, row_count integer NOT NULL, loaded_at text NOT NULL)`,
  );
  const [m] = await sql.query<LoadMarker>(`SELECT table_name, corpus_sha256, content, row_count, loaded_at FROM ${MARKER_TABLE} WHERE table_name = $1`, [table]);
  if (!m) return undefined;
  // The marker is only as good as the table: a table dropped or emptied by hand is loaded again.
  const [exists] = await sql.query<{ t: string | null }>('SELECT to_regclass($1::text)::text AS t', [quoteIdent(table)]);
  if (!exists.t) return undefined;
  const [n] = await sql.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
  return Number(n.n) === m.row_count ? m : undefined;
}

export async function writeMarker(sql: Sql, m: Omit<LoadMarker, 'loaded_at'>): Promise<LoadMarker> {
  const loadedAt = new Date().toISOString();
  await sql.query(
    `INSERT INTO ${MARKER_TABLE} (table_name, corpus_sha256, content, row_count, loaded_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (table_name) DO UPDATE SET corpus_sha256 = EXCLUDED.corpus_sha256, content = EXCLUDED.content, row_count = EXCLUDED.row_count, loaded_at = EXCLUDED.loaded_at`,
    [m.table_name, m.corpus_sha256, m.content, m.row_count, loadedAt],
  );
  return { ...m, loaded_at: loadedAt };
}

/** Rows per INSERT statement while loading (bound parameters per statement stay far below Postgres' 65,535). */
export const INSERT_BATCH = 500;

/**
 * Inserts rows with multi-row INSERT statements of `INSERT_BATCH` rows (node-postgres has no COPY without
 * another package, and multi-row INSERT is within a small factor of COPY at these sizes).
 */
export async function insertRows(sql: Sql, table: string, columns: readonly string[], casts: readonly string[], rows: readonly unknown[][], onProgress?: (n: number) => void): Promise<void> {
  const cols = columns.map(quoteIdent).join(', ');
  for (let s = 0; s < rows.length; s += INSERT_BATCH) {
    const batch = rows.slice(s, s + INSERT_BATCH);
    const values = batch.map((_, i) => `(${columns.map((_c, j) => `$${i * columns.length + j + 1}${casts[j] ?? ''}`).join(', ')})`).join(', ');
    await sql.query(`INSERT INTO ${quoteIdent(table)} (${cols}) VALUES ${values}`, batch.flat());
    onProgress?.(Math.min(rows.length, s + INSERT_BATCH));
  }
}
