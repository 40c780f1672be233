/**
 * What the transformers.js reranker and embedder share: strictly offline loading of a Hub-layout model
 * folder, validation of the backend options a config may set, and the ONNX Runtime session options.
 *
 * Models are always resolved to a local folder first (`resolveLocalModel`, the one resolver of the
 * project) and that absolute folder is handed to transformers.js: a path that is not a Hub id is read
 * as a directory, so `env.localModelPath` is never consulted for it (it is still set, so that nothing
 * else can fall back to `node_modules`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, type PretrainedModelOptions } from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-node';
import { UsageError } from '../../errors.js';
import { findAlias, type ModelAlias } from '../aliases.js';
import { resolveLocalModel } from '../local.js';
import type { ModelContext, ModelSpec } from '../registry.js';
import type { WeightsKind } from '../types.js';

/** ONNX weight variants this backend loads, and the file transformers.js reads for each. */
export const DTYPE_FILES = { fp32: 'model.onnx', q8: 'model_quantized.onnx' } as const;
export type Dtype = keyof typeof DTYPE_FILES;

/** Makes transformers.js strictly offline: no Hub requests, no cache written inside node_modules. */
export function configureOfflineEnv(modelsDir: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.localModelPath = modelsDir.endsWith('/') ? modelsDir : `${modelsDir}/`;
}

/** Validates option values of a model spec; every failure is a UsageError naming the model and option. */
export class SpecReader {
  constructor(
    private readonly spec: ModelSpec,
    private readonly kind: 'reranker' | 'embedder',
    allowed: readonly string[],
  ) {
    const known = new Set(['model', 'backend', ...allowed]);
    for (const key of Object.keys(spec)) {
      if (!known.has(key)) {
        throw this.error(`unknown option "${key}".`, `Options of the transformers ${kind} backend: ${[...known].join(', ')}.`);
      }
    }
  }

  error(message: string, hint?: string): UsageError {
    return new UsageError(`${this.kind} "${this.spec.model}": ${message}`, { hint });
  }

  has(key: string): boolean {
    return this.spec[key] !== undefined;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const v = this.spec[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw this.error(`option ${key} is ${JSON.stringify(v)}.`, `Use one of: ${values.join(', ')}.`);
    }
    return v as T;
  }

  positiveInt(key: string, fallback: number, max?: number): number;
  positiveInt(key: string, fallback: undefined, max?: number): number | undefined;
  positiveInt(key: string, fallback: number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.spec[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw this.error(`option ${key} is ${JSON.stringify(v)}.`, `Use an integer from 1 to ${max}.`);
    }
    return v;
  }

