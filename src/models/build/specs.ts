/**
 * The models `rbench models build` makes: tiny deterministic test models and architecture stand-ins with the
 * exact shapes of real rerankers (random weights: their cost is real, their scores mean nothing).
 * Aliases and ids are those of `src/models/aliases.ts`.
 */
import type { EncoderArch, EncoderHead, WeightInit } from './encoder.js';

export type TokenizerKind = 'wordpiece' | 'unigram';

export interface BuiltModelSpec {
  /** Alias in aliases.ts. */
  alias: string;
  /** Folder name under the models directory (Hub-style id). */
  id: string;
  arch: EncoderArch;
  head: EncoderHead;
  tokenizer: { kind: TokenizerKind; vocabSize: number };
  init: WeightInit;
  /** Write weights to `onnx/model.onnx_data` (ONNX external data). */
  externalData: boolean;
  weights: 'built' | 'random';
  /** Hub id of the real model whose architecture this copies. */
  standInFor?: string;
  /** One line for the folder's README. */
  description: string;
  /** Longest input the tokenizer config announces (`model_max_length`). */
  modelMaxLength: number;
}

const BERT_BASE: Omit<EncoderArch, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'intermediateSize'> = {
  family: 'bert',
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
};

const XLMR_BASE: Omit<EncoderArch, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'intermediateSize'> = {
  family: 'xlmr',
  maxPositions: 514,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  padTokenId: 1,
};

/** Tiny models: std 0.2 weights with the head scaled by 1/√hidden, so that scores vary with the input. */
const TINY_HIDDEN = 32;
const tinyInit = (alias: string): WeightInit => ({ seed: `rbench/${alias}`, std: 0.2, headStd: 1 / Math.sqrt(TINY_HIDDEN), biasStd: 0.02 });

export const BUILT_MODELS: readonly BuiltModelSpec[] = [
  {
    alias: 'tiny-cross',
    id: 'rbench/tiny-bert-cross-encoder',
    arch: { ...BERT_BASE, vocabSize: 30522, hiddenSize: TINY_HIDDEN, numLayers: 2, numHeads: 4, intermediateSize: 64 },
    head: 'sequence-classification',
    tokenizer: { kind: 'wordpiece', vocabSize: 30522 },
    init: tinyInit('tiny-cross'),
    externalData: false,
    weights: 'built',
    description: 'Tiny BERT-style cross-encoder (2 layers, hidden 32) with deterministic weights, for tests. Its scores vary with the input but mean nothing.',
    modelMaxLength: 512,
  },
  {
    alias: 'tiny-cross-xlmr',
    id: 'rbench/tiny-xlmr-cross-encoder',
    arch: { ...XLMR_BASE, vocabSize: 32000, hiddenSize: TINY_HIDDEN, numLayers: 2, numHeads: 4, intermediateSize: 64 },
    head: 'sequence-classification',
    tokenizer: { kind: 'unigram', vocabSize: 32000 },
    init: tinyInit('tiny-cross-xlmr'),
    externalData: false,
    weights: 'built',
    description: 'Tiny XLM-RoBERTa-style cross-encoder (no token_type_ids, Unigram tokenizer) with deterministic weights, for tests.',
    modelMaxLength: 512,
  },
  {
    alias: 'tiny-embed',
    id: 'rbench/tiny-bert-bi-encoder',
    arch: { ...BERT_BASE, vocabSize: 30522, hiddenSize: TINY_HIDDEN, numLayers: 2, numHeads: 4, intermediateSize: 64 },
    head: 'feature-extraction',
    tokenizer: { kind: 'wordpiece', vocabSize: 30522 },
    init: tinyInit('tiny-embed'),
    externalData: false,
    weights: 'built',
    description: 'Tiny BERT bi-encoder (feature extraction, mean pooling by the caller) with deterministic weights, for tests.',
    modelMaxLength: 512,
  },
  {
    alias: 'minilm-standin',
    id: 'rbench/standin-ms-marco-MiniLM-L-6-v2',
    arch: { ...BERT_BASE, vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536 },
    head: 'sequence-classification',
    tokenizer: { kind: 'wordpiece', vocabSize: 30522 },
    init: { seed: 'rbench/minilm-standin', std: 0.02 },
    externalData: false,
    weights: 'random',
    standInFor: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
    description: 'Architecture stand-in for cross-encoder/ms-marco-MiniLM-L-6-v2 (Xenova/ms-marco-MiniLM-L-6-v2): exact shapes, RANDOM weights. Measures cost only; its scores are not quality.',
    modelMaxLength: 512,
  },
  {
    alias: 'bge-base-standin',
    id: 'rbench/standin-bge-reranker-base',
    arch: { ...XLMR_BASE, vocabSize: 250002, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072 },
    head: 'sequence-classification',
    tokenizer: { kind: 'unigram', vocabSize: 250002 },
    init: { seed: 'rbench/bge-base-standin', std: 0.02 },
    externalData: false,
    weights: 'random',
    standInFor: 'BAAI/bge-reranker-base',
    description: 'Architecture stand-in for BAAI/bge-reranker-base (Xenova/bge-reranker-base, XLM-RoBERTa base): exact shapes, RANDOM weights. Measures cost only.',
    modelMaxLength: 512,
  },
  {
    alias: 'bge-large-standin',
    id: 'rbench/standin-bge-reranker-large',
    arch: { ...XLMR_BASE, vocabSize: 250002, hiddenSize: 1024, numLayers: 24, numHeads: 16, intermediateSize: 4096 },
    head: 'sequence-classification',
    tokenizer: { kind: 'unigram', vocabSize: 250002 },
    init: { seed: 'rbench/bge-large-standin', std: 0.02 },
    externalData: true,
    weights: 'random',
    standInFor: 'BAAI/bge-reranker-large',
    description: 'Architecture stand-in for BAAI/bge-reranker-large (Xenova/bge-reranker-large, XLM-RoBERTa large): exact shapes, RANDOM weights, ONNX external data. Measures cost only.',
    modelMaxLength: 512,
  },
];

