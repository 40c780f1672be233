/**
 * The ONNX graphs of the GloVe models (opset 17), built with the project's graph builder (src/models/onnx).
 * Both gather the quantised rows of the input tokens and scale only those: dequantising the whole matrix
 * first (DequantizeLinear on the initializer) would materialise 40 MB of floats on every call.
 *
 * `glove-sif` (feature extraction): inputs `input_ids`, `attention_mask` [batch, seq] int64; outputs
 * `sentence_embedding` [batch, 100] and the same tensor as `last_hidden_state` [batch, 100] (what
 * transformers.js' feature-extraction pipeline reads; with pooling "none" it returns it unchanged).
 *   v = Σ_t q8(id_t) · (scale(id_t) · sif(id_t) · mask_t)   (int8 row, Cast, times its scale and weight)
 *   v −= (v·u) u;  v /= max(‖v‖, 1e-12)
 * The reference divides v by the number of weighted tokens first; that positive factor cancels in the
 * normalisation (PC removal is linear), so the graph skips it. All-unknown text gives the zero vector.
 *
 * `glove-maxsim` (cross-encoder signature): inputs `input_ids`, `attention_mask`, `token_type_ids`;
 * output `logits` [batch, 1] = reference.ts `maxSimEncoded`. Query tokens: type 0 and attention 1
 * (special tokens and stop words carry idf 0); document tokens: type 1 and attention 1.
 * - Only the first Lq positions can hold query tokens, Lq = 1 + the last query position in the batch (the
 *   query is a prefix with right padding; left padding works too, only slower).
 * - Cosines are exact int8 dot products times the two rows' unit scales. The int8 rows are stored as
 *   uint8 (q + 128) and MatMulInteger is given zero points 128 on both sides, which yields Σ q·q' exactly
 *   and runs ONNX Runtime's fast u8 kernels (its s8×s8 path was ~1.6× slower here).
 * - max_j (dot_ij · us_j) is taken over document words (masked entries −1e30), then multiplied by the
 *   query word's unit scale us_i > 0 and floored at −1 (a document without comparable words gives −1).
 *
 * Batch independence: a row's values must not depend on the other rows or on padding. Integer dot products
 * are exact, maxima are exact, and sums run strictly in index order (`orderedSum`), so a pair's score and a
 * text's vector are bit-identical whatever batch they are in (tested).
 */
import { GraphBuilder } from '../onnx/index.js';
import type { GloveModelData } from './model-data.js';

// TensorProto.DataType codes for Cast.
const FLOAT = 1;
const UINT8 = 2;
const BOOL = 9;

/** Offset that stores an int8 value as uint8 (the MatMulInteger zero point). */
const U8_ZERO_POINT = 128;

/**
 * Sum over `axis` keeping it as size 1, accumulated strictly in index order: CumSum, then its last slice.
 * ReduceSum is not used because ONNX Runtime's vectorised reduction groups the terms by memory alignment,
 * which depends on the row's place in the batch: the same pair gave sums 1 ulp apart in different batches.
 */
function orderedSum(g: GraphBuilder, x: string, axis: number): string {
  const cumulative = g.op('CumSum', [x, g.int64([axis], [])]);
  return g.op('Slice', [cumulative, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([axis])]);
}

export function buildSifGraph(data: GloveModelData): GraphBuilder {
  const V = data.vocab.length;
  const D = data.dimension;
  const g = new GraphBuilder('glove_sif');
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const q8 = g.initializer('word_vectors_int8', data.q8, [V, D]);
  const scale = g.initializer('word_vectors_scale', data.scale, [V]);
  const sif = g.initializer('sif_weight', data.sifWeight, [V]);
  const pc = g.initializer('principal_component', data.pc, [1, D]);

  const rows = g.op('Cast', [g.op('Gather', [q8, ids], { axis: 0 })], { to: FLOAT }); // [B, L, D]
  const weights = g.op('Mul', [
    g.op('Mul', [g.op('Gather', [scale, ids], { axis: 0 }), g.op('Gather', [sif, ids], { axis: 0 })]),
    g.op('Cast', [mask], { to: FLOAT }),
  ]); // [B, L]: dequantisation scale × SIF weight × mask
  const weighted = g.op('Mul', [rows, g.op('Unsqueeze', [weights, g.int64([-1])])]); // [B, L, D]
  const v = g.op('Squeeze', [orderedSum(g, weighted, 1), g.int64([1])]); // [B, D]
  const proj = orderedSum(g, g.op('Mul', [v, pc]), 1); // [B, 1]
  const r = g.op('Sub', [v, g.op('Mul', [proj, pc])]);
  const norm = g.op('Sqrt', [orderedSum(g, g.op('Mul', [r, r]), 1)]); // [B, 1]
  const out = g.op('Div', [r, g.op('Max', [norm, g.float32([1e-12], [])])], {}, { outputs: ['sentence_embedding'] });
  g.op('Identity', [out], {}, { outputs: ['last_hidden_state'] });
  g.output('sentence_embedding', 'float32', ['batch_size', D]);
  g.output('last_hidden_state', 'float32', ['batch_size', D]);
  return g;
}

