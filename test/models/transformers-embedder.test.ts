/**
 * The transformers.js bi-encoder backend on the tiny BERT bi-encoder (built into a temp folder) and on
 * copies of it named like the real families, so that the family conventions are exercised:
 * - mean / CLS pooling and normalisation equal transformers.js's own feature-extraction pipeline and a
 *   by-hand pooling of `last_hidden_state`;
 * - bge-*-en-v1.5: CLS + the instruction before queries only; e5: `query: ` / `passage: ` on both sides;
 * - pooling `none` returns the model's sentence vector (a small static-embedding ONNX graph written here);
 * - vectors do not depend on batch neighbours; truncation; identity; option errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModel, AutoTokenizer, pipeline, type Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { ensureBuiltModel } from '../../src/models/build/index.js';
import { GraphBuilder, writeModel } from '../../src/models/onnx/index.js';
import { createEmbedder, type ModelContext } from '../../src/models/registry.js';
import { createTransformersEmbedder } from '../../src/models/transformers/embedder.js';
import { configureOfflineEnv, pretrainedOptions } from '../../src/models/transformers/runtime.js';
import type { Embedder } from '../../src/models/types.js';

const BGE_INSTRUCTION = 'Represent this sentence for searching relevant passages: ';
const TEXTS = [
  'Aspirin inhibits platelet aggregation and lowers the risk of myocardial infarction.',
  'heart attack',
  'Cats sleep most of the day, waking mainly at dusk and dawn to hunt small animals in gardens and fields nearby.',
  'a',
  'Low-dose aspirin for primary prevention of cardiovascular events in older adults: a randomized trial.',
];

let modelsDir: string;
let tinyDir: string;
let ctx: ModelContext;
const open: Embedder[] = [];

async function embedder(spec: Record<string, unknown> & { model: string }): Promise<Embedder> {
  const e = await createTransformersEmbedder(spec, ctx);
  open.push(e);
  return e;
}

/** A copy of the tiny bi-encoder under another folder name (family conventions follow the name). */
function wrap(name: string): string {
  const dir = path.join(modelsDir, 'wrapped', name);
  fs.cpSync(tinyDir, dir, { recursive: true });
  return dir;
}

/** A static-embedding model: sentence_embedding = Σ_t mask_t · table[id_t] (2-D output, no pooling needed). */
function writeStaticModel(name: string): { dir: string; table: Float32Array; dim: number } {
  const dir = path.join(modelsDir, 'wrapped', name);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) fs.copyFileSync(path.join(tinyDir, f), path.join(dir, f));
  const vocab = JSON.parse(fs.readFileSync(path.join(tinyDir, 'config.json'), 'utf8')).vocab_size as number;
  const dim = 6;
  const table = new Float32Array(vocab * dim);
  for (let i = 0; i < table.length; i++) table[i] = Math.sin(i * 0.37) * 0.5;
  const g = new GraphBuilder('static');
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const rows = g.op('Gather', [g.initializer('table', table, [vocab, dim]), ids], { axis: 0 });
  const m = g.op('Unsqueeze', [g.op('Cast', [mask], { to: 1 }), g.int64([-1])]);
  g.op('ReduceSum', [g.op('Mul', [rows, m]), g.int64([1])], { keepdims: 0 }, { outputs: ['sentence_embedding'] });
  g.output('sentence_embedding', 'float32', ['batch_size', dim]);
  writeModel(g, path.join(dir, 'onnx', 'model.onnx'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], vocab_size: vocab, rbench: { weights: 'built', pooling: 'none' } }));
  return { dir, table, dim };
}

