/**
 * Experiment configuration: YAML or JSON, validated by a schema (zod) with every key checked. Errors name
 * the file, the line (YAML and JSON both), the key path and the allowed values, and exit with code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { canonicalJson } from '../canonical.js';
import { datasetSpecSchema } from '../data/datasets.js';
import { MODEL_ALIASES, findAlias } from '../models/aliases.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** Either one value or a list of values to sweep over. */
const sweepable = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);

/** A dataset entry: src/data's dataset spec (bundled/shared/fetched name, BEIR or CSV path) plus run options. */
const datasetSchema = datasetSpecSchema.safeExtend({
  /** Evaluate only the first N judged queries (in file order): for quick trials, never for published numbers. */
  maxQueries: positiveInt.optional(),
});

const modelOptions = {
  backend: z.enum(['transformers', 'http', 'llm']).optional(),
  dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).optional(),
  maxLength: positiveInt.optional(),
  threads: positiveInt.optional(),
  api: z.enum(['tei', 'cohere-v1', 'cohere-v2', 'jina', 'openai']).optional(),
  url: z.string().url().optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable holding the key, not the key itself').optional(),
  maxBatch: positiveInt.optional(),
  concurrency: positiveInt.optional(),
  timeoutMs: positiveInt.optional(),
  retries: nonNegativeInt.optional(),
  backoffMs: nonNegativeInt.optional(),
  maxBackoffMs: nonNegativeInt.optional(),
  maxRetryAfterMs: nonNegativeInt.optional(),
};

const embedderSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({
    model: z.string().min(1),
    ...modelOptions,
    batchSize: positiveInt.optional(),
    queryPrefix: z.string().optional(),
    passagePrefix: z.string().optional(),
    pooling: z.enum(['mean', 'cls', 'none']).optional(),
    normalize: z.boolean().optional(),
  }),
]);

const sweepSchema = z.record(z.string(), z.array(z.union([z.number(), z.string(), z.boolean()])).min(1)).optional();

const bm25Schema = z.strictObject({
  type: z.literal('bm25'),
  name: z.string().min(1).optional(),
  engine: z.enum(['lucene', 'wink']).default('lucene'),
  k1: z.number().nonnegative().default(0.9),
  b: z.number().min(0).max(1).default(0.4),
  fields: z.enum(['flat', 'multifield']).default('flat'),
  /** Multifield: weight of each field's score (Anserini's default 1.0 / 1.0). */
  fieldWeights: z.strictObject({ title: z.number().nonnegative().optional(), text: z.number().nonnegative().optional() }).optional(),
  analyzer: z.enum(['english', 'simple']).default('english'),
  /** Document lengths as Lucene stores them (one-byte norms, the default, reproduces Anserini) or exact. */
  norms: z.enum(['lucene', 'exact']).optional(),
  sweep: sweepSchema,
});

const vectorSchema = z.strictObject({
  type: z.literal('vector'),
  name: z.string().min(1).optional(),
  embedder: embedderSpecSchema,
  index: z.enum(['exact', 'hnsw']).default('exact'),
  hnsw: z
    .strictObject({ M: positiveInt.default(16), efConstruction: positiveInt.default(200), efSearch: positiveInt.default(100), seed: nonNegativeInt.default(100) })
    .optional(),
  batchSize: positiveInt.default(64),
  sweep: sweepSchema,
});

const hybridSchema = z.strictObject({
  type: z.literal('hybrid'),
  name: z.string().min(1).optional(),
  of: z.array(z.string().min(1)).min(2),
  fusion: z.enum(['rrf', 'weighted']).default('rrf'),
  rrfK: z.number().nonnegative().default(60),
  /** Weighted fusion: one weight per retriever in `of`. */
  weights: z.array(z.number().nonnegative()).optional(),
  /** Weighted fusion of two retrievers: the weight of the second (the first gets 1 − weight). */
  weight: z.number().min(0).max(1).optional(),
  normalization: z.enum(['minmax', 'zscore']).default('minmax'),
  /** Documents each part retrieves before fusion (default max(candidates, 100)). */
  depth: positiveInt.optional(),
  sweep: sweepSchema,
});

const retrieverSchema = z.discriminatedUnion('type', [bm25Schema, vectorSchema, hybridSchema]);

