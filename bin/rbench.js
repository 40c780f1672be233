#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/src/cli/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('main.js', dist)))) {
  process.stderr.write('rbench: the compiled CLI is missing (dist/src/cli/main.js). Run `npm run build` (or `npm ci`) in the rbench folder first.\n');
  process.exit(2);
}

const args = process.argv.slice(2);
// `rbench eval` is the command CI jobs call in loops: its canonical spellings are parsed without loading
// yargs (~100 ms of start-up, as much as scoring a 500 x 1,000 run). Anything else (help, unusual flags)
// returns undefined and falls through to the full yargs CLI below, which answers as it always does.
if (args[0] === 'eval') {
  const { evalMain } = await import(new URL('commands/eval.js', dist).href);
  const code = await evalMain(args.slice(1));
  if (code !== undefined) {
    process.exitCode = code;
  }
}
if (process.exitCode === undefined) {
  const { main } = await import(new URL('main.js', dist).href);
  process.exitCode = await main(args);
}
