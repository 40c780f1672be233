/**
 * Plain TypeScript reference implementations of the two GloVe models, in float64 over the same constants
 * (model-data.ts) the ONNX graphs hold. Tests require the ONNX outputs to equal these within 1e-4.
 *
 * Inputs are tokenised as the shipped tokenizer does it (analyzer tokens, `[CLS] A [SEP]` and
 * `[CLS] A [SEP] B [SEP]`), and cut to `maxLength` tokens the way rbench's transformers backend cuts them:
 * a single text keeps its first `maxLength − 2` tokens; a pair keeps the query whole and the document's
 * first `maxLength − 3 − |query|` tokens.
 */
import { CLS_ID, type GloveModelData, SEP_ID, sifMean, textToIds } from './model-data.js';

export interface Encoded {
  ids: number[];
  typeIds: number[];
}

/** `[CLS] text [SEP]`, the text cut to `maxLength − 2` tokens. */
export function encodeSingle(data: GloveModelData, text: string, maxLength = data.recipe.maxLength): Encoded {
  const ids = textToIds(data, text).slice(0, Math.max(0, maxLength - 2));
  const all = [CLS_ID, ...ids, SEP_ID];
  return { ids: all, typeIds: all.map(() => 0) };
}

/** `[CLS] query [SEP] document [SEP]` with type ids 0 / 1; the document cut to fit `maxLength`. */
export function encodePair(data: GloveModelData, query: string, document: string, maxLength = data.recipe.maxLength): Encoded {
  const q = textToIds(data, query);
  const room = maxLength - 3 - q.length;
  if (room < 1) throw new RangeError(`query of ${q.length} tokens leaves no room for the document in ${maxLength} tokens`);
  const d = textToIds(data, document).slice(0, room);
  return {
    ids: [CLS_ID, ...q, SEP_ID, ...d, SEP_ID],
    typeIds: [0, ...q.map(() => 0), 0, ...d.map(() => 1), 1],
  };
}

/**
 * SIF sentence embedding (Arora, Liang & Ma 2017, "A simple but tough-to-beat baseline for sentence
 * embeddings"): v = (1/n) Σ a/(a + p(w)) · v(w) over the n tokens that have a GloVe vector and are not stop
 * words; then v − (u·v)u with u the first principal component of the corpus documents' v; then L2-normalised.
 * A text with no such token gives the zero vector.
 */
export function sifEmbedIds(data: GloveModelData, ids: ArrayLike<number>): Float32Array {
  const v = sifMean(data, ids);
  const dim = data.dimension;
  let proj = 0;
  for (let k = 0; k < dim; k++) proj += v[k] * data.pc[k];
  let norm = 0;
  for (let k = 0; k < dim; k++) {
    v[k] -= proj * data.pc[k];
    norm += v[k] * v[k];
  }
  norm = Math.sqrt(norm);
  const out = new Float32Array(dim);
  if (norm > 0) for (let k = 0; k < dim; k++) out[k] = v[k] / norm;
  return out;
}

export function sifEmbed(data: GloveModelData, text: string, maxLength = data.recipe.maxLength): Float32Array {
  return sifEmbedIds(data, encodeSingle(data, text, maxLength).ids);
}

/**
 * Late-interaction GloVe MaxSim score of an encoded pair:
 *   score = Σ_i idf(q_i) · s_i / Σ_i idf(q_i)
 * over the query tokens q_i (type 0, not special, not stop words: those have idf 0), where
 * - s_i = max(−1, max_j cos(q_i, d_j)) over the document tokens d_j (type 1) that have a GloVe vector and
 *   are not stop words, when q_i has a vector (−1 when the document has no such token);
 * - s_i = 1 if the id q_i occurs among the document tokens else 0, when q_i has no vector (numbers, rare
 *   corpus words: exact match).
 * idf = ln(1 + (N − df + 0.5)/(df + 0.5)) over the corpus. Score 0 when no query token has a weight.
 * Range [−1, 1]; a raw score, no sigmoid.
 */
export function maxSimEncoded(data: GloveModelData, enc: Encoded): number {
  const dim = data.dimension;
  const qIds: number[] = [];
  const dIds: number[] = [];
  for (let i = 0; i < enc.ids.length; i++) (enc.typeIds[i] === 1 ? dIds : qIds).push(enc.ids[i]);
  const docWords = dIds.filter((id) => data.docMask[id] === 1);
  const docSet = new Set(dIds);
  let num = 0;
  let den = 0;
  for (const id of qIds) {
    const w = data.idf[id];
    if (!(w > 0)) continue;
    let s: number;
    if (data.hasVector[id]) {
      // cos = (q8 row · q8 row) · unitScale · unitScale: the int8 dot product is exact.
      s = -1;
      for (const d of docWords) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += data.q8[id * dim + k] * data.q8[d * dim + k];
        const c = dot * data.unitScale[id] * data.unitScale[d];
        if (c > s) s = c;
      }
    } else {
      s = docSet.has(id) ? 1 : 0;
    }
    num += w * s;
    den += w;
  }
  return den > 0 ? num / den : 0;
}

export function maxSimScore(data: GloveModelData, query: string, document: string, maxLength = data.recipe.maxLength): number {
  return maxSimEncoded(data, encodePair(data, query, document, maxLength));
}
