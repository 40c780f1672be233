/**
 * Everything the two GloVe models of one corpus are made of, computed from the GloVe base and the corpus:
 * vocabulary, int8 word vectors with per-row scales, SIF weights and principal component (embedder), idf
 * weights and masks (MaxSim reranker). The ONNX graphs take these arrays as initializers as they are, and
 * the reference scorers (reference.ts) read the same arrays, so graph and reference share every constant.
 *
 * Vocabulary (ids in this order):
 * 1. `[PAD]` 0, `[UNK]` 1, `[CLS]` 2, `[SEP]` 3;
 * 2. the `topWords` (default 100,000) most frequent GloVe words the analyzer can produce (GloVe's
 *    punctuation and hyphenated or apostrophe forms can never be tokens, so they are skipped);
 * 3. every other corpus word, by corpus frequency (descending), ties by code-unit order. Corpus words
 *    without a GloVe vector (numbers, one-letter words, rare forms) get an id and a zero vector: they weigh
 *    nothing in SIF and match exactly in MaxSim.
 * Text outside the vocabulary (query words in neither list) maps to `[UNK]`, which weighs nothing.
 *
 * Int8: row r of GloVe is stored as q = round(v / s), s = max|v| / 127 (per row), so v ≈ q·s. The SIF
 * embedder dequantises with `scale` = s; MaxSim needs unit vectors and uses `unitScale` = 1 / ‖q‖, which
 * makes the dequantised row exactly unit length (up to float rounding) with no normalisation in the graph.
 */
import { createHash } from 'node:crypto';
import { docText, type Doc } from '../../data/types.js';
import { analyze, isAnalyzerToken, STOP_SET, STOP_WORDS } from './analyzer.js';
import type { GloveBase } from './vectors.js';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;

/** Bumped whenever the recipe, the graphs or the tokenizer change what is built from the same inputs (invalidates built models). */
export const GLOVE_RECIPE_VERSION = 3;

export interface GloveRecipeOptions {
  /** GloVe words taken by frequency before the corpus words are added (default 100,000). */
  topWords?: number;
  /** SIF smoothing constant a in a / (a + p(w)) (default 1e-3, Arora et al. 2017). */
  sifA?: number;
  /** Tokens per input including special tokens, `model_max_length` of the tokenizer (default 8192). */
  maxLength?: number;
}

export const DEFAULT_RECIPE: Required<GloveRecipeOptions> = { topWords: 100_000, sifA: 1e-3, maxLength: 8192 };

/** What was built and from what; recorded in each model's `config.json` under `rbench.recipe`. */
export interface GloveRecipe {
  version: number;
  vectors: string;
  /** sha256 of the converted GloVe base. */
  vectorsSha256: string;
  corpusSha256: string;
  corpusDocs: number;
  corpusTokens: number;
  topWords: number;
  sifA: number;
  maxLength: number;
  stopWords: number;
  vocabSize: number;
  /** Vocabulary entries with a GloVe vector. */
  wordsWithVectors: number;
  /** Share of corpus tokens (stop words included) that have a GloVe vector. */
  tokenCoverage: number;
  analyzer: string;
  idf: string;
}

/** Corpus statistics from one pass over the documents. */
export interface CorpusStats {
  /** Distinct corpus words in first-seen order. */
  words: string[];
  /** Tokens of each document as indexes into `words`. */
  docs: Int32Array[];
  /** Occurrences of each word in the corpus. */
  counts: Float64Array;
  /** Documents containing each word. */
  df: Float64Array;
  totalTokens: number;
  /** sha256 over the documents' ids and model texts, in order. */
  sha256: string;
}

/** Reads the corpus once: analyzer tokens of `docText(doc)`, word counts, document frequencies, content hash. */
export async function collectCorpus(corpus: Iterable<Doc> | AsyncIterable<Doc>): Promise<CorpusStats> {
  const index = new Map<string, number>();
  const words: string[] = [];
  const counts: number[] = [];
  const df: number[] = [];
  const docs: Int32Array[] = [];
  const hash = createHash('sha256');
  let total = 0;
  for await (const doc of corpus) {
    const text = docText(doc);
    hash.update(JSON.stringify([doc.id, text]) + '\n');
    const toks = analyzeWithSpecials(text);
    const ids = new Int32Array(toks.length);
    const seen = new Set<number>();
    let n = 0;
    for (const t of toks) {
      if (t.special !== undefined) continue; // literal "[SEP]" etc.: special ids, not words
      let id = index.get(t.word);
      if (id === undefined) {
        id = words.length;
        index.set(t.word, id);
        words.push(t.word);
        counts.push(0);
        df.push(0);
      }
      ids[n++] = id;
      counts[id]++;
      if (!seen.has(id)) {
        seen.add(id);
        df[id]++;
      }
    }
    total += n;
    docs.push(ids.subarray(0, n));
  }
  return { words, docs, counts: Float64Array.from(counts), df: Float64Array.from(df), totalTokens: total, sha256: hash.digest('hex') };
}

