/**
 * The encoder graphs against an independent, plain-JavaScript forward pass (float64) over the same weights:
 * embeddings (BERT absolute positions and token types; XLM-R positions from the padding mask), LayerNorm,
 * masked multi-head attention, exact GELU, the pooler / classification heads. Padded batches must give, for
 * the real tokens, what the unpadded sequences give. Also: parameter counts of the stand-ins against the
 * published sizes of the real models, without generating a single weight.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoderGraph, BUILT_MODELS, expectedParameterCount, type EncoderArch, type EncoderHead, type WeightInit } from '../../src/models/build/index.js';
import { modelToBytes, type GraphBuilder } from '../../src/models/onnx/index.js';

// ---------------------------------------------------------------------------------------------
// Reference implementation

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for a 1e-4 comparison. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

type Weights = Map<string, { data: Float32Array; dims: number[] }>;

function weightsOf(g: GraphBuilder): Weights {
  const w: Weights = new Map();
  for (const init of g.initializers) {
    if (init.dataType !== 'float32') continue;
    const parts: Uint8Array[] = [];
    init.data.emit((c) => parts.push(Uint8Array.from(c)));
    const buf = Buffer.concat(parts);
    w.set(init.name, { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), dims: [...init.dims] });
  }
  return w;
}

type Mat = number[][];

function linear(x: Mat, w: Weights, prefix: string): Mat {
  const W = w.get(`${prefix}.weight`);
  const b = w.get(`${prefix}.bias`);
  if (!W || !b) throw new Error(`missing ${prefix}`);
  const [nIn, nOut] = W.dims;
  return x.map((row) => {
    const out = new Array<number>(nOut).fill(0);
    for (let o = 0; o < nOut; o++) {
      let s = b.data[o];
      for (let i = 0; i < nIn; i++) s += row[i] * W.data[i * nOut + o];
      out[o] = s;
    }
    return out;
  });
}

function layerNorm(x: Mat, w: Weights, prefix: string, eps: number): Mat {
  const g = w.get(`${prefix}.weight`)?.data as Float32Array;
  const b = w.get(`${prefix}.bias`)?.data as Float32Array;
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i] + b[i]);
  });
}

/** Forward pass of one unpadded sequence; returns the hidden states and (for classification) the logit. */
function reference(arch: EncoderArch, head: EncoderHead, w: Weights, ids: number[], types: number[]): { hidden: Mat; logit?: number } {
  const H = arch.hiddenSize;
  const nh = arch.numHeads;
  const dh = H / nh;
  const bert = arch.family === 'bert';
  const base = head === 'feature-extraction' ? '' : bert ? 'bert.' : 'roberta.';
  const row = (name: string, r: number): number[] => {
    const t = w.get(name) as { data: Float32Array; dims: number[] };
    return Array.from(t.data.subarray(r * H, (r + 1) * H));
  };
  let seen = 0;
  let x: Mat = ids.map((id, t) => {
    let pos = t;
    if (!bert) {
      if (id !== arch.padTokenId) seen++;
      pos = id === arch.padTokenId ? arch.padTokenId : seen + arch.padTokenId;
    }
    const we = row(`${base}embeddings.word_embeddings.weight`, id);
    const pe = row(`${base}embeddings.position_embeddings.weight`, pos);
    const te = row(`${base}embeddings.token_type_embeddings.weight`, bert ? types[t] : 0);
    return we.map((v, i) => v + pe[i] + te[i]);
  });
  x = layerNorm(x, w, `${base}embeddings.LayerNorm`, arch.layerNormEps);
  for (let l = 0; l < arch.numLayers; l++) {
    const p = `${base}encoder.layer.${l}`;
    const q = linear(x, w, `${p}.attention.self.query`);
    const k = linear(x, w, `${p}.attention.self.key`);
    const v = linear(x, w, `${p}.attention.self.value`);
    const ctx: Mat = x.map(() => new Array<number>(H).fill(0));
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[i][h * dh + d] * k[j][h * dh + d];
          return s / Math.sqrt(dh);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) for (let d = 0; d < dh; d++) ctx[i][h * dh + d] += (e[j] / z) * v[j][h * dh + d];
      }
    }
    const attn = linear(ctx, w, `${p}.attention.output.dense`);
    x = layerNorm(attn.map((r, i) => r.map((val, d) => val + x[i][d])), w, `${p}.attention.output.LayerNorm`, arch.layerNormEps);
    const inter = linear(x, w, `${p}.intermediate.dense`).map((r) => r.map((val) => val * 0.5 * (1 + erf(val / Math.SQRT2))));
    const ffn = linear(inter, w, `${p}.output.dense`);
    x = layerNorm(ffn.map((r, i) => r.map((val, d) => val + x[i][d])), w, `${p}.output.LayerNorm`, arch.layerNormEps);
  }
  if (head === 'feature-extraction') return { hidden: x };
  const first = [x[0]];
  const logit = bert
    ? linear(linear(first, w, 'bert.pooler.dense').map((r) => r.map(Math.tanh)), w, 'classifier')[0][0]
    : linear(linear(first, w, 'classifier.dense').map((r) => r.map(Math.tanh)), w, 'classifier.out_proj')[0][0];
  return { hidden: x, logit };
}

// ---------------------------------------------------------------------------------------------

