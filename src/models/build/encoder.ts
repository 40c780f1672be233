/**
 * Transformer encoders as ONNX graphs, with the inputs and outputs of the Hugging Face exports that
 * transformers.js runs (opset 17):
 *
 * - BERT (`family: 'bert'`): inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch_size,
 *   sequence_length]); word + absolute position (0..S-1) + token-type embeddings.
 * - XLM-RoBERTa (`family: 'xlmr'`): no `token_type_ids` input; RoBERTa position ids
 *   `cumsum(input_ids != pad) * (input_ids != pad) + pad` (padding_idx + 1 offset; pads get position `pad`),
 *   the single token-type row added to every position.
 *
 * Then LayerNormalization and N post-LN layers of multi-head self-attention (additive mask
 * `(1 - attention_mask) * float32.min` on the keys) and an Erf-GELU feed-forward block. Heads:
 * - `sequence-classification`: BERT pooler (dense + tanh on [CLS]) + 1-logit classifier, or XLM-R's
 *   RobertaClassificationHead (dense + tanh + out_proj on `<s>`) → output `logits` [batch_size, 1];
 * - `feature-extraction` → output `last_hidden_state` [batch_size, sequence_length, hidden].
 *
 * Initializers are named after the PyTorch state dict (`bert.encoder.layer.0.attention.self.query.weight`),
 * but linear weights are stored transposed, [in, out], as MatMul takes them. Weights come from
 * `randomFloat32` streams, so building the graph generates nothing: `g.parameterCount()` gives the exact
 * parameter count of the architecture without writing a byte.
 */
import { attr, GraphBuilder, type TensorSource } from '../onnx/index.js';
import { randomFloat32, type Init } from './random.js';

export type EncoderFamily = 'bert' | 'xlmr';
export type EncoderHead = 'sequence-classification' | 'feature-extraction';

export interface EncoderArch {
  family: EncoderFamily;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  /** BERT: 2; XLM-R: 1. */
  typeVocabSize: number;
  layerNormEps: number;
  /** BERT: 0 ([PAD]); XLM-R: 1 (<pad>), also its position padding_idx. */
  padTokenId: number;
}

export interface WeightInit {
  /** Seed of the weight streams (each tensor: `<seed>/<tensor name>`). */
  seed: string;
  /** Std of embeddings and linear weights (0.02 as HF initialises; ~0.2 for tiny models whose scores must vary). */
  std: number;
  /** Std of the pooler / classification head weights (default `std`); tiny models use 1/√hidden. */
  headStd?: number;
  /** Std of biases (default 0: zeros, as HF initialises). */
  biasStd?: number;
}

/** float32.min, the additive mask value of current transformers exports. */
const MASK_VALUE = -3.4028234663852886e38;

export function validateArch(a: EncoderArch): void {
  const ints: Array<keyof EncoderArch> = ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'maxPositions', 'typeVocabSize'];
  for (const k of ints) {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`encoder ${k} must be a positive integer, got ${String(v)}`);
  }
  if (a.hiddenSize % a.numHeads !== 0) throw new RangeError(`hidden size ${a.hiddenSize} is not divisible by ${a.numHeads} heads`);
  if (a.family === 'xlmr' && a.maxPositions < a.padTokenId + 2) throw new RangeError('XLM-R needs max positions > pad id + 1');
}