/** The arrays of both models (see the file comment). All per-id arrays have `vocab.length` entries. */
export interface GloveModelData {
  vocab: string[];
  ids: Map<string, number>;
  dimension: number;
  /** `vocab.length × dimension` int8 GloVe rows (zero rows for words without a vector). */
  q8: Int8Array;
  /** Dequantisation scale of each row (0 without a vector). */
  scale: Float32Array;
  /** Scale that makes each dequantised row unit length (0 without a vector). */
  unitScale: Float32Array;
  hasVector: Uint8Array;
  /** SIF weight a / (a + p(w)) of words with a vector that are not stop words; 0 otherwise. */
  sifWeight: Float32Array;
  /** First principal component of the corpus SIF embeddings (unit length, float32 as in the graph). */
  pc: Float32Array;
  /** MaxSim query-word weight: BM25 idf from the corpus; 0 for stop words and special tokens. */
  idf: Float32Array;
  /** MaxSim: 1 where a document word takes part in the max cosine (has a vector, not a stop word). */
  docMask: Uint8Array;
  recipe: GloveRecipe;
}

/** Builds the model arrays from the GloVe base and the corpus statistics. */
export function buildModelData(base: GloveBase, corpus: CorpusStats, options: GloveRecipeOptions = {}): GloveModelData {
  const opts = { ...DEFAULT_RECIPE, ...options };
  if (!Number.isInteger(opts.topWords) || opts.topWords < 0) throw new RangeError(`topWords must be a non-negative integer, got ${opts.topWords}`);
  if (!(opts.sifA > 0)) throw new RangeError(`sifA must be positive, got ${opts.sifA}`);
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 8) throw new RangeError(`maxLength must be an integer >= 8, got ${opts.maxLength}`);
  const dim = base.dimension;

  // 1. Vocabulary.
  const vocab: string[] = [...SPECIAL_TOKENS];
  const ids = new Map<string, number>(vocab.map((t, i) => [t, i]));
  for (let r = 0; r < base.words.length && vocab.length - SPECIAL_TOKENS.length < opts.topWords; r++) {
    const w = base.words[r];
    if (isAnalyzerToken(w) && !ids.has(w)) {
      ids.set(w, vocab.length);
      vocab.push(w);
    }
  }
  const corpusOrder = corpus.words
    .map((_, i) => i)
    .filter((i) => !ids.has(corpus.words[i]))
    .sort((a, b) => corpus.counts[b] - corpus.counts[a] || (corpus.words[a] < corpus.words[b] ? -1 : corpus.words[a] > corpus.words[b] ? 1 : 0));
  for (const i of corpusOrder) {
    ids.set(corpus.words[i], vocab.length);
    vocab.push(corpus.words[i]);
  }
  const V = vocab.length;

  // Corpus statistics per vocabulary id.
  const count = new Float64Array(V);
  const df = new Float64Array(V);
  for (let i = 0; i < corpus.words.length; i++) {
    const id = ids.get(corpus.words[i]) as number;
    count[id] = corpus.counts[i];
    df[id] = corpus.df[i];
  }

  // 2. Int8 rows.
  const q8 = new Int8Array(V * dim);
  const scale = new Float32Array(V);
  const unitScale = new Float32Array(V);
  const hasVector = new Uint8Array(V);
  let coveredTokens = 0;
  for (let id = SPECIAL_TOKENS.length; id < V; id++) {
    const r = base.row(vocab[id]);
    if (r === undefined) continue;
    const off = r * dim;
    let maxAbs = 0;
    for (let k = 0; k < dim; k++) maxAbs = Math.max(maxAbs, Math.abs(base.vectors[off + k]));
    if (maxAbs === 0) continue;
    const s = maxAbs / 127;
    let sq = 0;
    for (let k = 0; k < dim; k++) {
      const q = Math.max(-127, Math.min(127, Math.round(base.vectors[off + k] / s)));
      q8[id * dim + k] = q;
      sq += q * q;
    }
    scale[id] = s;
    unitScale[id] = 1 / Math.sqrt(sq);
    hasVector[id] = 1;
    coveredTokens += count[id];
  }

  // 3. Weights and masks.
  const total = corpus.totalTokens;
  const N = corpus.docs.length;
  const sifWeight = new Float32Array(V);
  const idf = new Float32Array(V);
  const docMask = new Uint8Array(V);
  for (let id = SPECIAL_TOKENS.length; id < V; id++) {
    if (STOP_SET.has(vocab[id])) continue;
    idf[id] = Math.log(1 + (N - df[id] + 0.5) / (df[id] + 0.5));
    if (hasVector[id]) {
      const p = total > 0 ? count[id] / total : 0;
      sifWeight[id] = opts.sifA / (opts.sifA + p);
      docMask[id] = 1;
    }
  }

  const data: GloveModelData = {
    vocab,
    ids,
    dimension: dim,
    q8,
    scale,
    unitScale,
    hasVector,
    sifWeight,
    pc: new Float32Array(dim),
    idf,
    docMask,
    recipe: {
      version: GLOVE_RECIPE_VERSION,
      vectors: `glove.6B.100d (${base.manifest.source.package}@${base.manifest.source.version})`,
      vectorsSha256: base.manifest.sha256,
      corpusSha256: corpus.sha256,
      corpusDocs: N,
      corpusTokens: total,
      topWords: opts.topWords,
      sifA: opts.sifA,
      maxLength: opts.maxLength,
      stopWords: STOP_WORDS.length,
      vocabSize: V,
      wordsWithVectors: hasVector.reduce((s, x) => s + x, 0),
      tokenCoverage: total > 0 ? coveredTokens / total : 0,
      analyzer: 'lowercase; tokens = runs of [\\p{L}\\p{N}]; NLTK English stop words (153 apostrophe-free) weigh 0',
      idf: 'ln(1 + (N - df + 0.5) / (df + 0.5))',
    },
  };

  // 4. First principal component of the corpus SIF embeddings (uncentred, as Arora et al.'s TruncatedSVD).
  const X = corpus.docs.map((doc) => sifMean(data, remap(doc, corpus, ids)));
  data.pc = Float32Array.from(firstPrincipalComponent(X, dim));
  return data;
}

