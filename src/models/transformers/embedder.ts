/**
 * Bi-encoder embedder on @huggingface/transformers (ONNX Runtime on the CPU), strictly offline.
 *
 * `AutoTokenizer` + `AutoModel`, pooling done here rather than by `pipeline('feature-extraction')`: the
 * pipeline tokenises with transformers.js's truncation (which drops the closing special token of a text
 * longer than maxLength) and pools on the JS side anyway, so doing it here costs nothing and lets texts
 * be pre-cut, sorted by length and padded per batch. Measured on 256 SciFact abstracts (tiny bi-encoder,
 * batches of 32, 2 threads, medians of 5): 1.6 s this way against 2.7 s through the pipeline; on
 * real-size models the forward pass dominates and the gain is what length sorting saves in padding.
 *
 * The family conventions belong to the model and are applied automatically (CONVENTIONS.md section 3):
 * - pooling `mean` (attention-masked average of `last_hidden_state`), `cls` (its first token) or `none`
 *   (the ONNX output already is the sentence vector: the output named `sentence_embedding`, else the
 *   model's only 2-D output: GloVe models);
 * - L2 normalisation when the family says so;
 * - query prefix / passage prefix (bge-*-en-v1.5: an instruction before queries only; e5: `query: ` and
 *   `passage: ` before every text).
 * They come from the alias table, else from the folder's `config.json` `rbench` entry (built models named
 * by path), else from `inferEmbedderFamily(id)`, and any of them may be overridden in the spec (`pooling`, `normalize`, `queryPrefix`, `passagePrefix`).
 *
 * Texts of a call are embedded in batches of `batchSize` (default 32) after sorting them by token count,
 * so a batch pads little; vectors come back in input order. A text's vector does not depend on its
 * batch neighbours (within float rounding; tested).
 */
import { AutoModel, AutoTokenizer, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { inferEmbedderFamily } from '../aliases.js';
import type { EmbedderFactory, ModelContext, ModelSpec } from '../registry.js';
import type { Embedder, ModelIdentity } from '../types.js';
import { InputEncoder, type Encoded } from './encode.js';
import { configureOfflineEnv, defaultThreads, effectiveMaxLength, folderConventions, locateModel, pretrainedOptions, SpecReader, type Dtype } from './runtime.js';

export const EMBEDDER_OPTIONS = ['dtype', 'maxLength', 'threads', 'batchSize', 'pooling', 'normalize', 'queryPrefix', 'passagePrefix'] as const;
export const DEFAULT_EMBED_BATCH = 32;

export type Pooling = 'mean' | 'cls' | 'none';

/** The conventions of an embedder, recorded in its identity. */
export interface EmbedderSettings {
  pooling: Pooling;
  normalize: boolean;
  queryPrefix: string;
  passagePrefix: string;
  maxLength: number;
}

/**
 * Pools token states `[rows, length, hidden]` into one vector per row.
 * - `mean`: average of the states whose attention mask is 1 (a row with no such token gives zeros);
 * - `cls`: the state of the first position (the tokenizer pads on the right for these models).
 * Sums are accumulated in float64.
 */
export function poolTokenStates(states: Float32Array, rows: number, length: number, hidden: number, mask: BigInt64Array, pooling: 'mean' | 'cls'): Float32Array[] {
  const out: Float32Array[] = [];
  const acc = new Float64Array(hidden);
  for (let r = 0; r < rows; r++) {
    const v = new Float32Array(hidden);
    if (pooling === 'cls') {
      v.set(states.subarray(r * length * hidden, r * length * hidden + hidden));
    } else {
      acc.fill(0);
      let n = 0;
      for (let t = 0; t < length; t++) {
        if (mask[r * length + t] === 0n) continue;
        n++;
        const base = (r * length + t) * hidden;
        for (let h = 0; h < hidden; h++) acc[h] += states[base + h];
      }
      if (n > 0) for (let h = 0; h < hidden; h++) v[h] = acc[h] / n;
    }
    out.push(v);
  }
  return out;
}

/** Scales `v` in place to unit L2 norm (a zero vector stays zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

export class TransformersEmbedder implements Embedder {
  readonly identity: ModelIdentity;
  private readonly wantsTypeIds: boolean;
  private dim: number | undefined;
  private disposed = false;

  constructor(
    identity: ModelIdentity,
    private readonly model: PreTrainedModel,
    private readonly encoder: InputEncoder,
    private readonly settings: EmbedderSettings,
    private readonly batchSize: number,
  ) {
    this.identity = identity;
    const session = (model.sessions as Record<string, { inputNames: string[] }>).model;
    this.wantsTypeIds = session.inputNames.includes('token_type_ids');
  }

  async dimension(): Promise<number> {
    if (this.dim === undefined) this.dim = (await this.embedRaw(['dimension probe']))[0].length;
    return this.dim;
  }

  embedQueries(texts: string[]): Promise<Float32Array[]> {
    const p = this.settings.queryPrefix;
    return this.embedRaw(p ? texts.map((t) => p + t) : texts);
  }

  embedDocuments(texts: string[]): Promise<Float32Array[]> {
    const p = this.settings.passagePrefix;
    return this.embedRaw(p ? texts.map((t) => p + t) : texts);
  }

  /** Embeds texts as given (prefixes already applied), in batches of similar length, in input order. */
  async embedRaw(texts: string[]): Promise<Float32Array[]> {
    if (this.disposed) throw new Error(`embedder ${this.identity.name} was disposed`);
    const encoded = texts.map((t) => this.encoder.encodeSingle(t, this.settings.maxLength));
    // Longest first, ties in input order: batches pad little and the order is deterministic.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[b].ids.length - encoded[a].ids.length || a - b);
    const out = new Array<Float32Array>(texts.length);
    for (let s = 0; s < order.length; s += this.batchSize) {
      const idx = order.slice(s, s + this.batchSize);
      const vecs = await this.forward(idx.map((i) => encoded[i]));
      idx.forEach((i, j) => (out[i] = vecs[j]));
    }
    if (this.dim === undefined && out.length > 0) this.dim = out[0].length;
    return out;
  }

  private async forward(encoded: Encoded[]): Promise<Float32Array[]> {
    const batch = this.encoder.pad(encoded);
    const dims = [batch.rows, batch.length];
    const inputs: Record<string, Tensor> = {
      input_ids: new Tensor('int64', batch.inputIds, dims),
      attention_mask: new Tensor('int64', batch.attentionMask, dims),
    };
    if (this.wantsTypeIds) inputs.token_type_ids = new Tensor('int64', batch.tokenTypeIds, dims);
    const outputs = (await this.model(inputs)) as Record<string, Tensor>;
    let vecs: Float32Array[];
    if (this.settings.pooling === 'none') {
      const t = sentenceOutput(outputs);
      const hidden = t.dims[1];
      const data = t.data as Float32Array;
      vecs = [];
      for (let r = 0; r < batch.rows; r++) vecs.push(data.slice(r * hidden, (r + 1) * hidden));
    } else {
      const states = outputs.last_hidden_state;
      if (!states) throw new Error(`embedder ${this.identity.name}: the model has no last_hidden_state output (outputs: ${Object.keys(outputs).join(', ')})`);
      vecs = poolTokenStates(states.data as Float32Array, batch.rows, batch.length, states.dims[2], batch.attentionMask, this.settings.pooling);
    }
    if (this.settings.normalize) vecs.forEach(l2normalize);
    return vecs;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.dispose();
  }
}