const MINI = { vocabSize: 40, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 16 };
const BERT_MINI: EncoderArch = { family: 'bert', ...MINI, maxPositions: 20, typeVocabSize: 2, layerNormEps: 1e-12, padTokenId: 0 };
const XLMR_MINI: EncoderArch = { family: 'xlmr', ...MINI, maxPositions: 22, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1 };
const INIT: WeightInit = { seed: 'test/mini', std: 0.3, headStd: 0.35, biasStd: 0.1 };

/** Two sequences, the second padded. */
function batch(arch: EncoderArch): { ids: number[][]; types: number[][]; lengths: number[] } {
  const pad = arch.padTokenId;
  const ids = arch.family === 'bert' ? [[2, 17, 5, 33, 3], [2, 9, 3, pad, pad]] : [[0, 17, 5, 33, 2], [0, 9, 2, pad, pad]];
  const types = arch.family === 'bert' ? [[0, 0, 0, 1, 1], [0, 1, 1, 0, 0]] : [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]];
  return { ids, types, lengths: [5, 3] };
}

async function runOrt(g: GraphBuilder, arch: EncoderArch, b: ReturnType<typeof batch>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const s = await ort.InferenceSession.create(modelToBytes(g));
  const B = b.ids.length;
  const S = b.ids[0].length;
  const i64 = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [B, S]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(b.ids),
    attention_mask: i64(b.ids.map((r, i) => r.map((_, t) => (t < b.lengths[i] ? 1 : 0)))),
  };
  if (arch.family === 'bert') feeds.token_type_ids = i64(b.types);
  expect([...s.inputNames].sort()).toEqual(Object.keys(feeds).sort());
  const out = await s.run(feeds);
  await s.release();
  return out;
}

describe.each([
  ['BERT', BERT_MINI],
  ['XLM-R', XLMR_MINI],
])('%s encoder graph vs a plain forward pass', (_label, arch) => {
  it('sequence classification: logits of a padded batch equal the reference on each unpadded sequence', async () => {
    const g = buildEncoderGraph(arch, 'sequence-classification', INIT);
    const w = weightsOf(g);
    const b = batch(arch);
    const out = await runOrt(g, arch, b);
    expect(out.logits.dims).toEqual([2, 1]);
    const logits = Array.from(out.logits.data as Float32Array);
    for (let i = 0; i < 2; i++) {
      const n = b.lengths[i];
      const ref = reference(arch, 'sequence-classification', w, b.ids[i].slice(0, n), b.types[i].slice(0, n));
      expect(logits[i]).toBeCloseTo(ref.logit as number, 4);
    }
    expect(Math.abs(logits[0] - logits[1])).toBeGreaterThan(1e-3);
  });

  it('feature extraction: last_hidden_state of the real tokens equals the reference', async () => {
    const g = buildEncoderGraph(arch, 'feature-extraction', INIT);
    const w = weightsOf(g);
    const b = batch(arch);
    const out = await runOrt(g, arch, b);
    const H = arch.hiddenSize;
    expect(out.last_hidden_state.dims).toEqual([2, 5, H]);
    const data = out.last_hidden_state.data as Float32Array;
    for (let i = 0; i < 2; i++) {
      const n = b.lengths[i];
      const ref = reference(arch, 'feature-extraction', w, b.ids[i].slice(0, n), b.types[i].slice(0, n));
      for (let t = 0; t < n; t++) for (let d = 0; d < H; d++) expect(data[(i * 5 + t) * H + d]).toBeCloseTo(ref.hidden[t][d], 4);
    }
  });
});

describe('stand-in parameter counts (from the graphs, nothing generated)', () => {
  // Published sizes of the base models, plus the classification head each cross-encoder adds:
  // - all-MiniLM-L6 / MiniLM-L6-H384 BertModel (with pooler): 22,713,216; + classifier 384·1 + 1 = 22,713,601.
  // - xlm-roberta-base XLMRobertaModel (with pooler): 278,043,648; the sequence classifier drops the pooler
  //   (768² + 768) and adds dense (768² + 768) + out_proj (768 + 1): 278,044,417.
  // - xlm-roberta-large (with pooler): 559,890,432; likewise + 1024 + 1: 559,891,457.
  const expected: Record<string, number> = {
    'minilm-standin': 22_713_216 + 385,
    'bge-base-standin': 278_043_648 + 769,
    'bge-large-standin': 559_890_432 + 1_025,
  };
  it.each(Object.keys(expected))('%s', (alias) => {
    const spec = BUILT_MODELS.find((m) => m.alias === alias);
    if (!spec) throw new Error(alias);
    const g = buildEncoderGraph(spec.arch, spec.head, spec.init);
    expect(g.parameterCount()).toBe(expected[alias]);
    expect(expectedParameterCount(spec.arch, spec.head)).toBe(expected[alias]);
  });

  it('records what the real models are', () => {
    const byAlias = Object.fromEntries(BUILT_MODELS.map((m) => [m.alias, m]));
    expect(byAlias['minilm-standin'].arch).toMatchObject({ family: 'bert', numLayers: 6, hiddenSize: 384, numHeads: 12, intermediateSize: 1536, vocabSize: 30522, maxPositions: 512, typeVocabSize: 2 });
    expect(byAlias['bge-base-standin'].arch).toMatchObject({ family: 'xlmr', numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072, vocabSize: 250002, maxPositions: 514 });
    expect(byAlias['bge-large-standin'].arch).toMatchObject({ family: 'xlmr', numLayers: 24, hiddenSize: 1024, numHeads: 16, intermediateSize: 4096, vocabSize: 250002, maxPositions: 514 });
    expect(byAlias['bge-large-standin'].externalData).toBe(true);
  });
});
