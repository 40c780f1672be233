/**
 * The engine clients are loaded only by configs that use them: validating a config that names pgvector and
 * postgres-fts (the retriever table, their schemas and checks) loads neither node-postgres nor PGlite, and
 * neither does any other command's code. (node-postgres is CommonJS: once loaded, it is in require.cache.)
 */
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const probe = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).filter((f) => /node_modules[\\\\/](pg|@electric-sql)[\\\\/]/.test(f)).length;
const { parseConfig } = await import('./dist/src/experiment/config.js');
await import('./dist/src/cli/main.js').catch(() => undefined);
parseConfig('name: x\\ndatasets: [{ name: tech-qa }]\\nretrievers:\\n  - { type: pgvector, urlEnv: PG, embedder: glove-sif }\\n  - { type: postgres-fts, urlEnv: PG }\\ncandidates: [10]\\nrerankers: [none]\\n', 'x.yaml');
const before = loaded();
await import('./dist/src/retrieval/engines/connection.js').then((m) => m.acquireConnection('postgres://u@127.0.0.1:1/x', { who: 'probe', urlKey: 'url' })).catch(() => undefined);
console.log(JSON.stringify({ before, after: loaded() }));
`;

it('validating an engine config loads no engine client; connecting does', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  const { before, after } = JSON.parse(out.trim().split('\n').pop()!) as { before: number; after: number };
  expect(before).toBe(0);
  // The probe sees node-postgres once a connection is attempted: the check above can see a loaded client.
  expect(after).toBeGreaterThan(0);
});