beforeAll(() => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-tf-embedder-'));
  ctx = { modelsDir, threads: 1 };
  tinyDir = ensureBuiltModel('tiny-embed', modelsDir);
  configureOfflineEnv(modelsDir);
});
afterAll(async () => {
  for (const e of open) await e.dispose();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

/** transformers.js's own feature-extraction pipeline on one text (the library's reference pooling). */
async function pipelineVectors(dir: string, texts: string[], pooling: 'mean' | 'cls'): Promise<Float32Array[]> {
  const extractor = await pipeline('feature-extraction', dir, { dtype: 'fp32', local_files_only: true });
  try {
    const out: Float32Array[] = [];
    for (const t of texts) out.push((await extractor(t, { pooling, normalize: true })).data as Float32Array);
    return out;
  } finally {
    await extractor.dispose();
  }
}

const maxDiff = (a: Float32Array[], b: Float32Array[]): number => {
  let m = 0;
  a.forEach((v, i) => v.forEach((x, k) => (m = Math.max(m, Math.abs(x - b[i][k])))));
  return m;
};

describe('pooling and normalisation (tiny-embed: mean, normalised, no prefixes)', () => {
  it('equals transformers.js feature-extraction with mean pooling and normalize', async () => {
    const e = await embedder({ model: 'tiny-embed' });
    const ref = await pipelineVectors(tinyDir, TEXTS, 'mean');
    expect(maxDiff(await e.embedDocuments(TEXTS), ref)).toBeLessThan(1e-6);
    expect(maxDiff(await e.embedQueries(TEXTS), ref)).toBeLessThan(1e-6);
    expect(await e.dimension()).toBe(32);
    expect(e.identity).toMatchObject({
      name: 'tiny-embed',
      backend: 'transformers',
      source: 'rbench/tiny-bert-bi-encoder',
      weights: 'built',
      dtype: 'fp32',
      settings: { pooling: 'mean', normalize: true, queryPrefix: '', passagePrefix: '', maxLength: 512 },
    });
  });

  it('equals mean and CLS pooling computed by hand from last_hidden_state', async () => {
    const tok = await AutoTokenizer.from_pretrained(tinyDir, { local_files_only: true });
    const model = await AutoModel.from_pretrained(tinyDir, pretrainedOptions('fp32', 1));
    const mean = await embedder({ model: 'tiny-embed', normalize: false });
    const cls = await embedder({ model: 'tiny-embed', pooling: 'cls', normalize: false });
    const vMean = await mean.embedDocuments(TEXTS);
    const vCls = await cls.embedDocuments(TEXTS);
    try {
      for (let i = 0; i < TEXTS.length; i++) {
        const { last_hidden_state: h } = (await model(tok(TEXTS[i]))) as { last_hidden_state: Tensor };
        const [, len, hidden] = h.dims;
        const data = h.data as Float32Array;
        for (let k = 0; k < hidden; k++) {
          let s = 0;
          for (let t = 0; t < len; t++) s += data[t * hidden + k];
          expect(vMean[i][k]).toBeCloseTo(s / len, 6);
          expect(vCls[i][k]).toBe(data[k]);
        }
      }
    } finally {
      await model.dispose();
    }
  });

  it('normalised vectors have unit length', async () => {
    const e = await embedder({ model: 'tiny-embed' });
    for (const v of await e.embedDocuments(TEXTS)) expect(Math.hypot(...v)).toBeCloseTo(1, 6);
  });

  it('a vector does not depend on its batch neighbours, batch size or order', async () => {
    const e = await embedder({ model: 'tiny-embed', batchSize: 2 });
    const together = await e.embedDocuments(TEXTS);
    const alone: Float32Array[] = [];
    for (const t of TEXTS) alone.push((await e.embedDocuments([t]))[0]);
    const reversed = (await e.embedDocuments([...TEXTS].reverse())).reverse();
    const worst = Math.max(maxDiff(together, alone), maxDiff(together, reversed));
    console.log(`tiny-embed: largest difference across batch compositions ${worst} (${worst === 0 ? 'bit-identical' : 'not bit-identical'})`);
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('cuts long texts at maxLength: the tail has no effect', async () => {
    const e = await embedder({ model: 'tiny-embed', maxLength: 24 });
    const long = TEXTS.join(' ').repeat(5);
    const [a, b] = await e.embedDocuments([long, `${long} entirely different closing words`.repeat(3)]);
    expect(Array.from(b)).toEqual(Array.from(a));
    const [c, d] = await e.embedDocuments(['heart attack', 'heart failure']);
    expect(Array.from(c)).not.toEqual(Array.from(d));
  });
});

describe('family conventions follow the model name', () => {
  it('bge-*-en-v1.5: CLS pooling, the instruction before queries only', async () => {
    const dir = wrap('bge-tiny-en-v1.5');
    const e = await embedder({ model: dir });
    expect(e.identity.settings).toMatchObject({ pooling: 'cls', normalize: true, queryPrefix: BGE_INSTRUCTION, passagePrefix: '' });
    const ref = await pipelineVectors(dir, [...TEXTS, ...TEXTS.map((t) => BGE_INSTRUCTION + t)], 'cls');
    expect(maxDiff(await e.embedDocuments(TEXTS), ref.slice(0, TEXTS.length))).toBeLessThan(1e-6);
    expect(maxDiff(await e.embedQueries(TEXTS), ref.slice(TEXTS.length))).toBeLessThan(1e-6);
  });

  it('e5: mean pooling, `query: ` before queries and `passage: ` before passages', async () => {
    const dir = wrap('e5-tiny-v2');
    const e = await embedder({ model: dir });
    expect(e.identity.settings).toMatchObject({ pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    const ref = await pipelineVectors(dir, [...TEXTS.map((t) => `query: ${t}`), ...TEXTS.map((t) => `passage: ${t}`)], 'mean');
    expect(maxDiff(await e.embedQueries(TEXTS), ref.slice(0, TEXTS.length))).toBeLessThan(1e-6);
    expect(maxDiff(await e.embedDocuments(TEXTS), ref.slice(TEXTS.length))).toBeLessThan(1e-6);
  });

  it('spec options override the family', async () => {
    const dir = wrap('e5-tiny-override');
    const e = await embedder({ model: dir, queryPrefix: 'Q: ', passagePrefix: '', pooling: 'cls' });
    expect(e.identity.settings).toMatchObject({ pooling: 'cls', queryPrefix: 'Q: ', passagePrefix: '' });
    const ref = await pipelineVectors(dir, ['Q: heart attack', 'heart attack'], 'cls');
    expect(maxDiff(await e.embedQueries(['heart attack']), [ref[0]])).toBeLessThan(1e-6);
    expect(maxDiff(await e.embedDocuments(['heart attack']), [ref[1]])).toBeLessThan(1e-6);
  });

  it('pooling none (declared in config.json rbench.pooling) returns the model’s sentence vector, normalised', async () => {
    const { dir, table, dim } = writeStaticModel('static-sentence');
    const e = await embedder({ model: dir });
    expect(e.identity.settings).toMatchObject({ pooling: 'none', normalize: true });
    const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const vecs = await e.embedDocuments(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const ids = (tok(TEXTS[i], { return_tensor: false }) as unknown as { input_ids: number[] }).input_ids;
      const expected = new Float64Array(dim);
      for (const id of ids) for (let k = 0; k < dim; k++) expected[k] += table[id * dim + k];
      const norm = Math.hypot(...expected);
      for (let k = 0; k < dim; k++) expect(vecs[i][k]).toBeCloseTo(expected[k] / norm, 5);
    }
  });
});

describe('errors', () => {
  it('a missing model is a UsageError naming the fetch command', async () => {
    const err = await createEmbedder('bge-small', ctx).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('rbench models fetch Xenova/bge-small-en-v1.5');
  });

  it('bad options are UsageErrors listing what is allowed', async () => {
    for (const [key, value, allowed] of [
      ['pooling', 'max', 'mean, cls, none'],
      ['normalize', 'yes', 'true or false'],
      ['queryPrefix', 3, 'string'],
      ['prefix', 'q', 'queryPrefix'],
    ] as const) {
      const err = await createTransformersEmbedder({ model: 'tiny-embed', [key]: value }, ctx).catch((x: unknown) => x);
      expect(err, key).toBeInstanceOf(UsageError);
      expect((err as Error).message).toContain(key);
      expect((err as Error).message).toContain(allowed);
    }
  });

  it('a reranker alias named as an embedder is a UsageError', async () => {
    const err = await createTransformersEmbedder({ model: 'tiny-cross' }, ctx).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('reranker');
  });
});