const rerankerObjectSchema = z.strictObject({
  name: z.string().min(1).optional(),
  model: z.string().min(1),
  ...modelOptions,
  scores: z.enum(['logit', 'sigmoid']).optional(),
  /** TEI: ask for raw logits instead of sigmoid scores (default true: avoids float32 ties near 1). */
  rawScores: z.boolean().optional(),
  /** LLM reranker: prompt with {query} and {document} placeholders, system prompt, integer scale, sampling. */
  promptTemplate: z.string().optional(),
  systemPrompt: z.string().optional(),
  scale: z.tuple([z.number().int(), z.number().int()]).optional(),
  temperature: z.number().nonnegative().optional(),
  maxTokens: positiveInt.optional(),
  /**
   * Hybrid reranking: final = (1 − weight) · minmax(first-stage score) + weight · minmax(reranker score),
   * normalised per query over the candidate list. A list sweeps the weight.
   */
  interpolate: z.strictObject({ weight: sweepable(z.number().min(0).max(1)) }).optional(),
  /** Candidate counts for this reranker (default: the experiment's `candidates`). */
  candidates: z.array(positiveInt).min(1).optional(),
  /** Batch sizes for this reranker's timing (default: the experiment's `batchSizes`). */
  batchSizes: z.array(positiveInt).min(1).optional(),
  /** Rerank only these retrievers' candidates (names; default: every retriever). */
  retrievers: z.array(z.string().min(1)).min(1).optional(),
  /** Timing-pass settings for this reranker (expensive models may time fewer queries); default: `latency`. */
  latency: z
    .strictObject({ warmupQueries: nonNegativeInt.optional(), sampleQueries: positiveInt.optional(), repetitions: positiveInt.optional() })
    .optional(),
});

const rerankerSchema = z.union([z.string().min(1), rerankerObjectSchema]);

export const configSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it names the output folder)'),
  description: z.string().optional(),
  datasets: z.array(datasetSchema).min(1),
  retrievers: z.array(retrieverSchema).min(1),
  candidates: z.array(positiveInt).min(1),
  rerankers: z.array(rerankerSchema).min(1).default(['none']),
  batchSizes: z.array(positiveInt).min(1).default([16]),
  topN: positiveInt.default(5),
  metrics: z.array(z.string().min(1)).min(1).default(['ndcg@10', 'mrr@10', 'recall@10', 'map']),
  evaluation: z
    .strictObject({
      /** trec_eval -c: every judged query counts; a query the run misses scores 0 (BEIR's behaviour). */
      complete: z.boolean().default(true),
      relLevel: z.number().int().default(1),
      judgedOnly: z.boolean().default(false),
    })
    .default({ complete: true, relLevel: 1, judgedOnly: false }),
  latency: z
    .strictObject({
      warmupQueries: nonNegativeInt.default(3),
      sampleQueries: positiveInt.default(20),
      repetitions: positiveInt.default(3),
      seed: nonNegativeInt.default(42),
      /** Intra-op threads for local models (default: all cores). */
      threads: positiveInt.optional(),
      /** Skip the timing pass entirely (quality only). */
      skip: z.boolean().default(false),
    })
    .default({ warmupQueries: 3, sampleQueries: 20, repetitions: 3, seed: 42, skip: false }),
});

export type RawConfig = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type DatasetEntry = Config['datasets'][number];
export type RetrieverEntry = Config['retrievers'][number];
export type Bm25Entry = z.output<typeof bm25Schema>;
export type VectorEntry = z.output<typeof vectorSchema>;
export type HybridEntry = z.output<typeof hybridSchema>;
export type RerankerObject = z.output<typeof rerankerObjectSchema>;
export type EmbedderSpec = z.output<typeof embedderSpecSchema>;

/** A retriever after sweep expansion: a unique name and fixed parameters. */
export type RetrieverVariant = (Omit<Bm25Entry, 'sweep'> | Omit<VectorEntry, 'sweep'> | Omit<HybridEntry, 'sweep'>) & {
  name: string;
  /** The entry it came from and the swept values, when it is one point of a sweep. */
  base: string;
  swept?: Record<string, unknown>;
};

/** A reranker after expansion: `none`, or a model with fixed interpolation. */
export interface RerankerVariant {
  /** Unique label used in configuration ids. */
  name: string;
  /** null for the first stage alone. */
  spec: (Omit<RerankerObject, 'interpolate' | 'name' | 'candidates' | 'batchSizes'> & { model: string }) | null;
  /** Label of the model run (interpolated variants share the model's scores). */
  modelKey: string | null;
  interpolateWeight: number | null;
  candidates: number[];
  batchSizes: number[];
  /** Retriever variant names this reranker applies to (null: all). */
  retrievers: string[] | null;
  latency: { warmupQueries?: number; sampleQueries?: number; repetitions?: number } | null;
}