export const TINY_MODELS = ['tiny-cross', 'tiny-cross-xlmr', 'tiny-embed'] as const;
export const STAND_INS = ['minilm-standin', 'bge-base-standin', 'bge-large-standin'] as const;

export function findBuiltSpec(nameOrId: string): BuiltModelSpec | undefined {
  return BUILT_MODELS.find((m) => m.alias === nameOrId || m.id === nameOrId);
}

/** The Hugging Face `config.json` of a built model (with an `rbench` section recording what it is). */
export function configJson(spec: BuiltModelSpec, build: { version: number; recipe: string }): Record<string, unknown> {
  const a = spec.arch;
  const cls = spec.head === 'sequence-classification';
  const bert = a.family === 'bert';
  const arch = bert ? (cls ? 'BertForSequenceClassification' : 'BertModel') : cls ? 'XLMRobertaForSequenceClassification' : 'XLMRobertaModel';
  const config: Record<string, unknown> = {
    _name_or_path: spec.id,
    architectures: [arch],
    attention_probs_dropout_prob: 0.1,
    ...(bert ? {} : { bos_token_id: 0, eos_token_id: 2 }),
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: a.hiddenSize,
    ...(cls ? { id2label: { '0': 'LABEL_0' } } : {}),
    initializer_range: 0.02,
    intermediate_size: a.intermediateSize,
    ...(cls ? { label2id: { LABEL_0: 0 } } : {}),
    layer_norm_eps: a.layerNormEps,
    max_position_embeddings: a.maxPositions,
    model_type: bert ? 'bert' : 'xlm-roberta',
    num_attention_heads: a.numHeads,
    num_hidden_layers: a.numLayers,
    pad_token_id: a.padTokenId,
    position_embedding_type: 'absolute',
    type_vocab_size: a.typeVocabSize,
    use_cache: true,
    vocab_size: a.vocabSize,
  };
  if (spec.externalData) config['transformers.js_config'] = { use_external_data_format: true };
  config.rbench = {
    weights: spec.weights,
    ...(spec.standInFor ? { standInFor: spec.standInFor } : {}),
    alias: spec.alias,
    seed: spec.init.seed,
    buildVersion: build.version,
    recipe: build.recipe,
  };
  return config;
}
