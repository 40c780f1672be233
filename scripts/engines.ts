/**
 * `npm run engines [-- rbench run options]`: tries the Postgres engines without installing Postgres. Starts
 * pglite-server with pgvector on a free port, runs `rbench run configs/engines.yaml` with RBENCH_PG_URL
 * pointing at it, and stops the server when the run ends, fails or is interrupted. Exits with rbench's code.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPgliteServer } from './pglite-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const config = process.env.RBENCH_ENGINES_CONFIG ?? path.join(ROOT, 'configs', 'engines.yaml');

const server = await startPgliteServer({ log: (m) => process.stderr.write(`engines: ${m}\n`) });
let code = 1;
const onSignal = (sig: NodeJS.Signals) => {
  void server.stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  process.stderr.write(`engines: RBENCH_PG_URL=${server.url}\n`);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', config, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, RBENCH_PG_URL: server.url } });
  code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
} finally {
  await server.stop();
  process.stderr.write('engines: pglite-server stopped\n');
}
process.exit(code);