/** For pooling `none`: the output named `sentence_embedding`, else the only 2-D output. */
function sentenceOutput(outputs: Record<string, Tensor>): Tensor {
  if (outputs.sentence_embedding) return outputs.sentence_embedding;
  const twoD = Object.values(outputs).filter((t) => t.dims.length === 2);
  if (twoD.length !== 1) {
    throw new Error(`pooling "none" needs a sentence_embedding output or exactly one 2-D output; the model has ${Object.entries(outputs).map(([k, t]) => `${k} [${t.dims.join(', ')}]`).join(', ')}`);
  }
  return twoD[0];
}

export const createTransformersEmbedder: EmbedderFactory = async (spec: ModelSpec, ctx: ModelContext): Promise<Embedder> => {
  const opts = new SpecReader(spec, 'embedder', EMBEDDER_OPTIONS);
  const dtype = opts.oneOf<Dtype>('dtype', ['fp32', 'q8'], 'fp32');
  const threads = opts.positiveInt('threads', defaultThreads(ctx), 1024);
  const batchSize = opts.positiveInt('batchSize', DEFAULT_EMBED_BATCH, 4096);
  const requestedMax = opts.positiveInt('maxLength', undefined);
  const pooling = opts.has('pooling') ? opts.oneOf<Pooling>('pooling', ['mean', 'cls', 'none'], 'mean') : undefined;
  const normalize = opts.optionalBoolean('normalize');
  const queryPrefix = opts.optionalString('queryPrefix');
  const passagePrefix = opts.optionalString('passagePrefix');

  configureOfflineEnv(ctx.modelsDir);
  const located = await locateModel(spec.model, ctx.modelsDir, dtype, 'embedder');
  const family = located.alias ?? { ...inferEmbedderFamily(located.source), ...folderConventions(located.config) };

  const tokenizer = await AutoTokenizer.from_pretrained(located.folder, { local_files_only: true });
  const model = await AutoModel.from_pretrained(located.folder, pretrainedOptions(dtype, threads));
  const maxLength = effectiveMaxLength(requestedMax, located.config, tokenizer.model_max_length as number);
  const encoder = new InputEncoder(tokenizer);
  if (maxLength < encoder.specialsSingle + 1) {
    await model.dispose();
    throw opts.error(`maxLength ${maxLength} leaves no room for text.`, `Use at least ${encoder.specialsSingle + 1}.`);
  }
  const settings: EmbedderSettings = {
    pooling: pooling ?? family.pooling ?? 'mean',
    normalize: normalize ?? family.normalize ?? true,
    queryPrefix: queryPrefix ?? family.queryPrefix ?? '',
    passagePrefix: passagePrefix ?? family.passagePrefix ?? '',
    maxLength,
  };
  const identity: ModelIdentity = {
    name: spec.model,
    backend: 'transformers',
    source: located.source,
    weights: located.weights,
    sha256: located.sha256,
    dtype,
    settings: { ...settings, truncation: 'tail' },
  };
  return new TransformersEmbedder(identity, model, encoder, settings, batchSize);
};
