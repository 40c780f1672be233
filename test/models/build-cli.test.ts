/**
 * `rbench models list|build|fetch` through the CLI entry point: output on stdout, progress on stderr, exit
 * codes, and the `build glove --dataset` hook into src/models/glove/build.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/paths.js';
import { startModelServer, type ModelServer } from '../helpers/model-server.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-models-cli-'));
const modelsDir = path.join(root, 'models');
const savedEnv = process.env.RBENCH_MODELS;
beforeAll(() => {
  process.env.RBENCH_MODELS = modelsDir;
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.RBENCH_MODELS;
  else process.env.RBENCH_MODELS = savedEnv;
  fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

async function rbench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

interface ListJson {
  modelsDir: string;
  models: Array<{ alias: string; present: boolean; weights: string; bytes: number; id: string }>;
}

describe('rbench models', () => {
  it('builds, skips when up to date, and lists what is present', async () => {
    const first = await rbench('models', 'build', 'tiny-embed');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/tiny-embed\s+built\s+1010304/);
    expect(first.stderr).toMatch(/tiny-embed: built in/);
    const again = await rbench('models', 'build', 'tiny-embed', '--quiet');
    expect(again.stdout).toMatch(/tiny-embed\s+skipped/);
    expect(again.stderr).toBe('');

    const list = await rbench('models', 'list', '--format', 'json');
    expect(list.code).toBe(0);
    const parsed = JSON.parse(list.stdout) as ListJson;
    expect(parsed.modelsDir).toBe(modelsDir);
    const byAlias = Object.fromEntries(parsed.models.map((m) => [m.alias, m]));
    expect(byAlias['tiny-embed']).toMatchObject({ present: true, weights: 'built', id: 'rbench/tiny-bert-bi-encoder' });
    expect(byAlias['tiny-embed'].bytes).toBeGreaterThan(4_000_000);
    expect(byAlias['minilm']).toMatchObject({ present: false, weights: 'pretrained' });
    expect(byAlias['bge-large-standin']).toMatchObject({ present: false, weights: 'random' });

    const table = await rbench('models', 'list');
    expect(table.stdout).toMatch(/tiny-embed\s+embedder\s+rbench\/tiny-bert-bi-encoder\s+built\s+yes/);
    expect(table.stdout).toMatch(/minilm\s+reranker\s+Xenova\/ms-marco-MiniLM-L-6-v2\s+pretrained\s+no\s+models fetch minilm/);
  });

  it('answers bad input with exit 2 and one message', async () => {
    const unknown = await rbench('models', 'build', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^rbench: "nope" is not a model rbench builds\. Buildable models: tiny-cross/);
    const glove = await rbench('models', 'build', 'glove');
    expect(glove.code).toBe(2);
    expect(glove.stderr).toMatch(/needs `--dataset <name\|path>`/);
    const fetchBuilt = await rbench('models', 'fetch', 'tiny-cross');
    expect(fetchBuilt.code).toBe(2);
    expect(fetchBuilt.stderr).toMatch(/built locally.*rbench models build tiny-cross/);
    const two = await rbench('models', 'fetch', 'a/b', 'c/d');
    expect(two.code).toBe(2);
  });

  it('fetches from $HF_ENDPOINT', async () => {
    const src = path.join(root, 'src');
    const { ensureBuiltModel } = await import('../../src/models/build/index.js');
    const dir = ensureBuiltModel('tiny-cross-xlmr', src);
    const server: ModelServer = await startModelServer({ repos: { 'Acme/xlmr-tiny': { dir } } });
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = server.url;
    try {
      const r = await rbench('models', 'fetch', 'Acme/xlmr-tiny');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/onnx\/model\.onnx\s+\d+\s+downloaded\s+[0-9a-f]{64}/);
      expect(r.stdout).toContain(`Acme/xlmr-tiny @ ${'a'.repeat(40)} → ${path.join(modelsDir, 'Acme', 'xlmr-tiny')}`);
      expect(fs.readFileSync(path.join(modelsDir, 'Acme', 'xlmr-tiny', 'tokenizer.json')).equals(fs.readFileSync(path.join(dir, 'tokenizer.json')))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
      await server.close();
    }
  });

  it('builds the GloVe models of a corpus through src/models/glove/build.ts', async () => {
    const dataset = path.join(packageRoot(), 'datasets', 'tech-qa');
    // The corpus id is the first 12 hex digits of the dataset's content hash: sha256 over
    // `role<TAB>sha256 of the file<LF>` for corpus, queries and qrels (src/data/validate.ts, contentHash).
    const fileSha = (f: string): string => createHash('sha256').update(fs.readFileSync(path.join(dataset, f))).digest('hex');
    const members = [['corpus', 'corpus.jsonl'], ['queries', 'queries.jsonl'], ['qrels', 'qrels/test.tsv']];
    const content = members.map(([role, f]) => `${role}\t${fileSha(f)}\n`).join('');
    const corpusId = createHash('sha256').update(content).digest('hex').slice(0, 12);
    const r = await rbench('models', 'build', 'glove', '--dataset', dataset);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`tech-qa: building GloVe models for 343 documents (corpus id ${corpusId})`);
    const embedderDir = path.join(modelsDir, 'rbench', `glove-sif-${corpusId}`);
    const rerankerDir = path.join(modelsDir, 'rbench', `glove-maxsim-${corpusId}`);
    expect(r.stdout).toMatch(new RegExp(`embedder\\s+rbench/glove-sif-${corpusId}\\s+built\\s+${embedderDir}`));
    expect(r.stdout).toMatch(new RegExp(`reranker\\s+rbench/glove-maxsim-${corpusId}\\s+built\\s+${rerankerDir}`));
    for (const dir of [embedderDir, rerankerDir]) {
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { rbench: { weights: string; recipe: { corpusDocs: number } } };
      expect(config.rbench).toMatchObject({ weights: 'built', recipe: { corpusDocs: 343 } });
    }
    const again = await rbench('models', 'build', 'glove', '--dataset', dataset, '--quiet');
    expect(again.stdout).toMatch(new RegExp(`embedder\\s+rbench/glove-sif-${corpusId}\\s+up to date`));
    const list = JSON.parse((await rbench('models', 'list', '--format', 'json')).stdout) as ListJson;
    expect(list.models.find((m) => m.alias === 'glove-sif')).toMatchObject({ present: true, weights: 'built' });
  });
});
