/**
 * What the Postgres engine types (`pgvector`, `postgres-fts`) share: the connection keys of their config
 * entries, their checks, and how a build reaches the server. The engine clients (node-postgres, PGlite) are
 * imported here only inside `connect`, with a dynamic `import()`, so configs without an engine never load them.
 */
import { z } from 'zod';
import type { Dataset } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import type { EngineConnection } from '../../retrieval/engines/connection.js';
import { positiveInt } from '../schema.js';
import type { CheckContext } from './types.js';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be a SQL identifier: letters, digits and _, optionally schema.table');

/** Config keys of every Postgres engine entry. */
export const postgresKeys = {
  /** `postgres://user@host:port/db`, or `pglite:memory` / `pglite:<folder>` for PGlite in this process. */
  url: z.string().min(1).optional(),
  /** The NAME of an environment variable holding the URL (keeps passwords out of configs and results). */
  urlEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable holding the URL').optional(),
  /** The table to create (`load: true`) or to use; with `load: true` it defaults to a name from the dataset. */
  table: identifier.optional(),
  /** Create and fill the table from the dataset, idempotently (default), or use an existing table. */
  load: z.boolean().default(true),
  idColumn: identifier.default('id'),
  /** Limit of one statement, in ms: Postgres' statement_timeout and node-postgres' client-side timeout. */
  timeoutMs: positiveInt.optional(),
};

/** The checks both engine types make of the connection keys. */
export function checkPostgresEntry(e: { url?: string; urlEnv?: string; table?: string; load: boolean }, ctx: CheckContext): void {
  if ((e.url === undefined) === (e.urlEnv === undefined)) {
    ctx.problem(e.url === undefined ? 'neither `url` nor `urlEnv` is given.' : 'both `url` and `urlEnv` are given.', [e.url === undefined ? 'urlEnv' : 'url'], 'Give one: `urlEnv: RBENCH_PG_URL` (the name of an environment variable holding the URL) or `url: postgres://user@host:5432/db`.');
  }
  if (e.url !== undefined) checkUrl(e.url, ['url'], ctx);
  if (!e.load && e.table === undefined) ctx.problem('`load: false` uses an existing table, but no `table` is given.', ['table'], 'Name the table, or set `load: true` to let rbench create one.');
}

function checkUrl(url: string, at: PropertyKey[], ctx: CheckContext): void {
  if (url.startsWith('pglite:')) return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ctx.problem(`"${url}" is not a URL.`, at, 'Write postgres://user@host:5432/database, or pglite:memory for PGlite in this process.');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return ctx.problem(`"${u.protocol}" URLs are not Postgres URLs.`, at, 'Write postgres://user@host:5432/database, or pglite:memory for PGlite in this process.');
  if (u.password) ctx.problem('the URL holds a password, which would be written into results.', at, 'Put the URL in an environment variable and name it with `urlEnv`.');
}

/** The URL of an entry: `url`, or the value of the environment variable `urlEnv` (which must be set). */
export function resolveUrl(e: { url?: string; urlEnv?: string }, who: string): string {
  if (e.url !== undefined) return e.url;
  const name = e.urlEnv!;
  const value = process.env[name];
  if (!value) {
    throw new UsageError(`${who}: the environment variable ${name} (urlEnv) is not set.`, {
      key: 'urlEnv',
      hint: `Set it to the server's URL, e.g. \`export ${name}=postgres://postgres@127.0.0.1:5433/postgres\`. To try the engines without installing Postgres: \`npx pglite-server -p 5433 -e @electric-sql/pglite-pgvector:vector --max-connections 4 &\`, or \`npm run engines\`.`,
    });
  }
  if (!/^(postgres(ql)?:\/\/|pglite:)/.test(value)) throw new UsageError(`${who}: ${name} holds "${value.replace(/\/\/[^@/]*@/, '//…@')}", which is not a postgres:// URL.`, { key: 'urlEnv' });
  return value;
}

/** Opens (or shares) the connection of an entry; the engine client is loaded here, on first use. */
export async function connect(e: { url?: string; urlEnv?: string; timeoutMs?: number }, who: string): Promise<EngineConnection> {
  const url = resolveUrl(e, who);
  const { acquireConnection } = await import('../../retrieval/engines/connection.js');
  return acquireConnection(url, { who, urlKey: e.url !== undefined ? 'url' : 'urlEnv', timeoutMs: e.timeoutMs });
}

/** `rbench_<dataset>_<what>`: the table a `load: true` entry fills when it names none. */
export function defaultTable(ds: Dataset, what: string): string {
  return ['rbench', ds.name, what].join('_').toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40);
}