export function buildMaxSimGraph(data: GloveModelData): GraphBuilder {
  const V = data.vocab.length;
  const D = data.dimension;
  const g = new GraphBuilder('glove_maxsim');
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const types = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length']);
  const u8 = g.initializer('word_vectors_u8', Uint8Array.from(data.q8, (q) => q + U8_ZERO_POINT), [V, D]);
  const zeroPoint = g.initializer('word_vectors_zero_point', Uint8Array.of(U8_ZERO_POINT), []);
  const unitScale = g.initializer('word_vectors_unit_scale', data.unitScale, [V]);
  const idf = g.initializer('query_idf', data.idf, [V]);
  const hasVector = g.initializer('has_vector', { dataType: 'bool', byteLength: V, emit: (w) => w(data.hasVector) }, [V]);
  const docMask = g.initializer('doc_mask', { dataType: 'bool', byteLength: V, emit: (w) => w(data.docMask) }, [V]);
  const axis1 = g.int64([1]);
  const axis2 = g.int64([2]);

  // Positions.
  const attended = g.op('Cast', [mask], { to: BOOL });
  const isDocType = g.op('Equal', [types, g.int64([1], [])]);
  const docPos = g.op('And', [isDocType, attended]); // [B, L]
  const queryPos = g.op('And', [g.op('Not', [isDocType]), attended]); // [B, L]
  const docUse = g.op('And', [docPos, g.op('Gather', [docMask, ids], { axis: 0 })]); // [B, L]

  // Lq = 1 + last query position over the batch; the query prefix of ids, rows and masks.
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.int64([1], [])], { axis: 0 }); // scalar L
  const positions = g.op('Range', [g.int64([1], []), g.op('Add', [seqLen, g.int64([1], [])]), g.int64([1], [])]); // [L]: 1..L
  const lastQuery = g.op('ReduceMax', [g.op('Where', [queryPos, positions, g.int64([0], [])])], { keepdims: 0 }); // scalar
  const lq = g.op('Unsqueeze', [lastQuery, g.int64([0])]); // [1]
  const prefix = (x: string): string => g.op('Slice', [x, g.int64([0]), lq, axis1]);
  const rows = g.op('Gather', [u8, ids], { axis: 0 }); // [B, L, D] uint8
  const scales = g.op('Gather', [unitScale, ids], { axis: 0 }); // [B, L]
  const qIds = prefix(ids); // [B, Lq]
  const qPos = prefix(queryPos);
  const qScales = prefix(scales);

  // Best cosine of each query word with a document word.
  const dots = g.op('MatMulInteger', [rows, g.op('Transpose', [prefix(rows)], { perm: [0, 2, 1] }), zeroPoint, zeroPoint]); // [B, L, Lq] int32
  const scaled = g.op('Mul', [g.op('Cast', [dots], { to: FLOAT }), g.op('Unsqueeze', [scales, axis2])]); // dot · us_j
  const masked = g.op('Where', [g.op('Unsqueeze', [docUse, axis2]), scaled, g.float32([-1e30], [])]);
  const bestScaled = g.op('ReduceMax', [masked], { axes: [1], keepdims: 0 }); // [B, Lq]
  const best = g.op('Max', [g.op('Mul', [bestScaled, qScales]), g.float32([-1], [])]);

  // Exact match for query words without a vector: the same id among the document tokens.
  const same = g.op('And', [g.op('Equal', [g.op('Unsqueeze', [ids, axis2]), g.op('Unsqueeze', [qIds, axis1])]), g.op('Unsqueeze', [docPos, axis2])]); // [B, L, Lq]
  const found = g.op('ReduceMax', [g.op('Cast', [same], { to: UINT8 })], { axes: [1], keepdims: 0 }); // [B, Lq]
  const exact = g.op('Cast', [found], { to: FLOAT });
  const perWord = g.op('Where', [g.op('Gather', [hasVector, qIds], { axis: 0 }), best, exact]);

  // idf-weighted mean over query words.
  const w = g.op('Mul', [g.op('Gather', [idf, qIds], { axis: 0 }), g.op('Cast', [qPos], { to: FLOAT })]); // [B, Lq]
  const num = orderedSum(g, g.op('Mul', [w, perWord]), 1); // [B, 1]
  const den = orderedSum(g, w, 1);
  g.op('Div', [num, g.op('Max', [den, g.float32([1e-30], [])])], {}, { outputs: ['logits'] });
  g.output('logits', 'float32', ['batch_size', 1]);
  return g;
}
