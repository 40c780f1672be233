/**
 * Runs once before all test files: compiles the CLI into dist/ when a source file is newer than its output,
 * so tests that start real `node bin/rbench.js` processes run the code under test. (CI's `npm ci` already
 * builds through the `prepare` script; this keeps local runs honest after an edit.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function stale(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const js = path.join(ROOT, 'dist', path.relative(ROOT, p)).replace(/\.ts$/, '.js');
        if (!existsSync(js) || statSync(js).mtimeMs < statSync(p).mtimeMs) out.push(js);
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  walk(path.join(ROOT, 'scripts'));
  return out;
}

export default function setup(): void {
  if (stale().length === 0) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  const left = stale();
  if (left.length > 0) throw new Error(`could not build dist/ (${left.length} outputs stale): ${r.stdout}${r.stderr}`);
}