export interface ExpandedConfig {
  config: Config;
  file: string;
  retrievers: RetrieverVariant[];
  rerankers: RerankerVariant[];
}

/** Reads, parses and validates a config file. Throws UsageError with file, line and key path. */
export function loadConfig(file: string): ExpandedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'config file not found.' : `cannot read config file: ${(e as Error).message}.`, {
      file,
      hint: code === 'ENOENT' ? 'Check the path; bundled examples are in configs/ (e.g. configs/quickstart.yaml).' : undefined,
    });
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): ExpandedConfig {
  const lineCounter = new LineCounter();
  // YAML is a superset of JSON, so one parser serves both and gives line numbers for both.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    throw new UsageError(`invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${err.message.split('\n')[0]}.`, { file, line: pos.line, hint: 'Fix the syntax at that line.' });
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError('the config must be a mapping with keys name, datasets, retrievers, candidates, ...', { file, hint: 'See configs/quickstart.yaml for an example.' });
  }
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let p: PropertyKey[] = [...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      p = [...p, keys[0]];
      message = `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}; allowed here: ${allowedKeys(issue.path, raw).join(', ')}`;
    } else if (issue.code === 'invalid_union' && issue.path.length >= 2 && issue.path[0] === 'retrievers') {
      message = `${message}; check \`type\` (bm25, vector or hybrid) and the keys for that type`;
    }
    throw new UsageError(`${message}.`, { file, line: lineOf(p), key: formatPath(p), hint: 'See README "Experiment config" for every key and its allowed values.' });
  }
  const config = parsed.data;
  const fail = (message: string, p: PropertyKey[], hint?: string): never => {
    throw new UsageError(message, { file, line: lineOf(p), key: formatPath(p), hint });
  };
  return expand(config, file, fail);
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** Keys allowed at a schema path (for unknown-key messages). */
function allowedKeys(p: readonly PropertyKey[], raw: unknown): string[] {
  const top = ['datasets', 'retrievers', 'rerankers', 'evaluation', 'latency'];
  if (p.length === 0) return Object.keys(configSchema.shape);
  const head = String(p[0]);
  if (!top.includes(head)) return [];
  if (head === 'datasets') return ['name', 'path', 'split', 'format', 'delimiter', 'corpus', 'queries', 'qrels', 'maxQueries'];
  if (head === 'evaluation') return ['complete', 'relLevel', 'judgedOnly'];
  if (head === 'latency') return ['warmupQueries', 'sampleQueries', 'repetitions', 'seed', 'threads', 'skip'];
  if (head === 'rerankers') {
    if (p.length >= 3 && p[2] === 'latency') return ['warmupQueries', 'sampleQueries', 'repetitions'];
    if (p.length >= 3 && p[2] === 'interpolate') return ['weight'];
    return Object.keys(rerankerObjectSchema.shape);
  }
  if (head === 'retrievers') {
    if (p.length >= 3 && p[2] === 'hnsw') return ['M', 'efConstruction', 'efSearch', 'seed'];
    if (p.length >= 3 && p[2] === 'embedder') return ['model', ...Object.keys(modelOptions), 'batchSize', 'queryPrefix', 'passagePrefix', 'pooling', 'normalize'];
    const type = (raw as { retrievers?: { type?: unknown }[] }).retrievers?.[Number(p[1])]?.type;
    const shape = type === 'vector' ? vectorSchema.shape : type === 'hybrid' ? hybridSchema.shape : bm25Schema.shape;
    return Object.keys(shape);
  }
  return [];
}

const ALIAS_LIST = (kind: 'reranker' | 'embedder') =>
  MODEL_ALIASES.filter((a) => a.kind === kind)
    .map((a) => a.alias)
    .join(', ');

/**
 * A model name is an alias, a Hugging Face id (`org/name`), a local folder or an http(s) URL. Anything
 * else is most likely a misspelt alias.
 */