  optionalString(key: string): string | undefined {
    const v = this.spec[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw this.error(`option ${key} is ${JSON.stringify(v)}.`, 'Use a string.');
    return v;
  }

  optionalBoolean(key: string): boolean | undefined {
    const v = this.spec[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.error(`option ${key} is ${JSON.stringify(v)}.`, 'Use true or false.');
    return v;
  }
}

/** Intra-op threads: the spec's `threads`, else the context's, else every core the process may use. */
export function defaultThreads(ctx: ModelContext): number {
  return ctx.threads ?? os.availableParallelism();
}

/**
 * ONNX Runtime session options used by every local model (and by the raw baseline of the benchmark):
 * `threads` intra-op threads, one inter-op thread, full graph optimisation, and no spinning of idle
 * worker threads (two sessions in one process otherwise steal each other's cores on small machines).
 * onnxruntime-node flattens `extra` into `session.intra_op.allow_spinning` etc. config entries.
 */
export function ortSessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** Options for `from_pretrained` of tokenizers and models: local files only, CPU, the chosen dtype. */
export function pretrainedOptions(dtype: Dtype, threads: number): PretrainedModelOptions {
  return {
    local_files_only: true,
    device: 'cpu',
    dtype,
    session_options: ortSessionOptions(threads),
  };
}

/** A model located on disk, with what is known about it before loading. */
export interface LocatedModel {
  /** What the user wrote. */
  name: string;
  alias: ModelAlias | undefined;
  /** Absolute model folder. */
  folder: string;
  /** Hub id when the name was an alias or id, else the folder. */
  source: string;
  sha256: string;
  /** Parsed `config.json`. */
  config: Record<string, unknown>;
  weights: WeightsKind;
}

/**
 * Resolves a model name (alias, Hub id or folder) to its local folder and content hash through
 * `resolveLocalModel`, which throws the UsageError naming the fetch/build command when the model or the
 * ONNX file of the requested dtype is absent. An alias of the other kind (an embedder named as a reranker)
 * is a UsageError too.
 */
export async function locateModel(name: string, modelsDir: string, dtype: Dtype, kind: 'reranker' | 'embedder'): Promise<LocatedModel> {
  const alias = findAlias(name);
  if (alias && alias.kind !== kind) {
    throw new UsageError(`model "${name}" is ${alias.kind === 'embedder' ? 'an embedder' : 'a reranker'}, not ${kind === 'embedder' ? 'an embedder' : 'a reranker'}.`, {
      hint: `Use it under ${alias.kind === 'embedder' ? 'embedders / retrievers' : 'rerankers'}; see \`rbench models list\`.`,
    });
  }
  const resolved = await resolveLocalModel(name, modelsDir, { dtype });
  const folder = path.resolve(resolved.dir);
  const onnxFile = path.join(folder, 'onnx', DTYPE_FILES[dtype]);
  if (!fs.existsSync(onnxFile)) {
    // resolveLocalModel checks this too; kept so the message names the file whatever it does.
    throw new UsageError(`${kind} "${name}": dtype ${dtype} needs ${onnxFile}, which does not exist.`, { hint: 'Set dtype to a variant the folder has.' });
  }
  const configFile = path.join(folder, 'config.json');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${kind} "${name}": cannot read ${configFile}: ${(e as Error).message}.`, { cause: e });
  }
  return {
    name,
    alias,
    folder,
    source: resolved.id ?? folder,
    sha256: resolved.sha256,
    config,
    weights: weightsOf(alias, config),
  };
}

/** Weights kind: from the alias table, else the folder's `config.json` `rbench.weights`, else pretrained. */
function weightsOf(alias: ModelAlias | undefined, config: Record<string, unknown>): WeightsKind {
  if (alias) return alias.weights;
  const rb = config.rbench;
  if (rb && typeof rb === 'object') {
    const w = (rb as Record<string, unknown>).weights;
    if (w === 'pretrained' || w === 'random' || w === 'built' || w === 'remote') return w;
  }
  return 'pretrained';
}

/**
 * Conventions a built model folder declares in its `config.json` under `rbench` (pooling, normalize,
 * queryPrefix, passagePrefix, sigmoid): used for folders named by path, which have no alias entry.
 */
export function folderConventions(config: Record<string, unknown>): Pick<ModelAlias, 'pooling' | 'normalize' | 'queryPrefix' | 'passagePrefix' | 'sigmoid'> {
  const rb = config.rbench;
  if (!rb || typeof rb !== 'object') return {};
  const r = rb as Record<string, unknown>;
  const out: Pick<ModelAlias, 'pooling' | 'normalize' | 'queryPrefix' | 'passagePrefix' | 'sigmoid'> = {};
  if (r.pooling === 'mean' || r.pooling === 'cls' || r.pooling === 'none') out.pooling = r.pooling;
  if (typeof r.normalize === 'boolean') out.normalize = r.normalize;
  if (typeof r.queryPrefix === 'string') out.queryPrefix = r.queryPrefix;
  if (typeof r.passagePrefix === 'string') out.passagePrefix = r.passagePrefix;
  if (typeof r.sigmoid === 'boolean') out.sigmoid = r.sigmoid;
  return out;
}

/**
 * Longest input the model accepts: `max_position_embeddings` (less RoBERTa's padding offset of 2 for
 * XLM-R / RoBERTa, whose positions start at padding_idx + 1) and the tokenizer's `model_max_length`.
 */
export function modelMaxTokens(config: Record<string, unknown>, tokenizerMax: number): number {
  let limit = Number.isFinite(tokenizerMax) && tokenizerMax > 0 ? tokenizerMax : Infinity;
  const positions = config.max_position_embeddings;
  if (typeof positions === 'number' && positions > 0) {
    const type = String(config.model_type ?? '');
    const offset = type === 'xlm-roberta' || type === 'roberta' || type === 'camembert' ? 2 : 0;
    limit = Math.min(limit, positions - offset);
  }
  return limit;
}

/**
 * The maxLength to use: the requested one (default: the model's limit, or 512 when neither the config nor
 * the tokenizer states one), never above the model's limit. Models without position embeddings (GloVe)
 * are limited only by their tokenizer's `model_max_length`.
 */
export function effectiveMaxLength(requested: number | undefined, config: Record<string, unknown>, tokenizerMax: number): number {
  const limit = modelMaxTokens(config, tokenizerMax);
  const fallback = Number.isFinite(limit) ? limit : 512;
  return Math.min(requested ?? fallback, limit);
}