/** Builds the encoder graph (nothing is generated until the model is written). */
export function buildEncoderGraph(arch: EncoderArch, head: EncoderHead, init: WeightInit, graphName = 'encoder'): GraphBuilder {
  validateArch(arch);
  const g = new GraphBuilder(graphName);
  const H = arch.hiddenSize;
  const nh = arch.numHeads;
  const dh = H / nh;
  const bert = arch.family === 'bert';
  // BertModel (feature extraction) has no `bert.` prefix in its state dict; the *ForSequenceClassification ones do.
  const base = head === 'feature-extraction' ? '' : bert ? 'bert.' : 'roberta.';

  const param = (name: string, dims: number[], how: Init): string => {
    const count = dims.reduce((a, b) => a * b, 1);
    const src: TensorSource = randomFloat32(`${init.seed}/${name}`, count, how);
    return g.initializer(name, src, dims);
  };
  const weight = (name: string, dims: number[], std = init.std): string => param(name, dims, { kind: 'normal', std });
  const bias = (name: string, n: number): string =>
    param(name, [n], init.biasStd ? { kind: 'normal', std: init.biasStd } : { kind: 'constant', value: 0 });
  const layerNorm = (x: string, prefix: string): string =>
    g.op('LayerNormalization', [x, param(`${prefix}.weight`, [H], { kind: 'constant', value: 1 }), param(`${prefix}.bias`, [H], { kind: 'constant', value: 0 })], {
      axis: -1,
      epsilon: attr.float(arch.layerNormEps),
    });
  const linear = (x: string, prefix: string, nIn: number, nOut: number, std?: number): string =>
    g.op('Add', [g.op('MatMul', [x, weight(`${prefix}.weight`, [nIn, nOut], std)]), bias(`${prefix}.bias`, nOut)]);

  // Inputs.
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const tokenTypeIds = bert ? g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length']) : undefined;

  // Embeddings.
  const wordEmb = weight(`${base}embeddings.word_embeddings.weight`, [arch.vocabSize, H]);
  const posEmb = weight(`${base}embeddings.position_embeddings.weight`, [arch.maxPositions, H]);
  const typeEmb = weight(`${base}embeddings.token_type_embeddings.weight`, [arch.typeVocabSize, H]);
  const words = g.op('Gather', [wordEmb, inputIds], { axis: 0 });
  let positions: string;
  let types: string;
  if (bert) {
    const seqLen = g.op('Shape', [inputIds], { start: 1, end: 2 });
    positions = g.op('Slice', [posEmb, g.int64([0]), seqLen, g.int64([0])]); // [S, H], broadcast over the batch
    types = g.op('Gather', [typeEmb, tokenTypeIds as string], { axis: 0 });
  } else {
    const pad = g.int64([arch.padTokenId], [], 'pad_token_id');
    const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [inputIds, pad])])], { to: 7 }); // INT64
    const cum = g.op('CumSum', [notPad, g.int64([1], [], 'cumsum_axis')]);
    const posIds = g.op('Add', [g.op('Mul', [cum, notPad]), pad]);
    positions = g.op('Gather', [posEmb, posIds], { axis: 0 });
    types = typeEmb; // [1, H]: token type 0 for every position, broadcast
  }
  let x = g.op('Add', [g.op('Add', [words, positions]), types]);
  x = layerNorm(x, `${base}embeddings.LayerNorm`);

  // Additive attention mask over keys: [B, 1, 1, S].
  const one = g.float32([1], [], 'one');
  const maskF = g.op('Cast', [attentionMask], { to: 1 }); // FLOAT
  const addMask = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [one, maskF]), g.float32([MASK_VALUE], [], 'mask_value')]), g.int64([1, 2], [2], 'mask_axes')]);
  const splitHeads = g.int64([0, 0, nh, dh], [4], 'split_heads_shape');
  const mergeHeads = g.int64([0, 0, H], [3], 'merge_heads_shape');
  const scale = g.float32([Math.sqrt(dh)], [], 'attention_scale');
  const half = g.float32([0.5], [], 'half');
  const sqrt2 = g.float32([Math.SQRT2], [], 'sqrt2');

  for (let l = 0; l < arch.numLayers; l++) {
    const p = `${base}encoder.layer.${l}`;
    const q = linear(x, `${p}.attention.self.query`, H, H);
    const k = linear(x, `${p}.attention.self.key`, H, H);
    const v = linear(x, `${p}.attention.self.value`, H, H);
    const q4 = g.op('Transpose', [g.op('Reshape', [q, splitHeads])], { perm: [0, 2, 1, 3] }); // [B, nh, S, dh]
    const kT = g.op('Transpose', [g.op('Reshape', [k, splitHeads])], { perm: [0, 2, 3, 1] }); // [B, nh, dh, S]
    const v4 = g.op('Transpose', [g.op('Reshape', [v, splitHeads])], { perm: [0, 2, 1, 3] });
    const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q4, kT]), scale]), addMask]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v4])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    const attnOut = linear(ctx, `${p}.attention.output.dense`, H, H);
    x = layerNorm(g.op('Add', [attnOut, x]), `${p}.attention.output.LayerNorm`);
    const inter = linear(x, `${p}.intermediate.dense`, H, arch.intermediateSize);
    // Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).
    const gelu = g.op('Mul', [g.op('Mul', [inter, half]), g.op('Add', [g.op('Erf', [g.op('Div', [inter, sqrt2])]), one])]);
    const ffn = linear(gelu, `${p}.output.dense`, arch.intermediateSize, H);
    x = layerNorm(g.op('Add', [ffn, x]), `${p}.output.LayerNorm`);
  }

  if (head === 'feature-extraction') {
    g.op('Identity', [x], {}, { outputs: ['last_hidden_state'] });
    g.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', H]);
    return g;
  }
  const headStd = init.headStd ?? init.std;
  const first = g.op('Gather', [x, g.int64([0], [], 'first_token')], { axis: 1 }); // [B, H]
  if (bert) {
    const pooled = g.op('Tanh', [linear(first, 'bert.pooler.dense', H, H, headStd)]);
    g.op('Add', [g.op('MatMul', [pooled, weight('classifier.weight', [H, 1], headStd)]), bias('classifier.bias', 1)], {}, { outputs: ['logits'] });
  } else {
    const dense = g.op('Tanh', [linear(first, 'classifier.dense', H, H, headStd)]);
    g.op('Add', [g.op('MatMul', [dense, weight('classifier.out_proj.weight', [H, 1], headStd)]), bias('classifier.out_proj.bias', 1)], {}, { outputs: ['logits'] });
  }
  g.output('logits', 'float32', ['batch_size', 1]);
  return g;
}

/**
 * Parameter count of the architecture from its formula (what `g.parameterCount()` must equal; stated here so
 * tests can compare the graph against an independent computation).
 */
export function expectedParameterCount(a: EncoderArch, head: EncoderHead): number {
  const H = a.hiddenSize;
  const I = a.intermediateSize;
  const embeddings = a.vocabSize * H + a.maxPositions * H + a.typeVocabSize * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  const headParams = head === 'feature-extraction' ? 0 : H * H + H + H + 1; // pooler / dense + classifier / out_proj
  return embeddings + a.numLayers * layer + headParams;
}