function remap(doc: Int32Array, corpus: CorpusStats, ids: Map<string, number>): Int32Array {
  const out = new Int32Array(doc.length);
  for (let i = 0; i < doc.length; i++) out[i] = ids.get(corpus.words[doc[i]]) as number;
  return out;
}

/**
 * The SIF average of a token-id sequence before principal-component removal:
 * (1/n) Σ weight(w) · v(w) over the n tokens with a positive weight (zero vector when n = 0), in float64.
 */
export function sifMean(data: GloveModelData, tokenIds: ArrayLike<number>): Float64Array {
  const dim = data.dimension;
  const v = new Float64Array(dim);
  let n = 0;
  for (let i = 0; i < tokenIds.length; i++) {
    const id = tokenIds[i];
    const w = data.sifWeight[id];
    if (!(w > 0)) continue;
    n++;
    const f = w * data.scale[id];
    const off = id * dim;
    for (let k = 0; k < dim; k++) v[k] += f * data.q8[off + k];
  }
  if (n > 0) for (let k = 0; k < dim; k++) v[k] /= n;
  return v;
}

/**
 * Unit eigenvector of the largest eigenvalue of XᵀX (= first right singular vector of X, no centring), by
 * power iteration from a fixed start in float64; sign fixed so that the largest-magnitude entry is positive.
 * All-zero X gives the zero vector (nothing to remove).
 */
export function firstPrincipalComponent(X: readonly Float64Array[], dim: number): Float64Array {
  const C = new Float64Array(dim * dim);
  for (const x of X) {
    for (let i = 0; i < dim; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let j = 0; j < dim; j++) C[i * dim + j] += xi * x[j];
    }
  }
  let u = new Float64Array(dim).fill(1 / Math.sqrt(dim));
  let lambda = 0;
  for (let it = 0; it < 100_000; it++) {
    const next = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += C[i * dim + j] * u[j];
      next[i] = s;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return new Float64Array(dim);
    let delta = 0;
    for (let i = 0; i < dim; i++) {
      next[i] /= norm;
      delta = Math.max(delta, Math.abs(next[i] - u[i]));
    }
    u = next;
    const converged = delta < 1e-12 || Math.abs(norm - lambda) <= 1e-15 * norm;
    lambda = norm;
    if (converged && it > 10) break;
  }
  let big = 0;
  for (let i = 1; i < dim; i++) if (Math.abs(u[i]) > Math.abs(u[big])) big = i;
  if (u[big] < 0) for (let i = 0; i < dim; i++) u[i] = -u[i];
  return u;
}

/** A token of model input: a word of the analyzer, or one of the special tokens written literally in the text. */
export interface InputToken {
  word: string;
  special?: number;
}

const LITERAL_SPECIALS = /(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\])/;

/**
 * Analyzer tokens of `text`, with literal special-token strings (`[SEP]` typed in a document) kept as those
 * special tokens, as the tokenizer does (it splits added tokens out of the raw text before normalising).
 */
export function analyzeWithSpecials(text: string): InputToken[] {
  if (!text.includes('[')) return analyze(text).map((word) => ({ word }));
  const out: InputToken[] = [];
  const parts = text.split(LITERAL_SPECIALS);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) out.push({ word: parts[i], special: SPECIAL_TOKENS.indexOf(parts[i] as (typeof SPECIAL_TOKENS)[number]) });
    else for (const word of analyze(parts[i])) out.push({ word });
  }
  return out;
}

/** Token ids of a text without special tokens added (unknown words → `[UNK]`). */
export function textToIds(data: GloveModelData, text: string): number[] {
  return analyzeWithSpecials(text).map((t) => t.special ?? data.ids.get(t.word) ?? UNK_ID);
}
