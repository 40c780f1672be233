/**
 * The GloVe models built on a real collection (ADI, 82 documents, 35 queries) with a reduced vocabulary
 * (top 20k GloVe words ∪ the corpus words): the shipped tokenizer reproduces the analyzer; the ONNX graphs,
 * run by onnxruntime-node and by transformers.js, equal the TypeScript reference scorers within 1e-4; a
 * pair's score and a text's vector do not depend on the batch; builds are idempotent and reproducible.
 *
 * The GloVe base (341k vectors converted from the npm package's 307 MB JSON, ~9 s and ~1.2 GB once) is
 * cached in `$RBENCH_TEST_GLOVE_CACHE` or `<tmpdir>/rbench-test-glove` and shared by all test runs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env, pipeline, type Tensor } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBeir } from '../../src/data/beir.js';
import { docText, type Dataset } from '../../src/data/types.js';
import { analyze, STOP_WORDS } from '../../src/models/glove/analyzer.js';
import { buildGloveModels, buildGloveModelsWithData, type GloveBuildResult } from '../../src/models/glove/build.js';
import { firstPrincipalComponent, type GloveModelData, UNK_ID } from '../../src/models/glove/model-data.js';
import { encodePair, encodeSingle, type Encoded, maxSimEncoded, maxSimScore, sifEmbed } from '../../src/models/glove/reference.js';
import { type GloveBase, loadGloveBase } from '../../src/models/glove/vectors.js';
import { createEmbedder, createReranker } from '../../src/models/registry.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';

const shared = sharedCollections(['adi']);

const BASE_CACHE = process.env.RBENCH_TEST_GLOVE_CACHE ?? path.join(os.tmpdir(), 'rbench-test-glove');
const TOP_WORDS = 20_000;
const TOL = 1e-4;

let tmp: string;
let base: GloveBase;
let adi: Dataset;
let built: GloveBuildResult & { data: GloveModelData };
let data: GloveModelData;
let docTexts: string[];

/** Pads encodings on the right into ORT int64 feeds. */
function feeds(encs: readonly Encoded[], withTypes: boolean): Record<string, ort.Tensor> {
  const B = encs.length;
  const L = Math.max(...encs.map((e) => e.ids.length));
  const ids = new BigInt64Array(B * L);
  const mask = new BigInt64Array(B * L);
  const types = new BigInt64Array(B * L);
  encs.forEach((e, b) =>
    e.ids.forEach((id, k) => {
      ids[b * L + k] = BigInt(id);
      mask[b * L + k] = 1n;
      types[b * L + k] = BigInt(e.typeIds[k]);
    }),
  );
  const out: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [B, L]),
    attention_mask: new ort.Tensor('int64', mask, [B, L]),
  };
  if (withTypes) out.token_type_ids = new ort.Tensor('int64', types, [B, L]);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const sha256File = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describeShared(shared, 'GloVe models on ADI', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-glove-'));
    const t0 = performance.now();
    base = await loadGloveBase(BASE_CACHE, { log: (m) => console.log(m) });
    console.log(`GloVe base ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${BASE_CACHE})`);
    adi = await loadBeir(shared.path('adi'), 'test');
    docTexts = adi.corpus.map(docText);
    built = await buildGloveModelsWithData({ corpus: adi.corpus, corpusId: 'adi', modelsDir: tmp, base, recipe: { topWords: TOP_WORDS } });
    data = built.data;
    env.allowRemoteModels = false;
    env.localModelPath = `${tmp}/`;
    env.useFSCache = false;
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('build', () => {
    it('writes Hub-layout folders with the recipe in config.json', () => {
      expect(built.built).toBe(true);
      expect(built.embedderId).toBe('rbench/glove-sif-adi');
      expect(built.rerankerId).toBe('rbench/glove-maxsim-adi');
      expect(built.embedderDir).toBe(path.join(tmp, 'rbench', 'glove-sif-adi'));
      for (const dir of [built.embedderDir, built.rerankerDir]) {
        for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) expect(fs.existsSync(path.join(dir, f)), `${dir}/${f}`).toBe(true);
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
        expect(config.rbench.weights).toBe('built');
        expect(config.rbench.recipe).toMatchObject({ sifA: 1e-3, stopWords: STOP_WORDS.length, topWords: TOP_WORDS, corpusDocs: 82, vocabSize: data.vocab.length });
        expect(config.rbench.recipe.corpusSha256).toMatch(/^[0-9a-f]{64}$/);
        // No leftover temporary folders or lock files.
        expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
      }
      // Vocabulary = specials + top words + the corpus words not among them; every corpus word has an id.
      expect(data.vocab.slice(0, 4)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]']);
      for (const t of docTexts) for (const w of analyze(t)) expect(data.ids.has(w), w).toBe(true);
      // ADI is general-vocabulary text: most tokens have a GloVe vector (OFFLINE-MODELS.md: 88-98 %).
      expect(data.recipe.tokenCoverage).toBeGreaterThan(0.88);
    });

    it('is idempotent, and rebuilds byte-identical files with force', async () => {
      const model = path.join(built.rerankerDir, 'onnx', 'model.onnx');
      const before = { sha: sha256File(model), mtime: fs.statSync(model).mtimeMs };
      const again = await buildGloveModels({ corpus: adi.corpus, corpusId: 'adi', modelsDir: tmp, base, recipe: { topWords: TOP_WORDS } });
      expect(again.built).toBe(false);
      expect(fs.statSync(model).mtimeMs).toBe(before.mtime);
      const forced = await buildGloveModels({ corpus: adi.corpus, corpusId: 'adi', modelsDir: tmp, base, recipe: { topWords: TOP_WORDS }, force: true });
      expect(forced.built).toBe(true);
      expect(sha256File(model)).toBe(before.sha);
      // Another recipe option is another input: rebuilt.
      const other = await buildGloveModels({ corpus: adi.corpus.slice(0, 40), corpusId: 'adi', modelsDir: tmp, base, recipe: { topWords: TOP_WORDS } });
      expect(other.built).toBe(true);
      expect(other.recipe.corpusDocs).toBe(40);
      await buildGloveModels({ corpus: adi.corpus, corpusId: 'adi', modelsDir: tmp, base, recipe: { topWords: TOP_WORDS } });
      expect(sha256File(model)).toBe(before.sha);
    });

    it('rejects a corpus id that cannot name a folder, and an empty corpus', async () => {
      await expect(buildGloveModels({ corpus: adi.corpus, corpusId: '../x', modelsDir: tmp, base })).rejects.toThrow(/cannot name a model folder/);
      await expect(buildGloveModels({ corpus: [], corpusId: 'empty', modelsDir: tmp, base })).rejects.toThrow(/no documents/);
    });
  });

  describe('tokenizer.json', () => {
    it('gives the reference token ids on every ADI document and query, and on awkward text', async () => {
      const tok = await AutoTokenizer.from_pretrained('rbench/glove-maxsim-adi');
      const awkward = "Don't [SEP] stop: CD33's e-mail U.S. 1,000 naïve ΣΊΣΥΦΟΣ x_y [sep]a[UNK]b[PAD] qqqzzx";
      const texts = [...docTexts, ...adi.queries.map((q) => q.text), awkward, ''];
      for (const t of texts) {
        const enc = tok(t, { return_tensor: false }) as unknown as { input_ids: number[] };
        expect(enc.input_ids).toEqual(encodeSingle(data, t).ids);
      }
      const pair = tok('information science', { text_pair: 'The science of information.', return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids: number[] };
      const ref = encodePair(data, 'information science', 'The science of information.');
      expect(pair.input_ids).toEqual(ref.ids);
      expect(pair.token_type_ids).toEqual(ref.typeIds);
      // Unknown words map to [UNK]; possessives and contractions split into stop-word fragments.
      expect(encodeSingle(data, 'qqqzzx').ids).toEqual([2, UNK_ID, 3]);
      expect(analyze("CD33's don't")).toEqual(['cd33', 's', 'don', 't']);
    });
  });

  describe('glove-sif embedder', () => {
    it('ONNX output equals the reference within 1e-4 (onnxruntime-node, padded batches)', async () => {
      const session = await ort.InferenceSession.create(path.join(built.embedderDir, 'onnx', 'model.onnx'));
      const texts = [...docTexts, ...adi.queries.map((q) => q.text)];
      for (let s = 0; s < texts.length; s += 16) {
        const chunk = texts.slice(s, s + 16);
        const out = await session.run(feeds(chunk.map((t) => encodeSingle(data, t)), false));
        const emb = out.sentence_embedding;
        expect(emb.dims).toEqual([chunk.length, 100]);
        expect(out.last_hidden_state.data).toEqual(emb.data);
        chunk.forEach((t, i) => {
          const got = (emb.data as Float32Array).subarray(i * 100, (i + 1) * 100);
          const ref = sifEmbed(data, t);
          expect(maxAbsDiff(got, ref)).toBeLessThan(TOL);
          expect(Math.hypot(...ref)).toBeCloseTo(1, 6);
          // The principal component is removed: the vector is orthogonal to it.
          expect(Math.abs(ref.reduce((acc, x, k) => acc + x * data.pc[k], 0))).toBeLessThan(1e-6);
        });
      }
      // A text without a weighted word (stop words, unknown words) is the zero vector, not NaN.
      const zero = await session.run(feeds([encodeSingle(data, 'the of and qqqzzx'), encodeSingle(data, '')], false));
      expect(Array.from(zero.sentence_embedding.data as Float32Array).every((x) => x === 0)).toBe(true);
      expect(Array.from(sifEmbed(data, 'the of and')).every((x) => x === 0)).toBe(true);
    });

    it("transformers.js' feature-extraction pipeline (pooling none) returns the reference vectors", async () => {
      const extractor = await pipeline('feature-extraction', 'rbench/glove-sif-adi', { dtype: 'fp32' });
      const texts = docTexts.slice(0, 20);
      const out = (await extractor(texts, { pooling: 'none' })) as Tensor;
      expect(out.dims).toEqual([20, 100]);
      texts.forEach((t, i) => expect(maxAbsDiff((out.data as Float32Array).subarray(i * 100, (i + 1) * 100), sifEmbed(data, t))).toBeLessThan(TOL));
      await extractor.dispose();
    });

    it('a vector does not depend on the batch it is in (bit-identical)', async () => {
      const session = await ort.InferenceSession.create(path.join(built.embedderDir, 'onnx', 'model.onnx'));
      const encs = docTexts.map((t) => encodeSingle(data, t));
      const all = (await session.run(feeds(encs, false))).sentence_embedding.data as Float32Array;
      for (const [s, n] of [[0, 1], [5, 7], [40, 3], [81, 1]] as const) {
        const part = (await session.run(feeds(encs.slice(s, s + n), false))).sentence_embedding.data as Float32Array;
        expect(Array.from(part)).toEqual(Array.from(all.subarray(s * 100, (s + n) * 100)));
      }
    });

    it('SIF weights follow a/(a + p(w)) with corpus frequencies; stop words and unknown words weigh 0', () => {
      let total = 0;
      const counts = new Map<string, number>();
      for (const t of docTexts) for (const w of analyze(t)) {
        total++;
        counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      for (const w of ['information', 'retrieval', 'library', 'computer']) {
        const id = data.ids.get(w)!;
        expect(data.sifWeight[id]).toBeCloseTo(1e-3 / (1e-3 + counts.get(w)! / total), 6);
      }
      for (const w of ['the', 'of', 'don', 's']) expect(data.sifWeight[data.ids.get(w) ?? UNK_ID]).toBe(0);
      expect(data.sifWeight[UNK_ID]).toBe(0);
      // A top word absent from ADI has p = 0, weight 1.
      expect(counts.has('football')).toBe(false);
      expect(data.sifWeight[data.ids.get('football')!]).toBeCloseTo(1, 7);
    });
  });

  describe('glove-maxsim reranker', () => {
    it('ONNX logits equal the reference within 1e-4 for every ADI query x document pair (onnxruntime-node)', async () => {
      const session = await ort.InferenceSession.create(path.join(built.rerankerDir, 'onnx', 'model.onnx'));
      let worst = 0;
      for (const q of adi.queries) {
        const encs = docTexts.map((d) => encodePair(data, q.text, d));
        const logits = (await session.run(feeds(encs, true))).logits;
        expect(logits.dims).toEqual([encs.length, 1]);
        const ref = encs.map((e) => maxSimEncoded(data, e));
        worst = Math.max(worst, maxAbsDiff(logits.data as Float32Array, ref));
      }
      expect(worst).toBeLessThan(TOL);
    });

    it('AutoModelForSequenceClassification loads it like a cross-encoder and gives the reference scores', async () => {
      const tok = await AutoTokenizer.from_pretrained('rbench/glove-maxsim-adi');
      const model = await AutoModelForSequenceClassification.from_pretrained('rbench/glove-maxsim-adi', { dtype: 'fp32' });
      const q = adi.queries[2].text;
      const docs = docTexts.slice(0, 16);
      const inputs = tok(docs.map(() => q), { text_pair: docs, padding: true, truncation: true });
      const { logits } = (await model(inputs)) as { logits: Tensor };
      expect(logits.dims).toEqual([16, 1]);
      expect(maxAbsDiff(logits.data as Float32Array, docs.map((d) => maxSimScore(data, q, d)))).toBeLessThan(TOL);
      await model.dispose();
    });

    it("a pair's score does not depend on its batch: other queries, other documents, padding (bit-identical)", async () => {
      const session = await ort.InferenceSession.create(path.join(built.rerankerDir, 'onnx', 'model.onnx'));
      const pairs = adi.queries.slice(0, 6).flatMap((q, i) => docTexts.slice(i * 10, i * 10 + 10).map((d) => encodePair(data, q.text, d)));
      const alone = [];
      for (const p of pairs) alone.push((await session.run(feeds([p], true))).logits.data[0] as number);
      const mixed = (await session.run(feeds(pairs, true))).logits.data as Float32Array;
      expect(Array.from(mixed)).toEqual(alone);
      const reversed = (await session.run(feeds([...pairs].reverse(), true))).logits.data as Float32Array;
      expect(Array.from(reversed).reverse()).toEqual(alone);
    });

    it('scores: exact match for words without a vector, stop words ignored, empty documents lowest', () => {
      // ADI has numbers; they have no GloVe vector and match exactly.
      const num = data.vocab.find((w, id) => /^[0-9]+$/.test(w) && data.hasVector[id] === 0 && data.idf[id] > 0)!;
      expect(num).toBeDefined();
      expect(maxSimScore(data, num, `page ${num} of the report`)).toBe(1);
      expect(maxSimScore(data, num, 'page nine of the report')).toBe(0);
      // Only stop words: no weighted query word, score 0 whatever the document.
      expect(maxSimScore(data, 'what is the', 'information retrieval')).toBe(0);
      // Stop words add nothing to a query.
      expect(maxSimScore(data, 'the retrieval of the documents', 'a library')).toBeCloseTo(maxSimScore(data, 'retrieval documents', 'a library'), 12);
      // Same word: cosine 1; a document without comparable words: −1.
      expect(maxSimScore(data, 'library', 'the library')).toBeCloseTo(1, 6);
      expect(maxSimScore(data, 'library', 'the of and')).toBe(-1);
      // Related words score above unrelated ones.
      expect(maxSimScore(data, 'library', 'librarian books')).toBeGreaterThan(maxSimScore(data, 'library', 'volcano eruption'));
    });

    it('weights query words by corpus idf', () => {
      const id = data.ids.get('information')!;
      const df = docTexts.filter((t) => analyze(t).includes('information')).length;
      expect(data.idf[id]).toBeCloseTo(Math.log(1 + (82 - df + 0.5) / (df + 0.5)), 5);
      expect(data.idf[data.ids.get('the')!]).toBe(0);
    });
  });

  describe('through the project backend (createEmbedder / createReranker)', () => {
    it('gives the reference scores and vectors, documents cut alike', async () => {
      const ctx = { modelsDir: tmp, threads: 1 };
      const q = adi.queries[0].text;
      const docs = docTexts.slice(0, 30);
      for (const maxLength of [8192, 48]) {
        // 48 tokens cut most ADI documents (median 59 analyzer tokens): backend and reference must cut alike.
        const reranker = await createReranker({ model: built.rerankerDir, maxLength, batchSize: 7 }, ctx);
        const scores = await reranker.score(q, docs);
        expect(maxAbsDiff(scores, docs.map((d) => maxSimScore(data, q, d, maxLength)))).toBeLessThan(TOL);
        await reranker.dispose();

        const embedder = await createEmbedder({ model: built.embedderDir, pooling: 'none', maxLength }, ctx);
        const vecs = await embedder.embedDocuments([...docs, 'the of']);
        docs.forEach((d, i) => expect(maxAbsDiff(vecs[i], sifEmbed(data, d, maxLength))).toBeLessThan(TOL));
        expect(Array.from(vecs[docs.length]).every((x) => x === 0)).toBe(true);
        expect(await embedder.dimension()).toBe(100);
        await embedder.dispose();
      }
      // The cut matters: at 48 tokens some scores differ from the whole documents'.
      expect(docs.some((d) => maxSimScore(data, q, d, 48) !== maxSimScore(data, q, d))).toBe(true);
    });
  });
});

