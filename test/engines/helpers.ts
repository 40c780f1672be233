/**
 * Real Postgres for the engine tests: PGlite (Postgres compiled to WASM) with pgvector, served on
 * 127.0.0.1 (an ephemeral port) by pglite-socket in the test's own process and reached through node-postgres,
 * exactly as a user's server would be. Nothing is mocked.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { readRun } from '../../src/data/trec.js';
import type { Run } from '../../src/data/types.js';
import { parseConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/execute.js';
import type { ResultsFile } from '../../src/experiment/results.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = process.env.RBENCH_TEST_MODELS ?? path.join(os.tmpdir(), 'rbench-test-models');

export interface TestServer {
  url: string;
  port: number;
  db: PGlite;
  /** A statement run directly through node-postgres on its own connection. */
  sql<R extends object>(text: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/** PGlite served on 127.0.0.1:<ephemeral port>, with pgvector available unless `vector: false`. */
export async function startServer(opts: { vector?: boolean } = {}): Promise<TestServer> {
  const db = await PGlite.create(opts.vector === false ? {} : { extensions: { vector } });
  // Two connections: rbench's shared one and the test's own.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let client: pg.Client | undefined;
  return {
    url,
    port,
    db,
    async sql<R extends object>(text: string, params: unknown[] = []) {
      if (!client) {
        client = new pg.Client({ connectionString: url });
        await client.connect();
      }
      return (await client.query<R>(text, params)).rows;
    },
    async stop() {
      await client?.end().catch(() => undefined);
      await server.stop();
      await db.close();
    },
  };
}

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a config text through `rbench run`'s machinery in this process. */
export async function runConfig(text: string, dir: string, name: string, cache = path.join(dir, 'cache')): Promise<{ results: ResultsFile; out: string }> {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  const out = path.join(dir, `out-${name}`);
  const { results } = await runExperiment(parseConfig(text, file), { outDir: out, cache, quiet: true });
  return { results, out };
}

/** The TREC run a retriever's (first) result row wrote, read back from the path the row records. */
export async function runOf(r: { results: ResultsFile; out: string }, retriever: string): Promise<Run> {
  const row = r.results.results.find((x) => x.retriever.name === retriever);
  if (!row?.run) throw new Error(`no run written for retriever ${retriever} in ${r.out}`);
  return readRun(path.join(r.out, row.run));
}

/** `node bin/rbench.js ARGS` in a child process (asynchronous: the test's server keeps serving meanwhile). */
export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), ...args], { cwd: ROOT, env: { ...process.env, RBENCH_MODELS: MODELS, ...env }, timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Sets RBENCH_MODELS for the file's in-process runs (the GloVe models are built once per machine). */
export function useTestModels(): { restore(): void } {
  const saved = process.env.RBENCH_MODELS;
  process.env.RBENCH_MODELS = MODELS;
  return {
    restore() {
      if (saved === undefined) delete process.env.RBENCH_MODELS;
      else process.env.RBENCH_MODELS = saved;
    },
  };
}
