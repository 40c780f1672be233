/**
 * The transformers.js cross-encoder backend on the project's tiny models (built into a temp folder):
 * BERT signature (token_type_ids) and XLM-R signature (none), determinism, pointwise scores across batch
 * sizes, score transforms, truncation, identity, option validation and the errors a user sees.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { ensureBuiltModel } from '../../src/models/build/index.js';
import { createReranker, type ModelContext } from '../../src/models/registry.js';
import { createTransformersReranker } from '../../src/models/transformers/reranker.js';
import { pretrainedOptions } from '../../src/models/transformers/runtime.js';
import type { Reranker } from '../../src/models/types.js';

let modelsDir: string;
let ctx: ModelContext;
const open: Reranker[] = [];

async function reranker(spec: Record<string, unknown> & { model: string }): Promise<Reranker> {
  const r = await createTransformersReranker(spec, ctx);
  open.push(r);
  return r;
}

beforeAll(() => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-tf-reranker-'));
  ctx = { modelsDir, threads: 1 };
  ensureBuiltModel('tiny-cross', modelsDir);
  ensureBuiltModel('tiny-cross-xlmr', modelsDir);
});
afterAll(async () => {
  for (const r of open) await r.dispose();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

const QUERY = 'how does aspirin reduce the risk of heart attack';
const DOCS = [
  'Aspirin inhibits platelet aggregation, lowering the risk of myocardial infarction in patients with vascular disease.',
  'The stock market fell sharply on Tuesday.',
  'Heart attack',
  'A randomized trial of low-dose aspirin for primary prevention of cardiovascular events in older adults found no benefit and more bleeding.',
  'Cats sleep most of the day, waking mainly at dusk and dawn to hunt small animals in gardens and fields.',
  'aspirin',
  'Platelets, thrombosis and the coronary arteries: a review of antiplatelet therapy after acute coronary syndromes and percutaneous intervention.',
];

const maxAbsDiff = (a: Float64Array, b: Float64Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe.each([
  ['tiny-cross', 'logit', true],
  ['tiny-cross-xlmr', 'sigmoid', false],
] as const)('%s', (alias, defaultScores, hasTypeIds) => {
  it('loads through the registry and records its identity', async () => {
    const r = await createReranker(alias, ctx);
    open.push(r);
    expect(r.identity).toMatchObject({
      name: alias,
      backend: 'transformers',
      source: alias === 'tiny-cross' ? 'rbench/tiny-bert-cross-encoder' : 'rbench/tiny-xlmr-cross-encoder',
      weights: 'built',
      dtype: 'fp32',
      settings: { maxLength: 512, scores: defaultScores, truncation: 'only_second', threads: 1 },
    });
    expect(r.identity.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scores equal the model’s logits computed directly by transformers.js', async () => {
    const r = await reranker({ model: alias, scores: 'logit' });
    const scores = await r.score(QUERY, DOCS, { batchSize: 1 });
    const dir = path.join(modelsDir, r.identity.source);
    const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const model = await AutoModelForSequenceClassification.from_pretrained(dir, pretrainedOptions('fp32', 1));
    try {
      expect((model.sessions as Record<string, { inputNames: string[] }>).model.inputNames.includes('token_type_ids')).toBe(hasTypeIds);
      for (let i = 0; i < DOCS.length; i++) {
        const inputs = tok(QUERY, { text_pair: DOCS[i] });
        const { logits } = (await model(inputs)) as { logits: Tensor };
        expect(scores[i]).toBe((logits.data as Float32Array)[0]);
      }
    } finally {
      await model.dispose();
    }
    // Scores depend on the document (the tiny weights are not degenerate).
    expect(new Set(scores).size).toBe(DOCS.length);
  });

  it('is deterministic across calls and instances', async () => {
    const a = await reranker({ model: alias });
    const b = await reranker({ model: alias });
    const s1 = await a.score(QUERY, DOCS);
    expect(await a.score(QUERY, DOCS)).toEqual(s1);
    expect(await b.score(QUERY, DOCS)).toEqual(s1);
  });

  it('is pointwise: a score does not depend on batch size or neighbours', async () => {
    const r = await reranker({ model: alias, scores: 'logit' });
    const whole = await r.score(QUERY, DOCS, { batchSize: DOCS.length });
    let worst = 0;
    for (const batchSize of [1, 2, 3, 5]) {
      const s = await r.score(QUERY, DOCS, { batchSize });
      worst = Math.max(worst, maxAbsDiff(s, whole));
    }
    // Reversed order: each document gets other neighbours and another padded length.
    const rev = await r.score(QUERY, [...DOCS].reverse(), { batchSize: 3 });
    worst = Math.max(worst, maxAbsDiff(rev.reverse(), whole));
    console.log(`${alias}: largest score difference across batch compositions ${worst} (${worst === 0 ? 'bit-identical' : 'not bit-identical'})`);
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('gives the same scores whatever the thread count', async () => {
    const one = await reranker({ model: alias, threads: 1 });
    const two = await reranker({ model: alias, threads: 2 });
    expect(two.identity.settings?.threads).toBe(2);
    expect(await two.score(QUERY, DOCS)).toEqual(await one.score(QUERY, DOCS));
  });

  it('reports the sigmoid of the logit when asked, the family default otherwise', async () => {
    const logit = await (await reranker({ model: alias, scores: 'logit' })).score(QUERY, DOCS);
    const sig = await (await reranker({ model: alias, scores: 'sigmoid' })).score(QUERY, DOCS);
    const dflt = await (await reranker({ model: alias })).score(QUERY, DOCS);
    for (let i = 0; i < DOCS.length; i++) {
      expect(sig[i]).toBeCloseTo(1 / (1 + Math.exp(-logit[i])), 15);
      expect(sig[i]).toBeGreaterThan(0);
      expect(sig[i]).toBeLessThan(1);
    }
    expect(dflt).toEqual(defaultScores === 'sigmoid' ? sig : logit);
  });

  it('keeps the query and cuts the document: the tail beyond maxLength has no effect', async () => {
    const r = await reranker({ model: alias, maxLength: 40 });
    const head = DOCS[0];
    const long1 = `${head} ${DOCS[3]} ${DOCS[6]}`.repeat(4);
    const long2 = `${long1} ${'entirely different closing words that never reach the model '.repeat(50)}`;
    const [s1, s2] = await r.score(QUERY, [long1, long2]);
    expect(s2).toBe(s1);
    // ... while the query is not cut: changing its last word changes the score.
    const [s3] = await r.score(`${QUERY} tomorrow`, [long1]);
    expect(s3).not.toBe(s1);
    // A document that fits is scored whole: changing its last word changes the score.
    const [t1, t2] = await r.score(QUERY, ['aspirin lowers risk', 'aspirin lowers blood']);
    expect(t1).not.toBe(t2);
  });

  it('caps maxLength at the model’s positions', async () => {
    const r = await reranker({ model: alias, maxLength: 4096 });
    expect(r.identity.settings?.maxLength).toBe(512);
  });
});

describe('errors', () => {
  it('a missing model is a UsageError naming the model, where it looked and the fix', async () => {
    const err = await createReranker('minilm', ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as UsageError).message;
    expect(msg).toContain('minilm');
    expect(msg).toContain(path.join(modelsDir, 'Xenova', 'ms-marco-MiniLM-L-6-v2'));
    expect(msg).toContain('rbench models fetch');
    expect((err as UsageError).exitCode).toBe(2);
  });

  it('dtype q8 without model_quantized.onnx is a UsageError naming the file', async () => {
    const err = await createTransformersReranker({ model: 'tiny-cross', dtype: 'q8' }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain('model_quantized.onnx');
    expect((err as UsageError).message).toContain('q8');
  });

  it('unknown options and bad values are UsageErrors listing what is allowed', async () => {
    const unknown = await createTransformersReranker({ model: 'tiny-cross', maxlen: 128 }, ctx).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UsageError);
    expect((unknown as Error).message).toContain('"maxlen"');
    expect((unknown as Error).message).toContain('maxLength');
    for (const [key, value, allowed] of [
      ['dtype', 'fp16', 'fp32, q8'],
      ['scores', 'softmax', 'logit, sigmoid'],
      ['truncation', 'only_first', 'only_second, longest_first'],
      ['threads', 0, 'integer'],
      ['batchSize', 2.5, 'integer'],
    ] as const) {
      const err = await createTransformersReranker({ model: 'tiny-cross', [key]: value }, ctx).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(UsageError);
      expect((err as Error).message).toContain(key);
      expect((err as Error).message).toContain(allowed);
    }
  });

  it('an embedder alias named as a reranker is a UsageError', async () => {
    const err = await createTransformersReranker({ model: 'tiny-embed' }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('embedder');
  });

  it('a local folder path works, with weights from its config.json', async () => {
    const dir = path.join(modelsDir, 'rbench', 'tiny-bert-cross-encoder');
    const r = await reranker({ model: dir });
    expect(r.identity).toMatchObject({ name: dir, source: dir, weights: 'built', settings: { scores: 'logit' } });
    const byAlias = await reranker({ model: 'tiny-cross' });
    expect(await r.score(QUERY, DOCS)).toEqual(await byAlias.score(QUERY, DOCS));
  });

  it('dispose releases the session; scoring afterwards fails', async () => {
    const r = await createTransformersReranker({ model: 'tiny-cross' }, ctx);
    await r.dispose();
    await expect(r.score(QUERY, DOCS)).rejects.toThrow(/disposed/);
    await r.dispose();
  });
});
