/**
 * Builds the two GloVe models of a corpus as Hub-layout model folders that transformers.js loads like any
 * other model:
 *
 *   <modelsDir>/rbench/glove-sif-<corpusId>/     feature extraction: sentence vector [batch, 100]
 *   <modelsDir>/rbench/glove-maxsim-<corpusId>/  cross-encoder: logits [batch, 1]
 *     config.json  tokenizer.json  tokenizer_config.json  onnx/model.onnx
 *
 * Idempotent: a folder whose `config.json` records the same inputs hash (recipe version and options,
 * GloVe package version and size, corpus content hash) is kept as it is. Each folder is written under a
 * temporary name and renamed into place, under a lock, so a crash or a concurrent build never leaves a
 * half-written model.
 *
 * What a backend must do with them (transformers.js 4.3):
 * - glove-sif: pooling `none`. The ONNX outputs `sentence_embedding` and `last_hidden_state`, both
 *   [batch, 100], already pooled, PC-removed and L2-normalised. rbench's transformers backend reads
 *   `sentence_embedding` (and its own normalisation keeps zero vectors zero). With
 *   `pipeline('feature-extraction', dir)`, call it with `{pooling: 'none'}` and without `normalize`:
 *   transformers.js' `normalize` turns the zero vector of an all-unknown text into NaN.
 * - glove-maxsim: `AutoTokenizer` + `AutoModelForSequenceClassification` (model_type bert,
 *   BertForSequenceClassification), pairs tokenised `[CLS] q [SEP] d [SEP]` with token_type_ids;
 *   `logits[:, 0]` is the score, in [−1, 1], no sigmoid.
 * - No position embeddings: `tokenizer_config.json` `model_max_length` (8192 by default) is the only limit.
 *   A backend default of 512 tokens cuts long documents (TIME: 186 of 423; SciFact: 48 of 5,183).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { Doc } from '../../data/types.js';
import { writeModel } from '../onnx/index.js';
import { buildMaxSimGraph, buildSifGraph } from './graphs.js';
import {
  buildModelData,
  collectCorpus,
  type CorpusStats,
  DEFAULT_RECIPE,
  GLOVE_RECIPE_VERSION,
  type GloveModelData,
  type GloveRecipe,
  type GloveRecipeOptions,
  PAD_ID,
} from './model-data.js';
import { tokenizerConfigJson, tokenizerJson } from './tokenizer.js';
import { type GloveBase, loadGloveBase, locateGlovePackage, sha256Hex, withLock } from './vectors.js';

export interface GloveBuildOptions {
  corpus: Iterable<Doc> | AsyncIterable<Doc>;
  /** Names the folders (`rbench/glove-sif-<corpusId>`): letters, digits, `.`, `_`, `-`. */
  corpusId: string;
  modelsDir: string;
  /** Rebuild even when up to date. */
  force?: boolean;
  /** Vocabulary size, SIF constant, max length (defaults: 100k words, 1e-3, 8192). */
  recipe?: GloveRecipeOptions;
  /** An already loaded GloVe base (saves ~1 s per call in scripts building many corpora). */
  base?: GloveBase;
  log?: (message: string) => void;
}

export interface GloveBuildResult {
  embedderDir: string;
  rerankerDir: string;
  embedderId: string;
  rerankerId: string;
  /** False when both folders were already up to date. */
  built: boolean;
  recipe: GloveRecipe;
}

export const gloveEmbedderId = (corpusId: string): string => `rbench/glove-sif-${corpusId}`;
export const gloveRerankerId = (corpusId: string): string => `rbench/glove-maxsim-${corpusId}`;

const CORPUS_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export async function buildGloveModels(opts: GloveBuildOptions): Promise<GloveBuildResult> {
  const stats = await collectCorpus(opts.corpus);
  const { data: _data, ...result } = await buildFromStats(stats, opts, false);
  return result;
}

/**
 * `buildGloveModels` that also returns the models' arrays (for the reference scorers in tests and
 * measurements): computed even when the folders are up to date and not rewritten.
 */
export async function buildGloveModelsWithData(opts: GloveBuildOptions): Promise<GloveBuildResult & { data: GloveModelData }> {
  const stats = await collectCorpus(opts.corpus);
  const result = await buildFromStats(stats, opts, true);
  if (!result.data) throw new Error('model data was not computed');
  return { ...result, data: result.data };
}

