/**
 * Built model folders as transformers.js sees them, strictly offline: the tiny cross-encoders load with
 * AutoTokenizer + AutoModelForSequenceClassification, the bi-encoder with pipeline('feature-extraction');
 * logits are deterministic across runs and batch compositions and vary with the input; builds are idempotent,
 * atomic and byte-identical when forced; external data loads; the MiniLM stand-in has the real shapes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env, pipeline, type PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, ensureBuiltModel, findBuiltSpec, isUpToDate, type BuiltModelSpec } from '../../src/models/build/index.js';

const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-build-'));
afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

beforeAll(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.localModelPath = `${modelsDir}/`;
  for (const alias of ['tiny-cross', 'tiny-cross-xlmr', 'tiny-embed']) ensureBuiltModel(alias, modelsDir);
});

const QUERY = 'what causes muscle cramps during exercise';
const DOCS = [
  'Muscle cramps are often caused by dehydration and electrolyte imbalance during intense exercise.',
  'The stock market fell sharply on Tuesday after the central bank raised interest rates.',
  'Cramps.',
  'Photosynthesis converts light energy into chemical energy in plants, algae and some bacteria.',
];

function spec(alias: string): BuiltModelSpec {
  const s = findBuiltSpec(alias);
  if (!s) throw new Error(alias);
  return s;
}

function filesHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

async function crossLogits(id: string, pairs: Array<[string, string]>): Promise<number[]> {
  const tok = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32' });
  const enc = tok(
    pairs.map((p) => p[0]),
    { text_pair: pairs.map((p) => p[1]), padding: true, truncation: true },
  );
  const out = await model(enc);
  await model.dispose();
  return Array.from(out.logits.data as Float32Array);
}

describe.each([
  ['tiny-cross', 'rbench/tiny-bert-cross-encoder'],
  ['tiny-cross-xlmr', 'rbench/tiny-xlmr-cross-encoder'],
])('%s through transformers.js, offline', (alias, id) => {
  it('has the Hub layout and the real export signature', async () => {
    const dir = path.join(modelsDir, id);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const s = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'));
    const inputs = alias === 'tiny-cross' ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask'];
    expect([...s.inputNames]).toEqual(inputs);
    expect([...s.outputNames]).toEqual(['logits']);
    expect((s.inputMetadata[0] as { shape?: unknown[] }).shape).toEqual(['batch_size', 'sequence_length']);
    await s.release();
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.model_type).toBe(alias === 'tiny-cross' ? 'bert' : 'xlm-roberta');
    expect(config.rbench).toMatchObject({ weights: 'built', alias });
  });

  it('gives deterministic logits that vary with the input, whatever the batch composition', async () => {
    const pairs = DOCS.map((d): [string, string] => [QUERY, d]);
    const batched = await crossLogits(id, pairs);
    const again = await crossLogits(id, pairs);
    expect(again).toEqual(batched);
    const single = [];
    for (const p of pairs) single.push(...(await crossLogits(id, [p])));
    const reversed = (await crossLogits(id, [...pairs].reverse())).reverse();
    for (let i = 0; i < pairs.length; i++) {
      expect(single[i]).toBeCloseTo(batched[i], 5);
      expect(reversed[i]).toBeCloseTo(batched[i], 5);
    }
    const spread = Math.max(...batched) - Math.min(...batched);
    expect(spread).toBeGreaterThan(0.02);
    expect(new Set(batched.map((x) => x.toFixed(4))).size).toBe(pairs.length);
  });
});

describe('tiny-embed through pipeline("feature-extraction")', () => {
  it('embeds deterministically, mean-pooled and normalised by the caller', async () => {
    const fe = await pipeline('feature-extraction', 'rbench/tiny-bert-bi-encoder', { dtype: 'fp32' });
    const a = await fe(DOCS, { pooling: 'mean', normalize: true });
    const b = await fe(DOCS[0], { pooling: 'mean', normalize: true });
    expect(a.dims).toEqual([4, 32]);
    const rows = a.tolist() as number[][];
    for (const r of rows) expect(Math.hypot(...r)).toBeCloseTo(1, 5);
    const single = (b.tolist() as number[][])[0];
    single.forEach((v, i) => expect(v).toBeCloseTo(rows[0][i], 5));
    const cos = (x: number[], y: number[]): number => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(cos(rows[0], rows[1])).toBeLessThan(0.9999);
    await fe.dispose();
  });
});

describe('tokenizers', () => {
  let bert: PreTrainedTokenizer;
  let xlmr: PreTrainedTokenizer;
  beforeAll(async () => {
    bert = await AutoTokenizer.from_pretrained('rbench/tiny-bert-cross-encoder');
    xlmr = await AutoTokenizer.from_pretrained('rbench/tiny-xlmr-cross-encoder');
  });

  it('WordPiece: bert-base-uncased ids for specials, lowercasing, accents, punctuation, ## splits', () => {
    expect(bert.convert_tokens_to_ids(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])).toEqual([0, 100, 101, 102, 103]);
    expect(bert.tokenize('The University, in Café!')).toEqual(['the', 'university', ',', 'in', 'cafe', '!']);
    const rare = bert.tokenize('myelodysplasia');
    expect(rare.length).toBeGreaterThan(1);
    expect(rare[0].startsWith('##')).toBe(false);
    expect(rare.slice(1).every((t) => t.startsWith('##'))).toBe(true);
    expect(rare.map((t) => t.replace(/^##/, '')).join('')).toBe('myelodysplasia');
    expect(bert.tokenize('β-catenin ≥ 5 µm')).not.toContain('[UNK]');
  });

  it('WordPiece splits documented examples as the real bert-base-uncased does', () => {
    // Google's BERT README: "John Johanson 's house" → john johan ##son ' s house; transformers' docs:
    // "Hello, my dog is cute" → [101, 7592, 1010, 2026, 3899, 2003, 10140, 102] = hello , my dog is cute;
    // transformers.js' docs: "I love transformers!" → [101, 1045, 2293, 19081, 999, 102] = i love transformers !
    expect(bert.tokenize("John Johanson 's house")).toEqual(['john', 'johan', '##son', "'", 's', 'house']);
    expect(bert.tokenize('Hello, my dog is cute')).toEqual(['hello', ',', 'my', 'dog', 'is', 'cute']);
    expect(bert.tokenize('I love transformers!')).toEqual(['i', 'love', 'transformers', '!']);
  });

  it('WordPiece pair template: [CLS] A [SEP] B [SEP] with type ids 0/1', () => {
    const enc = bert('hello world', { text_pair: 'good morning', return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids: number[]; attention_mask: number[] };
    expect(enc.input_ids).toEqual(bert.convert_tokens_to_ids(['[CLS]', 'hello', 'world', '[SEP]', 'good', 'morning', '[SEP]']));
    expect(enc.input_ids[0]).toBe(101);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(enc.attention_mask).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('Unigram: ▁ word starts, cased pieces, <s> A </s></s> B </s>, pad id 1, no token types', () => {
    expect(xlmr.convert_tokens_to_ids(['<s>', '<pad>', '</s>', '<unk>'])).toEqual([0, 1, 2, 3]);
    expect(xlmr.tokenize('The university')).toEqual(['▁The', '▁university']);
    const rare = xlmr.tokenize('myelodysplasia');
    expect(rare.length).toBeGreaterThan(1);
    expect(rare[0].startsWith('▁')).toBe(true);
    expect(rare.join('')).toBe('▁myelodysplasia');
    expect(xlmr.tokenize('β ≥ µm')).not.toContain('<unk>');
    const enc = xlmr('hello world', { text_pair: 'good morning', return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids?: number[] };
    const ids = enc.input_ids;
    expect(ids[0]).toBe(0);
    expect(ids[ids.length - 1]).toBe(2);
    const sep = ids.indexOf(2);
    expect(ids[sep + 1]).toBe(2);
    expect(enc.token_type_ids).toBeUndefined();
    expect(xlmr.pad_token_id).toBe(1);
  });

  it('English text comes to roughly one token per word plus splits for rare words', () => {
    const text =
      'Researchers at the university announced on Tuesday that they had discovered a new species of frog in the rainforest, ' +
      'which they believe could help explain how amphibians adapt to changing climates. The findings were published in a journal.';
    const words = text.split(/\s+/).length;
    for (const tok of [bert, xlmr]) {
      const ratio = tok.tokenize(text).length / words;
      expect(ratio).toBeGreaterThan(1.0);
      expect(ratio).toBeLessThan(1.45);
    }
  });
});

describe('building', () => {
  it('is idempotent, atomic, and byte-identical when forced', () => {
    const s = spec('tiny-embed');
    const dir = path.join(modelsDir, s.id);
    const before = filesHash(dir);
    const mtime = fs.statSync(path.join(dir, 'onnx', 'model.onnx')).mtimeMs;
    expect(buildModel(s, { modelsDir }).status).toBe('skipped');
    expect(fs.statSync(path.join(dir, 'onnx', 'model.onnx')).mtimeMs).toBe(mtime);
    const forced = buildModel(s, { modelsDir, force: true });
    expect(forced.status).toBe('built');
    expect(filesHash(dir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(dir)).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
  });

  it('rebuilds a folder whose recipe is outdated or incomplete', () => {
    const s = spec('tiny-embed');
    const dir = path.join(modelsDir, s.id);
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    expect(isUpToDate(s, dir)).toBe(false);
    expect(buildModel(s, { modelsDir }).status).toBe('built');
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as { rbench: { recipe: string } };
    cfg.rbench.recipe = 'old';
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(buildModel(s, { modelsDir }).status).toBe('built');
    expect(isUpToDate(s, dir)).toBe(true);
  });

  it('writes external data that onnxruntime and transformers.js load, with the same logits as inline weights', async () => {
    const base = spec('tiny-cross');
    const ext: BuiltModelSpec = { ...base, id: 'rbench/tiny-bert-cross-encoder-ext', externalData: true };
    const r = buildModel(ext, { modelsDir });
    expect(fs.statSync(path.join(r.dir, 'onnx', 'model.onnx_data')).size).toBeGreaterThan(r.parameters * 4 - 4096);
    expect(fs.statSync(path.join(r.dir, 'onnx', 'model.onnx')).size).toBeLessThan(100_000);
    const cfg = JSON.parse(fs.readFileSync(path.join(r.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg['transformers.js_config']).toEqual({ use_external_data_format: true });
    const pairs = DOCS.map((d): [string, string] => [QUERY, d]);
    expect(await crossLogits(ext.id, pairs)).toEqual(await crossLogits(base.id, pairs));
  });

  it('builds the MiniLM stand-in with the real shapes, marked as random weights', async () => {
    const r = buildModel(spec('minilm-standin'), { modelsDir });
    expect(r.parameters).toBe(22_713_601);
    const onnxBytes = fs.statSync(path.join(r.dir, 'onnx', 'model.onnx')).size;
    expect(onnxBytes).toBeGreaterThan(22_713_601 * 4);
    expect(onnxBytes).toBeLessThan(22_713_601 * 4 + 1_000_000);
    const cfg = JSON.parse(fs.readFileSync(path.join(r.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2 });
    expect(cfg.rbench).toMatchObject({ weights: 'random', standInFor: 'cross-encoder/ms-marco-MiniLM-L-6-v2' });
    const logits = await crossLogits('rbench/standin-ms-marco-MiniLM-L-6-v2', [[QUERY, DOCS[0]]]);
    expect(logits.length).toBe(1);
    expect(Number.isFinite(logits[0])).toBe(true);
  });
});
