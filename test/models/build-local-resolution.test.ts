/**
 * resolveLocalModel: aliases, Hub ids under the models folder and plain paths; the error that names the folders
 * looked in and the command that fixes it; the content hash and its size+mtime sidecar cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltModel } from '../../src/models/build/index.js';
import { HASH_SIDECAR, isModelPresent, resolveLocalModel, sha256File } from '../../src/models/local.js';
import { errorOf } from '../helpers/errors.js';

const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-local-'));
let tinyDir: string;
afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));
beforeAll(() => {
  tinyDir = ensureBuiltModel('tiny-cross', modelsDir);
});

describe('resolving', () => {
  it('resolves an alias, its id, and its folder path to the same files and hash', async () => {
    const byAlias = await resolveLocalModel('tiny-cross', modelsDir);
    expect(byAlias.dir).toBe(tinyDir);
    expect(byAlias.id).toBe('rbench/tiny-bert-cross-encoder');
    expect(byAlias.alias).toBe('tiny-cross');
    expect(byAlias.files).toEqual(['config.json', 'onnx/model.onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(byAlias.sha256).toMatch(/^[0-9a-f]{64}$/);
    const byId = await resolveLocalModel('rbench/tiny-bert-cross-encoder', modelsDir);
    expect(byId).toEqual(byAlias);
    const byPath = await resolveLocalModel(tinyDir, modelsDir);
    expect(byPath.id).toBeUndefined();
    expect(byPath.sha256).toBe(byAlias.sha256);
    const rel = path.relative(process.cwd(), tinyDir);
    expect((await resolveLocalModel(rel.startsWith('.') ? rel : `./${rel}`, modelsDir)).dir).toBe(tinyDir);
    expect(isModelPresent('tiny-cross', modelsDir)).toBe(true);
    expect(isModelPresent('minilm', modelsDir)).toBe(false);
  });

  it('names the folder and the build command for a built model that is not there', async () => {
    const e = await errorOf(resolveLocalModel('minilm-standin', modelsDir));
    expect(e.message).toContain(path.join(modelsDir, 'rbench', 'standin-ms-marco-MiniLM-L-6-v2'));
    expect(e.message).toContain('`rbench models build minilm-standin`');
  });

  it('names the folders and the fetch command for a Hub model that is not there', async () => {
    const alias = await errorOf(resolveLocalModel('minilm', modelsDir));
    expect(alias.message).toContain(path.join(modelsDir, 'Xenova', 'ms-marco-MiniLM-L-6-v2'));
    expect(alias.message).toContain('`rbench models fetch Xenova/ms-marco-MiniLM-L-6-v2`');
    const id = await errorOf(resolveLocalModel('BAAI/bge-reranker-v2-m3', modelsDir));
    expect(id.message).toContain(path.join(modelsDir, 'BAAI', 'bge-reranker-v2-m3'));
    expect(id.message).toContain(path.resolve('BAAI/bge-reranker-v2-m3'));
    expect(id.message).toContain('`rbench models fetch BAAI/bge-reranker-v2-m3`');
    const missingPath = await errorOf(resolveLocalModel('./no/such/model', modelsDir));
    expect(missingPath.message).toMatch(/is not a folder/);
  });

  it('refuses an incomplete folder and a missing dtype with the command that fixes them', async () => {
    const dir = path.join(modelsDir, 'Acme', 'half');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(tinyDir, 'config.json'), path.join(dir, 'config.json'));
    const e = await errorOf(resolveLocalModel('Acme/half', modelsDir));
    expect(e.message).toMatch(/incomplete \(no onnx\/\*\.onnx\).*rbench models fetch Acme\/half/);
    const q8 = await errorOf(resolveLocalModel('tiny-cross', modelsDir, { dtype: 'q8' }));
    expect(q8.message).toMatch(/no onnx\/model_quantized\.onnx.*--dtype q8/);
    const fp32 = await resolveLocalModel('tiny-cross', modelsDir, { dtype: 'fp32' });
    expect(fp32.files).toContain('onnx/model.onnx');
  });
});

describe('content hash', () => {
  it('changes with the content, not with the mtime, and reuses the sidecar for unchanged files', async () => {
    const copy = path.join(modelsDir, 'Acme', 'copy');
    fs.cpSync(tinyDir, copy, { recursive: true });
    fs.rmSync(path.join(copy, HASH_SIDECAR), { force: true });
    const first = await resolveLocalModel('Acme/copy', modelsDir);
    const side = JSON.parse(fs.readFileSync(path.join(copy, HASH_SIDECAR), 'utf8')) as { files: Record<string, { sha256: string; size: number }> };
    expect(side.files['onnx/model.onnx'].sha256).toBe(await sha256File(path.join(copy, 'onnx', 'model.onnx')));

    // Same size and mtime: the sidecar is trusted (proved by planting a wrong hash in it).
    const planted = { ...side, files: { ...side.files, 'config.json': { ...side.files['config.json'], sha256: '0'.repeat(64) } } };
    fs.writeFileSync(path.join(copy, HASH_SIDECAR), JSON.stringify(planted));
    expect((await resolveLocalModel('Acme/copy', modelsDir)).sha256).not.toBe(first.sha256);

    // A new mtime makes it rehash: the same content gives the original hash back.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(copy, 'config.json'), later, later);
    expect((await resolveLocalModel('Acme/copy', modelsDir)).sha256).toBe(first.sha256);

    // Different content (same size) gives another hash.
    const tok = path.join(copy, 'tokenizer_config.json');
    const text = fs.readFileSync(tok, 'utf8');
    fs.writeFileSync(tok, text.replace('"model_max_length": 512', '"model_max_length": 511'));
    expect((await resolveLocalModel('Acme/copy', modelsDir)).sha256).not.toBe(first.sha256);
  });

  it('covers external data files', async () => {
    const copy = path.join(modelsDir, 'Acme', 'ext');
    fs.cpSync(tinyDir, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'onnx', 'model.onnx_data'), 'weights');
    const r = await resolveLocalModel('Acme/ext', modelsDir);
    expect(r.files).toContain('onnx/model.onnx_data');
  });
});