async function buildFromStats(stats: CorpusStats, opts: GloveBuildOptions, needData: boolean): Promise<GloveBuildResult & { data?: GloveModelData }> {
  if (!CORPUS_ID_RE.test(opts.corpusId)) {
    throw new UsageError(`corpus id "${opts.corpusId}" cannot name a model folder.`, { hint: 'Use letters, digits, ".", "_" and "-" only, starting with a letter or digit.' });
  }
  if (stats.docs.length === 0) throw new UsageError(`cannot build GloVe models for corpus "${opts.corpusId}": it has no documents.`);
  const embedderId = gloveEmbedderId(opts.corpusId);
  const rerankerId = gloveRerankerId(opts.corpusId);
  const embedderDir = path.join(opts.modelsDir, ...embedderId.split('/'));
  const rerankerDir = path.join(opts.modelsDir, ...rerankerId.split('/'));
  const recipeOptions = { ...DEFAULT_RECIPE, ...opts.recipe };
  const pkg = locateGlovePackage();
  const inputsHash = sha256Hex(
    JSON.stringify({
      recipe: GLOVE_RECIPE_VERSION,
      options: recipeOptions,
      glove: { version: pkg.version, bytes: fs.statSync(pkg.file).size },
      corpus: stats.sha256,
    }),
  );
  const ids = { embedderDir, rerankerDir, embedderId, rerankerId };
  const existing = opts.force ? undefined : upToDate(embedderDir, inputsHash) && upToDate(rerankerDir, inputsHash);
  if (existing && !needData) return { ...ids, built: false, recipe: existing };
  const base = opts.base ?? (await loadGloveBase(opts.modelsDir, { log: opts.log }));
  const data = buildModelData(base, stats, recipeOptions);
  if (existing) return { ...ids, built: false, recipe: existing, data };
  opts.log?.(`building GloVe models for corpus "${opts.corpusId}" (${stats.docs.length} documents)`);
  const wrote = await writeFolders(data, inputsHash, opts.corpusId, embedderDir, rerankerDir, !!opts.force, opts.log);
  return { ...ids, built: wrote, recipe: data.recipe, data };
}

/** The recipe of a built folder when its inputs hash matches and its files are all there. */
function upToDate(dir: string, inputsHash: string): GloveRecipe | undefined {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { rbench?: { inputsHash?: string; recipe?: GloveRecipe } };
    if (config.rbench?.inputsHash !== inputsHash || !config.rbench.recipe) return undefined;
    for (const f of ['tokenizer.json', 'tokenizer_config.json', path.join('onnx', 'model.onnx')]) {
      if (!fs.statSync(path.join(dir, f)).isFile()) return undefined;
    }
    return config.rbench.recipe;
  } catch {
    return undefined;
  }
}

/** Writes both folders under a per-corpus lock; false when another process wrote them meanwhile. */
async function writeFolders(
  data: GloveModelData,
  inputsHash: string,
  corpusId: string,
  embedderDir: string,
  rerankerDir: string,
  force: boolean,
  log?: (m: string) => void,
): Promise<boolean> {
  const parent = path.dirname(embedderDir);
  fs.mkdirSync(parent, { recursive: true });
  const tokenizer = JSON.stringify(tokenizerJson(data));
  const tokenizerConfig = JSON.stringify(tokenizerConfigJson(data), null, 2) + '\n';
  const common = {
    vocab_size: data.vocab.length,
    pad_token_id: PAD_ID,
    model_type: 'bert',
  };
  const rbench = <T extends Record<string, unknown>>(kind: string, extra: T) => ({
    weights: 'built',
    family: kind,
    ...extra,
    recipe: data.recipe,
    inputsHash,
  });
  const embedderConfig = {
    architectures: ['BertModel'],
    ...common,
    hidden_size: data.dimension,
    rbench: rbench('glove-sif', {
      description: 'GloVe 100d SIF sentence embedding (Arora et al. 2017): a/(a+p(w)) weights, first principal component removed, L2-normalised',
      pooling: 'none',
      output: 'last_hidden_state = sentence_embedding [batch, 100], pooled and normalised',
    }),
  };
  const rerankerConfig = {
    architectures: ['BertForSequenceClassification'],
    ...common,
    num_labels: 1,
    id2label: { '0': 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    rbench: rbench('glove-maxsim', {
      description: 'late-interaction GloVe MaxSim: idf-weighted mean over query words of the best cosine with a document word (exact match for words without a vector)',
      output: 'logits [batch, 1], a raw score in [-1, 1], no sigmoid',
    }),
  };
  const wrote = await withLock(path.join(parent, `.glove-${corpusId}.lock`), async () => {
    if (!force && upToDate(embedderDir, inputsHash) && upToDate(rerankerDir, inputsHash)) return false;
    writeFolderAtomic(embedderDir, (tmp) => {
      writeModel(buildSifGraph(data), path.join(tmp, 'onnx', 'model.onnx'), { docString: embedderConfig.rbench.description });
      fs.writeFileSync(path.join(tmp, 'tokenizer.json'), tokenizer);
      fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), tokenizerConfig);
      fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(embedderConfig, null, 2) + '\n');
    });
    writeFolderAtomic(rerankerDir, (tmp) => {
      writeModel(buildMaxSimGraph(data), path.join(tmp, 'onnx', 'model.onnx'), { docString: rerankerConfig.rbench.description });
      fs.writeFileSync(path.join(tmp, 'tokenizer.json'), tokenizer);
      fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), tokenizerConfig);
      fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(rerankerConfig, null, 2) + '\n');
    });
    return true;
  });
  if (wrote) log?.(`wrote ${embedderDir} and ${rerankerDir} (vocabulary ${data.vocab.length})`);
  return wrote;
}

/** Fills a fresh temporary folder beside `dir`, then swaps it into place (the old folder is removed). */
function writeFolderAtomic(dir: string, fill: (tmp: string) => void): void {
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-${suffix}`);
  const old = path.join(path.dirname(dir), `.${path.basename(dir)}.old-${suffix}`);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