function checkModelName(name: string, kind: 'reranker' | 'embedder', configDir: string, fail: (m: string, p: PropertyKey[], h?: string) => never, p: PropertyKey[]): void {
  const alias = findAlias(name);
  if (alias) {
    if (alias.kind !== kind) fail(`"${name}" is ${alias.kind === 'reranker' ? 'a reranker' : 'an embedder'}, not ${kind === 'reranker' ? 'a reranker' : 'an embedder'}.`, p, `${kind === 'reranker' ? 'Rerankers' : 'Embedders'}: ${ALIAS_LIST(kind)}.`);
    return;
  }
  if (/^https?:\/\//.test(name)) return;
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(name)) return; // Hub id or relative folder
  if (name.startsWith('.') || name.startsWith('/') || fs.existsSync(path.resolve(configDir, name))) return;
  fail(`unknown ${kind} "${name}".`, p, `Use an alias (${ALIAS_LIST(kind)}), a Hugging Face id like org/name, a local model folder, or an http(s) URL.`);
}

function expand(config: Config, file: string, fail: (m: string, p: PropertyKey[], h?: string) => never): ExpandedConfig {
  const configDir = path.dirname(path.resolve(file));
  // Metrics are validated by the metric registry when the run starts (it names the allowed forms).

  // Retrievers: default names, uniqueness, sweeps, hybrid references.
  const variants: RetrieverVariant[] = [];
  const baseNames = new Map<string, number>();
  config.retrievers.forEach((r, i) => {
    const name = r.name ?? defaultRetrieverName(r);
    if (baseNames.has(name)) fail(`two retrievers are both named "${name}".`, ['retrievers', i], 'Give each one a distinct `name`.');
    baseNames.set(name, i);
    if (r.type === 'vector') {
      const spec = typeof r.embedder === 'string' ? r.embedder : r.embedder.model;
      checkModelName(spec, 'embedder', configDir, fail, ['retrievers', i, 'embedder']);
      if (r.index === 'exact' && r.hnsw) fail('`hnsw` parameters given for an exact index.', ['retrievers', i, 'hnsw'], 'Set `index: hnsw` or remove `hnsw`.');
    }
    if (r.type === 'hybrid') {
      if (r.fusion === 'rrf' && (r.weights || r.weight !== undefined)) fail('weights are given but `fusion` is rrf.', ['retrievers', i, 'fusion'], 'Use `fusion: weighted` to weight the retrievers.');
      if (r.weights && r.weights.length !== r.of.length) fail(`${r.of.length} retrievers in \`of\` but ${r.weights.length} weights.`, ['retrievers', i, 'weights']);
      if (r.weight !== undefined && r.of.length !== 2) fail('`weight` applies to two retrievers; use `weights` (one per retriever) for more.', ['retrievers', i, 'weight']);
    }
    const sweep = r.sweep ?? {};
    const keys = Object.keys(sweep);
    const combos: Record<string, unknown>[] = [{}];
    for (const k of keys) {
      const allowed = sweepableKeys(r);
      if (!allowed.includes(k)) fail(`cannot sweep "${k}" for a ${r.type} retriever.`, ['retrievers', i, 'sweep', k], `Sweepable: ${allowed.join(', ')}.`);
      const next: Record<string, unknown>[] = [];
      for (const c of combos) for (const v of sweep[k]) next.push({ ...c, [k]: v });
      combos.splice(0, combos.length, ...next);
    }
    for (const c of combos) {
      const { sweep: _s, ...rest } = r;
      const v = applySweep(structuredClone(rest), c) as RetrieverVariant;
      v.base = name;
      v.name = keys.length === 0 ? name : `${name}@${Object.entries(c).map(([k, x]) => `${k.split('.').pop()}=${String(x)}`).join(',')}`;
      if (keys.length > 0) v.swept = c;
      // Re-validate the swept values against the schema (a sweep value must be a legal value).
      const { base: _b, swept: _w, ...params } = v;
      const check = retrieverSchema.safeParse(params);
      if (keys.length > 0 && !check.success) fail(`sweep value ${JSON.stringify(c)} is not valid: ${check.error.issues[0].message}.`, ['retrievers', i, 'sweep']);
      variants.push(v);
    }
  });
  config.retrievers.forEach((r, i) => {
    if (r.type !== 'hybrid') return;
    r.of.forEach((ref, j) => {
      const target = baseNames.get(ref);
      if (target === undefined) fail(`hybrid part "${ref}" is not the name of a retriever.`, ['retrievers', i, 'of', j], `Names: ${[...baseNames.keys()].join(', ')}.`);
      const t = config.retrievers[target];
      if (t.type === 'hybrid') fail(`hybrid part "${ref}" is itself hybrid; fuse first-stage retrievers directly.`, ['retrievers', i, 'of', j]);
      if (t.sweep && Object.keys(t.sweep).length > 0) fail(`hybrid part "${ref}" is swept; a hybrid needs one fixed retriever per part.`, ['retrievers', i, 'of', j], 'Add an unswept copy with its own name.');
    });
  });

  // Rerankers.
  const rerankers: RerankerVariant[] = [];
  const rrNames = new Set<string>();
  config.rerankers.forEach((r, i) => {
    const p: PropertyKey[] = ['rerankers', i];
    if (r === 'none') {
      if (rrNames.has('none')) fail('`none` is listed twice.', p);
      rrNames.add('none');
      rerankers.push({ name: 'none', spec: null, modelKey: null, interpolateWeight: null, candidates: config.candidates, batchSizes: [], retrievers: null, latency: null });
      return;
    }
    const obj: RerankerObject = typeof r === 'string' ? { model: r } : r;
    if (obj.backend !== 'http' && obj.backend !== 'llm' && obj.url === undefined) checkModelName(obj.model, 'reranker', configDir, fail, typeof r === 'string' ? p : [...p, 'model']);
    const defaultName = obj.model.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '-');
    const { interpolate, name: given, candidates, batchSizes, retrievers: only, latency, ...spec } = obj;
    if (only) {
      only.forEach((ref, j) => {
        if (!variants.some((v) => v.name === ref || v.base === ref)) fail(`"${ref}" is not the name of a retriever.`, [...p, 'retrievers', j], `Names: ${[...new Set(variants.map((v) => v.name))].join(', ')}.`);
      });
    }
    const base = {
      spec: { ...spec },
      // Variants that differ only in interpolation share one model and one scoring pass.
      modelKey: canonicalJson(spec),
      candidates: candidates ?? config.candidates,
      batchSizes: batchSizes ?? config.batchSizes,
      retrievers: only ? variants.filter((v) => only.includes(v.name) || only.includes(v.base)).map((v) => v.name) : null,
      latency: latency ?? null,
    };
    const weights = interpolate ? (Array.isArray(interpolate.weight) ? interpolate.weight : [interpolate.weight]) : [null];
    for (const w of weights) {
      const name =
        w === null ? (given ?? defaultName) : weights.length === 1 && given ? given : `${given ?? `${defaultName}+interp`}@w=${w}`;
      if (rrNames.has(name)) fail(`two rerankers are both named "${name}".`, p, 'Give each one a distinct `name`.');
      rrNames.add(name);
      rerankers.push({ ...base, name, interpolateWeight: w });
    }
  });
  if (config.topN > Math.max(...config.candidates)) {
    fail(`topN (${config.topN}) is larger than the deepest candidate count (${Math.max(...config.candidates)}).`, ['topN'], 'The LLM can only receive documents that were retrieved.');
  }
  return { config, file, retrievers: variants, rerankers };
}

