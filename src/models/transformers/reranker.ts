/**
 * Cross-encoder reranker on @huggingface/transformers (ONNX Runtime on the CPU), strictly offline.
 *
 * Loads `AutoTokenizer` + `AutoModelForSequenceClassification` from a local Hub-layout folder (an alias,
 * a Hub id fetched into the models folder, or a folder path). Each (query, document) pair is tokenised
 * with the query kept whole and the document cut to `maxLength` tokens (`encode.ts`), documents are run
 * in batches of `batchSize` pairs padded to the batch's longest pair, and the score of a pair is the
 * model's single logit (or its sigmoid, for the families that report one: bge rerankers).
 *
 * Pointwise: a document's score does not depend on its batch neighbours. ONNX Runtime's CPU kernels give
 * bit-identical logits for a row whatever the batch size and padding length on the models tested here
 * (see test/models/transformers-reranker.test.ts, which checks it within 1e-6 and reports the largest
 * difference seen).
 *
 * Options (in the model spec): dtype `fp32` | `q8`, maxLength (default and cap: the model's limit, 512
 * for BERT and XLM-R), scores `logit` | `sigmoid` (default per family), truncation `only_second` | `longest_first`
 * (default only_second), threads (intra-op, default ctx.threads or all cores), batchSize (default 32).
 */
import { AutoModelForSequenceClassification, AutoTokenizer, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import type { ModelContext, ModelSpec, RerankerFactory } from '../registry.js';
import type { ModelIdentity, RerankOptions, Reranker } from '../types.js';
import { InputEncoder, type Encoded, type Truncation } from './encode.js';
import { configureOfflineEnv, defaultThreads, effectiveMaxLength, folderConventions, locateModel, pretrainedOptions, SpecReader, type Dtype } from './runtime.js';

export const RERANKER_OPTIONS = ['dtype', 'maxLength', 'scores', 'truncation', 'threads', 'batchSize'] as const;
export const DEFAULT_RERANK_BATCH = 32;

export type ScoreTransform = 'logit' | 'sigmoid';

/**
 * Settings recorded in the identity. maxLength, scores and truncation change scores; threads does not
 * (logits are bit-identical across thread counts, tested) and is recorded for the latency it implies.
 */
export interface RerankerSettings {
  maxLength: number;
  scores: ScoreTransform;
  truncation: Truncation;
  threads: number;
}

export class TransformersReranker implements Reranker {
  readonly identity: ModelIdentity;
  /** BERT-style models take token_type_ids; XLM-R-style ones have no such input. */
  private readonly wantsTypeIds: boolean;
  private disposed = false;

  constructor(
    identity: ModelIdentity,
    private readonly model: PreTrainedModel,
    private readonly encoder: InputEncoder,
    private readonly settings: RerankerSettings,
    private readonly defaultBatch: number,
  ) {
    this.identity = identity;
    const session = (model.sessions as Record<string, { inputNames: string[] }>).model;
    this.wantsTypeIds = session.inputNames.includes('token_type_ids');
  }

  /** One score per document, in input order (a logit, or its sigmoid when the settings say so). */
  async score(query: string, documents: string[], opts: RerankOptions = {}): Promise<Float64Array> {
    if (this.disposed) throw new Error(`reranker ${this.identity.name} was disposed`);
    const out = new Float64Array(documents.length);
    if (documents.length === 0) return out;
    const batchSize = opts.batchSize ?? this.defaultBatch;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const { maxLength, truncation } = this.settings;
    const queryTokens = this.encoder.tokens(query);
    const encoded = documents.map((d) => this.encoder.encodePair(queryTokens, d, maxLength, truncation));
    // Batches are formed in order of encoded length (stable), so each batch pads to a similar length; scores
    // are pointwise and bit-identical across batch compositions, so only the cost changes, as in
    // sentence-transformers' encode(). Results are scattered back to input order.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length || a - b);
    for (let start = 0; start < order.length; start += batchSize) {
      opts.signal?.throwIfAborted();
      const idx = order.slice(start, start + batchSize);
      const logits = await this.run(idx.map((i) => encoded[i]));
      idx.forEach((i, j) => (out[i] = this.transform(logits[j])));
    }
    return out;
  }

  /** The first logit of each row for already-encoded pairs (one forward pass). */
  async run(encoded: readonly Encoded[]): Promise<Float32Array> {
    const batch = this.encoder.pad(encoded);
    const dims = [batch.rows, batch.length];
    const inputs: Record<string, Tensor> = {
      input_ids: new Tensor('int64', batch.inputIds, dims),
      attention_mask: new Tensor('int64', batch.attentionMask, dims),
    };
    if (this.wantsTypeIds) inputs.token_type_ids = new Tensor('int64', batch.tokenTypeIds, dims);
    const output = (await this.model(inputs)) as { logits: Tensor };
    const data = output.logits.data as Float32Array;
    const labels = output.logits.dims[1] ?? 1;
    if (labels === 1) return data;
    // Several labels: the score is the first label's logit (rbench's cross-encoders all have one).
    const first = new Float32Array(batch.rows);
    for (let r = 0; r < batch.rows; r++) first[r] = data[r * labels];
    return first;
  }

  private transform(logit: number): number {
    return this.settings.scores === 'sigmoid' ? 1 / (1 + Math.exp(-logit)) : logit;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.dispose();
  }
}

export const createTransformersReranker: RerankerFactory = async (spec: ModelSpec, ctx: ModelContext): Promise<Reranker> => {
  const opts = new SpecReader(spec, 'reranker', RERANKER_OPTIONS);
  const dtype = opts.oneOf<Dtype>('dtype', ['fp32', 'q8'], 'fp32');
  const threads = opts.positiveInt('threads', defaultThreads(ctx), 1024);
  const batchSize = opts.positiveInt('batchSize', DEFAULT_RERANK_BATCH, 4096);
  const requestedMax = opts.positiveInt('maxLength', undefined);
  const truncation = opts.oneOf<Truncation>('truncation', ['only_second', 'longest_first'], 'only_second');

  configureOfflineEnv(ctx.modelsDir);
  const located = await locateModel(spec.model, ctx.modelsDir, dtype, 'reranker');
  // Family default: the alias table, else the folder's rbench config, else XLM-R cross-encoders (the bge
  // rerankers) report a sigmoid and BERT ones (ms-marco MiniLM) the raw logit.
  const familySigmoid = located.alias?.sigmoid ?? folderConventions(located.config).sigmoid ?? located.config.model_type === 'xlm-roberta';
  const scores = opts.oneOf<ScoreTransform>('scores', ['logit', 'sigmoid'], familySigmoid ? 'sigmoid' : 'logit');

  const tokenizer = await AutoTokenizer.from_pretrained(located.folder, { local_files_only: true });
  const model = await AutoModelForSequenceClassification.from_pretrained(located.folder, pretrainedOptions(dtype, threads));
  const maxLength = effectiveMaxLength(requestedMax, located.config, tokenizer.model_max_length as number);
  const encoder = new InputEncoder(tokenizer);
  if (maxLength < encoder.specialsPair + 2) {
    await model.dispose();
    throw opts.error(`maxLength ${maxLength} leaves no room for a query and a document.`, `Use at least ${encoder.specialsPair + 2}.`);
  }
  const settings: RerankerSettings = { maxLength, scores, truncation, threads };
  const identity: ModelIdentity = {
    name: spec.model,
    backend: 'transformers',
    source: located.source,
    weights: located.weights,
    sha256: located.sha256,
    dtype,
    settings: { ...settings },
  };
  return new TransformersReranker(identity, model, encoder, settings, batchSize);
};