describe('firstPrincipalComponent', () => {
  it('finds the dominant direction of uncentred data, sign-normalised', () => {
    const dim = 4;
    const dir = [0.5, -0.5, 0.5, -0.5];
    // Points along ±dir with large weights plus small orthogonal noise along e1 - e2 directions.
    const X = [3, -2, 4, 1].map((a, i) => Float64Array.from(dir.map((d, k) => a * d + (k === i ? 0.1 : 0))));
    const u = firstPrincipalComponent(X, dim);
    // Compare with the eigenvector from the closed form of this small matrix: power iteration converges to it.
    const C = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => X.reduce((s, x) => s + x[i] * x[j], 0)));
    const Cu = C.map((row) => row.reduce((s, c, j) => s + c * u[j], 0));
    const lambda = Math.hypot(...Cu);
    Cu.forEach((v, i) => expect(v / lambda).toBeCloseTo(u[i], 9));
    expect(Math.hypot(...u)).toBeCloseTo(1, 12);
    expect(Math.abs(u[0])).toBeCloseTo(0.5, 1);
    // ... and it is the top eigenvector: no other unit direction has a larger Rayleigh quotient.
    for (let t = 0; t < 50; t++) {
      const r = Array.from({ length: dim }, (_, k) => Math.sin(7 * t + 3 * k + 1));
      const n = Math.hypot(...r);
      const q = C.reduce((s, row, i) => s + (r[i] / n) * row.reduce((a, c, j) => a + c * (r[j] / n), 0), 0);
      expect(q).toBeLessThanOrEqual(lambda + 1e-9);
    }
    // Largest-magnitude entry positive.
    const big = u.reduce((b, x, i) => (Math.abs(x) > Math.abs(u[b]) ? i : b), 0);
    expect(u[big]).toBeGreaterThan(0);
    expect(Array.from(firstPrincipalComponent([new Float64Array(dim)], dim))).toEqual([0, 0, 0, 0]);
  });
});
