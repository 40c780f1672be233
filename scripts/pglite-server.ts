/**
 * Starts `pglite-server` (@electric-sql/pglite-socket: PGlite, Postgres compiled to WASM, served over the
 * Postgres wire protocol) with pgvector, in a child process on a free port of 127.0.0.1, and waits until it
 * accepts connections. Used by `npm run engines` and `npm run bench:engines`. (pglite-server's own `-r
 * COMMAND` does not exit when the command ends, hence this.)
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export interface PgliteServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); safe to call twice. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startPgliteServer(opts: { maxConnections?: number; log?: (m: string) => void } = {}): Promise<PgliteServer> {
  const require = createRequire(import.meta.url);
  const script = path.join(path.dirname(require.resolve('@electric-sql/pglite-socket')), 'scripts', 'server.js');
  const port = await freePort();
  const args = [script, '-h', '127.0.0.1', '-p', String(port), '-e', '@electric-sql/pglite-pgvector:vector', '--max-connections', String(opts.maxConnections ?? 4)];
  opts.log?.(`starting pglite-server on 127.0.0.1:${port} (node ${path.relative(process.cwd(), script)} ${args.slice(1).join(' ')})`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code), r())));
  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 120_000;
  while (!(await accepts(port))) {
    if (exited !== undefined) throw new Error(`pglite-server exited (code ${exited}) before accepting connections`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error('pglite-server did not accept connections within 120 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}