function defaultRetrieverName(r: RetrieverEntry): string {
  if (r.type === 'bm25') return ['bm25', r.engine === 'wink' ? 'wink' : '', r.fields === 'multifield' ? 'mf' : ''].filter(Boolean).join('-');
  if (r.type === 'vector') {
    const m = typeof r.embedder === 'string' ? r.embedder : r.embedder.model;
    const short = findAlias(m)?.alias ?? m.split('/').pop()!;
    return r.index === 'hnsw' ? `${short}-hnsw` : short;
  }
  return `hybrid-${r.fusion}`;
}

function sweepableKeys(r: RetrieverEntry): string[] {
  if (r.type === 'bm25') return ['k1', 'b'];
  if (r.type === 'vector') return ['hnsw.efSearch', 'hnsw.M', 'hnsw.efConstruction', 'efSearch'];
  return ['rrfK', 'weight', 'depth', 'normalization'];
}

function applySweep(target: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(values)) {
    const keyPath = k === 'efSearch' ? ['hnsw', 'efSearch'] : k.split('.');
    let o = target;
    for (const seg of keyPath.slice(0, -1)) {
      if (typeof o[seg] !== 'object' || o[seg] === null) o[seg] = {};
      o = o[seg] as Record<string, unknown>;
    }
    o[keyPath[keyPath.length - 1]] = v;
  }
  return target;
}
