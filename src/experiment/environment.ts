/** What produced a results file: machine, runtime, library versions, thread settings, code revision. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../paths.js';

export interface Environment {
  rbench: string;
  node: string;
  v8: string;
  os: string;
  osRelease: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryGB: number;
  onnxruntime: string;
  transformers: string;
  hnswlib: string;
  threads: { intraOp: number; interOp: number; allowSpinning: boolean };
  gitCommit: string | null;
  gitDirty: boolean | null;
  hostname?: string;
}

export function packageVersion(name: string): string {
  try {
    const req = createRequire(path.join(packageRoot(), 'package.json'));
    const dir = path.dirname(req.resolve(`${name}/package.json`));
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Packages with an `exports` map that hides package.json: find it beside the resolved entry.
    try {
      let dir = path.dirname(createRequire(path.join(packageRoot(), 'package.json')).resolve(name));
      while (dir !== path.dirname(dir)) {
        const f = path.join(dir, 'package.json');
        if (fs.existsSync(f)) {
          const p = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version: string };
          if (p.name === name) return p.version;
        }
        dir = path.dirname(dir);
      }
    } catch {
      /* fall through */
    }
    return 'unknown';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

export function captureEnvironment(threads: number): Environment {
  const own = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    rbench: own.version,
    node: process.versions.node,
    v8: process.versions.v8,
    os: process.platform,
    osRelease: os.release(),
    arch: process.arch,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    onnxruntime: packageVersion('onnxruntime-node'),
    transformers: packageVersion('@huggingface/transformers'),
    hnswlib: packageVersion('hnswlib-node'),
    threads: { intraOp: threads, interOp: 1, allowSpinning: false },
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status.length > 0,
  };
}
