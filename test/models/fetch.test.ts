/**
 * `rbench models fetch` against a local Hub stand-in (test/helpers/model-server.ts) serving a tiny model built
 * in the test: listing, redirects to a CDN origin with X-Linked-Etag, a 404 for an optional file, a 500 once,
 * truncated and corrupted bodies, tokens, offline errors, and the fetched folder loading in transformers.js
 * offline with the same logits as the original.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildModel, ensureBuiltModel, findBuiltSpec, type BuiltModelSpec } from '../../src/models/build/index.js';
import { fetchModel, FETCH_RECORD, hubIdFor } from '../../src/models/fetch.js';
import { resolveLocalModel } from '../../src/models/local.js';
import { startModelServer, type ModelServer } from '../helpers/model-server.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-fetch-'));
const srcModels = path.join(root, 'src');
let tinyDir: string;
let extDir: string;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const REPO = 'Xenova/tiny-test';
const EXT_REPO = 'Xenova/tiny-test-ext';
const FAST = { retries: 2, retryDelayMs: 5 };
const sha = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

beforeAll(() => {
  tinyDir = ensureBuiltModel('tiny-cross', srcModels);
  const base = findBuiltSpec('tiny-cross') as BuiltModelSpec;
  extDir = buildModel({ ...base, id: 'rbench/tiny-cross-ext', externalData: true }, { modelsDir: srcModels }).dir;
});

let dstCount = 0;
const freshDst = (): string => path.join(root, `dst${dstCount++}`);

async function logits(modelsDir: string, id: string): Promise<number[]> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.localModelPath = `${modelsDir}/`;
  const tok = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32' });
  const q = 'what causes muscle cramps';
  const docs = ['Cramps follow dehydration during exercise.', 'Stocks fell on Tuesday.', 'Muscle physiology.'];
  const out = await model(tok(docs.map(() => q), { text_pair: docs, padding: true, truncation: true }));
  await model.dispose();
  return Array.from(out.logits.data as Float32Array);
}

describe('fetching from a Hub stand-in', () => {
  let server: ModelServer;
  beforeAll(async () => {
    server = await startModelServer({
      repos: { [REPO]: { dir: tinyDir, commit: 'c0ffee'.padEnd(40, '0') }, [EXT_REPO]: { dir: extDir } },
      listedButMissing: ['special_tokens_map.json'],
      failOnce: ['tokenizer.json'],
      token: 'hf_SECRET_token',
    });
  });
  afterAll(() => server.close());

  it('downloads what transformers.js needs, follows the CDN redirect, retries a 500, skips a missing optional file', async () => {
    const modelsDir = freshDst();
    const lines: string[] = [];
    const r = await fetchModel(REPO, { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', log: (l) => lines.push(l), ...FAST });
    expect(r.dir).toBe(path.join(modelsDir, 'Xenova', 'tiny-test'));
    expect(r.commit).toBe('c0ffee'.padEnd(40, '0'));
    expect(r.files.map((f) => f.path)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
    expect(r.skipped).toEqual(['special_tokens_map.json']);
    for (const f of r.files) {
      expect(sha(path.join(r.dir, f.path))).toBe(sha(path.join(tinyDir, f.path)));
      expect(f.sha256).toBe(sha(path.join(tinyDir, f.path)));
    }
    // The 500 was retried: tokenizer.json requested twice.
    expect(server.requests.filter((q) => q.path.endsWith('/resolve/main/tokenizer.json')).length).toBe(2);
    // The ONNX file came from the CDN, which never saw the token; the Hub always did.
    const cdn = server.requests.filter((q) => q.server === 'cdn');
    expect(cdn.map((q) => q.path)).toEqual([`/cdn/${REPO}/onnx/model.onnx`]);
    expect(cdn.every((q) => !q.authorized)).toBe(true);
    expect(server.requests.filter((q) => q.server === 'hub').every((q) => q.authorization === 'Bearer hf_SECRET_token')).toBe(true);
    // The token appears in no log line and no file.
    expect(lines.join('\n')).not.toContain('SECRET');
    expect(fs.readFileSync(path.join(r.dir, FETCH_RECORD), 'utf8')).not.toContain('SECRET');
    expect(fs.readdirSync(path.join(r.dir, 'onnx'))).toEqual(['model.onnx']);

    // The fetched folder resolves and gives the original's logits, offline.
    const local = await resolveLocalModel(REPO, modelsDir);
    expect(local.dir).toBe(r.dir);
    expect(local.id).toBe(REPO);
    expect(await logits(modelsDir, REPO)).toEqual(await logits(srcModels, 'rbench/tiny-bert-cross-encoder'));

    // A second fetch verifies and downloads nothing.
    const before = server.requests.length;
    const again = await fetchModel(REPO, { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', ...FAST });
    expect(again.files.every((f) => f.status === 'present')).toBe(true);
    expect(server.requests.slice(before).filter((q) => q.path.includes('/resolve/')).map((q) => q.path)).toEqual([`/${REPO}/resolve/main/special_tokens_map.json`]);
  });

  it('fetches external data with its model and loads it', async () => {
    const modelsDir = freshDst();
    const r = await fetchModel(EXT_REPO, { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', ...FAST });
    expect(r.files.map((f) => f.path)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx_data', 'onnx/model.onnx']);
    expect(await logits(modelsDir, EXT_REPO)).toEqual(await logits(srcModels, 'rbench/tiny-bert-cross-encoder'));
  });

  it('explains a missing token, an unknown model and a missing dtype', async () => {
    const modelsDir = freshDst();
    await expect(fetchModel(REPO, { modelsDir, endpoint: server.url, token: '', ...FAST })).rejects.toThrow(/refused access.*HTTP 401.*HF_TOKEN/);
    await expect(fetchModel('Xenova/nope', { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', ...FAST })).rejects.toThrow(/Xenova\/nope at revision main does not exist/);
    await expect(fetchModel(REPO, { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', revision: 'v9', ...FAST })).rejects.toThrow(/revision v9/);
    const e = await fetchModel(REPO, { modelsDir, endpoint: server.url, token: 'hf_SECRET_token', dtype: 'q8', ...FAST }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/has no onnx\/model_quantized\.onnx.*--dtype fp32/);
    expect(fs.existsSync(path.join(modelsDir, 'Xenova', 'tiny-test', 'onnx'))).toBe(false);
  });
});

describe('failures leave nothing that looks complete', () => {
  it('a body cut short fails after the retries, with no file and no .part', async () => {
    const server = await startModelServer({ repos: { [REPO]: { dir: tinyDir } }, truncate: ['onnx/model.onnx'] });
    try {
      const modelsDir = freshDst();
      const e = await fetchModel(REPO, { modelsDir, endpoint: server.url, ...FAST }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(/could not download Xenova\/tiny-test\/onnx\/model\.onnx after 3 attempts/);
      expect(server.requests.filter((q) => q.server === 'cdn').length).toBe(3);
      const dir = path.join(modelsDir, 'Xenova', 'tiny-test');
      expect(fs.readdirSync(path.join(dir, 'onnx'))).toEqual([]);
      await expect(resolveLocalModel(REPO, modelsDir)).rejects.toThrow(/is incomplete \(no onnx\/\*\.onnx\).*rbench models fetch Xenova\/tiny-test/);
    } finally {
      await server.close();
    }
  });

  it('bytes that do not match the X-Linked-Etag sha256 are rejected', async () => {
    const server = await startModelServer({ repos: { [REPO]: { dir: tinyDir } }, corrupt: ['onnx/model.onnx'] });
    try {
      const modelsDir = freshDst();
      await expect(fetchModel(REPO, { modelsDir, endpoint: server.url, ...FAST })).rejects.toThrow(/sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
      expect(fs.readdirSync(path.join(modelsDir, 'Xenova', 'tiny-test', 'onnx'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('an unreachable endpoint is a UsageError that says what to do offline', async () => {
    const server = await startModelServer({ repos: {} });
    const url = server.url;
    await server.close();
    const e = await fetchModel(REPO, { modelsDir: freshDst(), endpoint: url, ...FAST }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/cannot reach 127\.0\.0\.1:\d+: connection refused.*HF_ENDPOINT/);
  });
});

describe('names', () => {
  it('maps aliases to Hub ids and refuses built models', () => {
    expect(hubIdFor('minilm')).toBe('Xenova/ms-marco-MiniLM-L-6-v2');
    expect(hubIdFor('Xenova/bge-reranker-base')).toBe('Xenova/bge-reranker-base');
    expect(() => hubIdFor('minilm-standin')).toThrow(/rbench models build minilm-standin/);
    expect(() => hubIdFor('../etc/passwd')).toThrow(UsageError);
  });
});
