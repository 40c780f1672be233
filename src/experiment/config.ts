/**
 * Experiment configuration: YAML or JSON, validated by a schema (zod) with every key checked. Every problem
 * in the file is reported at once (up to MAX_PROBLEMS), each with the file, its line (YAML and JSON both),
 * the key path and what to do; a misspelt key is reported where it is written, with the nearest allowed key.
 * Bad configs exit with code 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import leven from 'leven';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseLined } from '../yaml-lines.js';
import { canonicalJson } from '../canonical.js';
import { defaultName as defaultDatasetName } from '../data/beir.js';
import { datasetSpecSchema } from '../data/datasets.js';
import { MODEL_ALIASES, findAlias } from '../models/aliases.js';
import { isRemoteModelSpec } from '../models/registry.js';
import { RETRIEVER_TYPES, retrieverSchema, retrieverType, type CheckContext, type RetrieverEntry, type RetrieverVariant } from './retrievers/index.js';
import { COMPARE_DEFAULTS, CORRECTION_NAMES } from '../stats/choices.js';
import { modelOptions, nonNegativeInt, positiveInt, sweepable, type EmbedderSpec } from './schema.js';

export type { RetrieverEntry, RetrieverVariant } from './retrievers/index.js';
export type { EmbedderSpec } from './schema.js';

/** A dataset entry: src/data's dataset spec (bundled/shared/fetched name, BEIR or CSV path) plus run options. */
const datasetSchema = datasetSpecSchema.safeExtend({
  /**
   * The dataset's name in configuration ids, run paths and reports (default: its `name`, or its folder's name;
   * with the split appended when two entries would otherwise share a name).
   */
  label: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@=+-]*$/, 'use letters, digits and . _ @ = + - (it names folders and ids)').optional(),
  /** Evaluate only the first N judged queries (in file order): for quick trials, never for published numbers. */
  maxQueries: positiveInt.optional(),
  /**
   * Choose the configuration on this split (e.g. `dev`) and report its score on this entry's split, instead of
   * cross-validated selection on the same queries (overrides the top-level `selectOn`).
   */
  selectOn: z.string().min(1).optional(),
});

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
  /**
   * The configuration every other is compared with, per dataset (paired tests, deltas). Default: the first
   * retriever without a reranker, at the deepest candidate count.
   */
  baseline: z.strictObject({ retriever: z.string().min(1), reranker: z.string().min(1).default('none'), candidates: positiveInt.optional() }).optional(),
  /** How intervals and tests are computed (README "Statistics"). */
  statistics: z
    .strictObject({
      correction: z.enum(CORRECTION_NAMES).default(COMPARE_DEFAULTS.correction),
      alpha: z.number().gt(0).lt(1).default(COMPARE_DEFAULTS.alpha),
      bootstrap: positiveInt.default(COMPARE_DEFAULTS.bootstrap),
      permutations: positiveInt.default(COMPARE_DEFAULTS.permutations),
      seed: nonNegativeInt.max(0xffffffff).default(COMPARE_DEFAULTS.seed),
      /** k of the k-fold cross-validated selection estimate. */
      folds: z.number().int().min(2).default(5),
    })
    .default({ correction: COMPARE_DEFAULTS.correction, alpha: COMPARE_DEFAULTS.alpha, bootstrap: COMPARE_DEFAULTS.bootstrap, permutations: COMPARE_DEFAULTS.permutations, seed: COMPARE_DEFAULTS.seed, folds: 5 }),
  /** "Which to ship": the metric, the latency budgets (total per query) and the latency statistic they bound. */
  decision: z
    .strictObject({
      /** Default: the first of `metrics`. */
      metric: z.string().min(1).optional(),
      budgetsMs: z.array(z.number().positive()).default([10, 100, 1000]),
      latency: z.enum(['p95', 'p50']).default('p95'),
    })
    .default({ budgetsMs: [10, 100, 1000], latency: 'p95' }),
  /** Choose on this split and report on each dataset's own split (see datasets[].selectOn). */
  selectOn: z.string().min(1).optional(),
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
export type RerankerObject = z.output<typeof rerankerObjectSchema>;

/** A dataset of the experiment: its config entry and the label its rows, runs and reports carry. */
export interface DatasetPlan {
  entry: DatasetEntry;
  label: string;
  /**
   * Set on the extra dataset a `selectOn` split adds: the label of the dataset it chooses for. Its rows are
   * computed and reported like any other, but decisions and selection are made for the dataset it serves.
   */
  selectionFor?: string;
}

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
  datasets: DatasetPlan[];
  retrievers: RetrieverVariant[];
  rerankers: RerankerVariant[];
}

/** Every model spec an expanded config names, with its config key (for --offline and the up-front model check). */
export function modelSpecsOf(x: ExpandedConfig): { spec: EmbedderSpec; key: string }[] {
  const out: { spec: EmbedderSpec; key: string }[] = [];
  x.config.retrievers.forEach((r, i) => {
    for (const spec of retrieverType(r.type).models?.(r) ?? []) out.push({ spec, key: `retrievers[${i}]` });
  });
  x.config.rerankers.forEach((r, i) => {
    if (r !== 'none') out.push({ spec: r, key: `rerankers[${i}]` });
  });
  return out;
}

/** Refuses (exit 2, naming the key) any model served over the network: `rbench run --offline`. */
export function assertOffline(x: ExpandedConfig): void {
  const remote = modelSpecsOf(x).find(({ spec }) => isRemoteModelSpec(spec));
  if (remote) {
    throw new UsageError('this model is served over the network, but --offline was given.', {
      file: x.file,
      key: remote.key,
      hint: 'Drop --offline or remove the remote model from the config.',
    });
  }
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

const README_HINT = 'See README "Experiment config" for every key and its allowed values.';

/**
 * Expands a config that was validated before: the `config` recorded in a results file (defaults filled in),
 * for `rbench merge` and `rbench run --reproduce`. `file` stands for where the config was (relative dataset
 * paths resolve against its folder).
 */
export function expandConfigObject(config: unknown, file: string): ExpandedConfig {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`the config recorded in the results file is not valid for this rbench (${formatPath(issue.path)}: ${issue.message}).`, { hint: 'Use the rbench version that wrote it.' });
  }
  const problems = new Problems(file, () => undefined);
  const x = expand(parsed.data, file, problems);
  problems.throwIfAny();
  return x;
}

/** At most this many problems are listed; the rest are counted. */
export const MAX_PROBLEMS = 20;

export interface ConfigProblem {
  line: number | undefined;
  /** Key path such as `retrievers[1].hnsw.efSearch` ('' for the whole file). */
  key: string;
  message: string;
}

/** Every problem found in a config file, reported together (exit 2). */
export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    if (sorted.length === 1) super(sorted[0].message, { file, line: sorted[0].line, key: sorted[0].key || undefined });
    else super(ConfigError.list(file, sorted), { file });
    this.problems = sorted;
  }

  private static list(file: string, sorted: readonly ConfigProblem[]): string {
    const where = (p: ConfigProblem) => `${p.line !== undefined ? `${file}:${p.line}` : file}${p.key ? `, config key \`${p.key}\`` : ''}`;
    // The pointer to the README is said once for the list, not on every line.
    const shown = sorted.slice(0, MAX_PROBLEMS).map((p) => `  ${where(p)}: ${p.message.replace(` ${README_HINT}`, '')}`);
    const more = sorted.length > MAX_PROBLEMS ? [`  … and ${sorted.length - MAX_PROBLEMS} more`] : [];
    return `${sorted.length} problems in the config:\n${[...shown, ...more].join('\n')}\n${README_HINT}`;
  }
}

/** Collects problems with their lines; `throwIfAny` raises them together. */
class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(
    private readonly file: string,
    private readonly lineOf: (p: readonly PropertyKey[]) => number | undefined,
  ) {}

  add(message: string, p: readonly PropertyKey[], hint?: string, line?: number): void {
    const key = formatPath(p);
    const text = `${message}${hint ? ` ${hint}` : ''}`;
    if (this.list.some((x) => x.key === key && x.message === text)) return;
    this.list.push({ line: line ?? this.lineOf(p), key, message: text });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.file, this.list);
  }
}

export function parseConfig(text: string, file: string): ExpandedConfig {
  const doc = parseLined(text, file);
  if ('syntax' in doc) throw new ConfigError(file, doc.syntax);
  const { raw, lineOf, keyLineOf } = doc;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError('the config must be a mapping with keys name, datasets, retrievers, candidates, ...', { file, hint: 'See configs/quickstart.yaml for an example.' });
  }
  const problems = new Problems(file, lineOf);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) explainIssue(issue, [], raw, problems, keyLineOf);
    problems.throwIfAny();
    throw new UsageError('the config is not valid.', { file }); // unreachable: a failed parse has issues
  }
  const x = expand(parsed.data, file, problems);
  problems.throwIfAny();
  return x;
}
function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely misspelling. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = leven(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns one zod issue into problems a person can act on: unknown keys at their own line with the nearest
 * allowed key, a missing key said once, the branch of a union that the value was meant for.
 */
function explainIssue(
  issue: ZodIssue,
  prefix: readonly PropertyKey[],
  raw: unknown,
  problems: Problems,
  keyLineOf: (parent: readonly PropertyKey[], key: string) => number | undefined,
): void {
  const p = [...prefix, ...issue.path];
  const hint = README_HINT;
  const parentPath = p.slice(0, -1);
  const parentValue = valueAt(raw, parentPath);
  const isMapping = parentValue !== null && typeof parentValue === 'object' && !Array.isArray(parentValue);
  if (issue.code !== 'unrecognized_keys' && p.length > 0 && isMapping && valueAt(raw, p) === undefined) {
    const key = String(p[p.length - 1]);
    // A misspelling of this key in the same mapping already says "did you mean"; say it once.
    if (Object.keys(parentValue).some((s) => s !== key && nearest(s, [key]) === key)) return;
    problems.add(`missing required key \`${key}\`${parentPath.length > 0 ? ` in \`${formatPath(parentPath)}\`` : ''}.`, p, hint);
    return;
  }
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(p, raw);
    const where = describeObject(p, raw);
    for (const key of issue.keys) {
      const guess = nearest(key, allowed.filter((k) => valueAt(raw, [...p, k]) === undefined));
      const message = guess
        ? `\`${key}\` is not ${where}; did you mean \`${guess}\`?`
        : `\`${key}\` is not ${where}. Allowed here: ${allowed.join(', ')}.`;
      problems.add(message, [...p, key], undefined, keyLineOf(p, key));
    }
    return;
  }
  if (issue.code === 'invalid_union') {
    if ('discriminator' in issue && issue.discriminator) {
      const value = valueAt(raw, p);
      const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
      const guess = typeof value === 'string' ? nearest(value, options) : undefined;
      problems.add(
        value === undefined
          ? `missing \`${issue.discriminator}\`; one of ${options.join(', ')}.`
          : `${JSON.stringify(value)} is not a retriever ${issue.discriminator}${guess ? `; did you mean \`${guess}\`?` : '.'} Types: ${options.join(', ')}.`,
        p,
      );
      return;
    }
    // A union of a name and an object (rerankers, embedders): explain the branch the value was written for.
    const value = valueAt(raw, p);
    const branches = issue.errors.filter((errs) => !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0));
    if (branches.length === 1) {
      for (const sub of branches[0]) explainIssue(sub, p, raw, problems, keyLineOf);
      return;
    }
    problems.add(`${typeof value === 'object' && value !== null ? 'this object' : JSON.stringify(value)} is not valid here: expected a model name or an object with \`model\` and its options.`, p, hint);
    return;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    const value = valueAt(raw, p);
    const options = issue.values.map(String);
    const guess = typeof value === 'string' ? nearest(value, options) : undefined;
    problems.add(`${JSON.stringify(value)} is not allowed; expected one of ${options.join(', ')}${guess ? `. Did you mean \`${guess}\`?` : '.'}`, p);
    return;
  }
  problems.add(`${issue.message.replace(/^Invalid input: /, '')}.`, p, hint);
}

/** Unwraps optional / default / nullable / pipe wrappers of a schema. */
function unwrap(s: z.ZodType): z.ZodType {
  let t = s;
  for (;;) {
    const def = t.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) t = def.innerType;
    else if (def.type === 'pipe' && def.in) t = def.in;
    else return t;
  }
}

/** The object schema at a config path (following arrays, and unions by the value written there). */
function schemaAt(p: readonly PropertyKey[], raw: unknown): z.ZodObject | undefined {
  let s: z.ZodType | undefined = configSchema;
  for (let i = 0; i <= p.length && s; i++) {
    s = unwrap(s);
    const def = s.def as { type: string; options?: z.ZodType[]; element?: z.ZodType; discriminator?: string };
    if (def.type === 'union' && def.options) {
      const value = valueAt(raw, p.slice(0, i));
      const objects = def.options.map(unwrap).filter((o): o is z.ZodObject => o instanceof z.ZodObject);
      s = def.discriminator
        ? objects.find((o) => {
            const lit = o.shape[def.discriminator!] as z.ZodType | undefined;
            return lit !== undefined && lit.safeParse((value as Record<string, unknown> | undefined)?.[def.discriminator!]).success;
          })
        : objects[0];
      if (!s) return undefined;
    }
    if (i === p.length) break;
    const seg = p[i];
    if (s instanceof z.ZodObject) s = s.shape[String(seg)] as z.ZodType | undefined;
    else if (def.type === 'array' && def.element) s = def.element;
    else return undefined;
  }
  const last = s ? unwrap(s) : undefined;
  return last instanceof z.ZodObject ? last : undefined;
}

/** Keys allowed at a config path, read from the schemas themselves. */
function allowedKeys(p: readonly PropertyKey[], raw: unknown): string[] {
  return Object.keys(schemaAt(p, raw)?.shape ?? {});
}

/** "a config key", "a key of a bm25 retriever", "a key of `latency`". */
function describeObject(p: readonly PropertyKey[], raw: unknown): string {
  if (p.length === 0) return 'a config key';
  if (p.length === 2 && p[0] === 'retrievers') {
    const type = (valueAt(raw, p) as { type?: unknown } | undefined)?.type;
    return `a key of a ${typeof type === 'string' ? `${type} ` : ''}retriever`;
  }
  if (p.length === 2 && p[0] === 'rerankers') return 'a reranker option';
  if (p.length === 2 && p[0] === 'datasets') return 'a dataset key';
  return `a key of \`${formatPath(p)}\``;
}

const ALIAS_LIST = (kind: 'reranker' | 'embedder') =>
  MODEL_ALIASES.filter((a) => a.kind === kind)
    .map((a) => a.alias)
    .join(', ');

/**
 * A model name is an alias, a Hugging Face id (`org/name`), a local folder or an http(s) URL. Anything
 * else is most likely a misspelt alias.
 */
function checkModelName(name: string, kind: 'reranker' | 'embedder', configDir: string, problems: Problems, p: PropertyKey[]): void {
  const alias = findAlias(name);
  if (alias) {
    if (alias.kind !== kind) problems.add(`"${name}" is ${alias.kind === 'reranker' ? 'a reranker' : 'an embedder'}, not ${kind === 'reranker' ? 'a reranker' : 'an embedder'}.`, p, `${kind === 'reranker' ? 'Rerankers' : 'Embedders'}: ${ALIAS_LIST(kind)}.`);
    return;
  }
  if (/^https?:\/\//.test(name)) return;
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(name)) return; // Hub id or relative folder
  if (name.startsWith('.') || name.startsWith('/') || fs.existsSync(path.resolve(configDir, name))) return;
  const guess = nearest(name, MODEL_ALIASES.filter((a) => a.kind === kind).map((a) => a.alias));
  problems.add(
    `unknown ${kind} "${name}"${guess ? `; did you mean \`${guess}\`?` : '.'}`,
    p,
    `Use an alias (${ALIAS_LIST(kind)}), a Hugging Face id like org/name, a local model folder, or an http(s) URL.`,
  );
}

/**
 * Labels of the datasets: the entry's `label`, else its name (or folder name). Two entries with the same
 * name (one BEIR folder with `split: test` and `split: dev`) get the split appended, so configuration ids
 * and run paths stay unique; the same entry listed twice is a mistake.
 */
function datasetPlans(config: Config, configDir: string, problems: Problems): DatasetPlan[] {
  const base = (e: DatasetEntry) => e.label ?? e.name ?? defaultDatasetName(path.resolve(configDir, e.path ?? '.'));
  const seen = new Map<string, number>();
  config.datasets.forEach((e, i) => {
    const key = canonicalJson({ ...e, split: e.split ?? 'test', path: e.path === undefined ? undefined : path.resolve(configDir, e.path) });
    const first = seen.get(key);
    if (first !== undefined) problems.add(`the same dataset is listed twice (as datasets[${first}] and datasets[${i}]).`, ['datasets', i], 'Remove one of them.');
    else seen.set(key, i);
  });
  const bases = config.datasets.map(base);
  const plans: DatasetPlan[] = config.datasets.map((entry, i) => {
    const shared = bases.filter((b) => b === bases[i]).length > 1;
    return { entry, label: shared && entry.label === undefined ? `${bases[i]}@${entry.split ?? 'test'}` : bases[i] };
  });
  // A dataset that selects on another split brings that split along as a dataset of its own.
  config.datasets.forEach((entry, i) => {
    const on = entry.selectOn ?? config.selectOn;
    if (on === undefined) return;
    if (on === (entry.split ?? 'test')) {
      problems.add(`selectOn is the split this dataset reports on (${on}); selection must be made on other queries.`, ['datasets', i, entry.selectOn ? 'selectOn' : 'split'], 'Name another split (e.g. dev), or remove selectOn for cross-validated selection.');
      return;
    }
    const { selectOn: _s, label: _l, ...rest } = entry;
    plans.push({ entry: { ...rest, split: on }, label: `${plans[i].label}@${on}`, selectionFor: plans[i].label });
  });
  plans.forEach((p, i) => {
    const j = plans.findIndex((q) => q.label === p.label);
    if (j !== i && !problems.list.some((x) => x.key === `datasets[${i}]`)) {
      const at = Math.min(i, config.datasets.length - 1);
      problems.add(`two datasets would both be labelled "${p.label}" in ids and run paths.`, ['datasets', at], 'Give each a distinct `label`.');
    }
  });
  return plans;
}

function expand(config: Config, file: string, problems: Problems): ExpandedConfig {
  const configDir = path.dirname(path.resolve(file));
  // Metrics are validated by the metric registry when the run starts (it names the allowed forms).
  const datasets = datasetPlans(config, configDir, problems);

  // Retrievers: default names, uniqueness, type checks, sweeps, references between retrievers.
  const variants: RetrieverVariant[] = [];
  const baseNames = new Map<string, number>();
  config.retrievers.forEach((r, i) => {
    const type = retrieverType(r.type);
    const name = r.name ?? type.defaultName(r);
    if (baseNames.has(name)) problems.add(`two retrievers are both named "${name}".`, ['retrievers', i], 'Give each one a distinct `name`.');
    baseNames.set(name, i);
    const ctx: CheckContext = {
      problem: (message, p, hint) => problems.add(message, ['retrievers', i, ...p], hint),
      checkEmbedder: (spec, p) => checkModelName(typeof spec === 'string' ? spec : spec.model, 'embedder', configDir, problems, ['retrievers', i, ...p]),
    };
    type.check?.(r, ctx);
    for (const v of sweepVariants(r, name, i, problems)) variants.push(v);
  });
  config.retrievers.forEach((r, i) => {
    retrieverType(r.type)
      .parts?.(r)
      .forEach((ref, j) => {
        const target = baseNames.get(ref);
        const at = ['retrievers', i, 'of', j];
        if (target === undefined) return problems.add(`hybrid part "${ref}" is not the name of a retriever.`, at, `Names: ${[...baseNames.keys()].join(', ')}.`);
        const t = config.retrievers[target];
        if (retrieverType(t.type).parts) problems.add(`hybrid part "${ref}" is itself hybrid; fuse first-stage retrievers directly.`, at);
        else if (t.sweep && Object.keys(t.sweep).length > 0) problems.add(`hybrid part "${ref}" is swept; a hybrid needs one fixed retriever per part.`, at, 'Add an unswept copy with its own name.');
      });
  });

  // Rerankers.
  const rerankers: RerankerVariant[] = [];
  const rrNames = new Set<string>();
  config.rerankers.forEach((r, i) => {
    const p: PropertyKey[] = ['rerankers', i];
    if (r === 'none') {
      if (rrNames.has('none')) problems.add('`none` is listed twice.', p);
      rrNames.add('none');
      rerankers.push({ name: 'none', spec: null, modelKey: null, interpolateWeight: null, candidates: config.candidates, batchSizes: [], retrievers: null, latency: null });
      return;
    }
    const obj: RerankerObject = typeof r === 'string' ? { model: r } : r;
    if (!isRemoteModelSpec(obj)) checkModelName(obj.model, 'reranker', configDir, problems, typeof r === 'string' ? p : [...p, 'model']);
    const defaultName = obj.model.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '-');
    const { interpolate, name: given, candidates, batchSizes, retrievers: only, latency, ...spec } = obj;
    only?.forEach((ref, j) => {
      if (!variants.some((v) => v.name === ref || v.base === ref)) problems.add(`"${ref}" is not the name of a retriever.`, [...p, 'retrievers', j], `Names: ${[...new Set(variants.map((v) => v.name))].join(', ')}.`);
    });
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
      const name = w === null ? (given ?? defaultName) : weights.length === 1 && given ? given : `${given ?? `${defaultName}+interp`}@w=${w}`;
      if (rrNames.has(name)) problems.add(`two rerankers are both named "${name}".`, p, 'Give each one a distinct `name`.');
      rrNames.add(name);
      rerankers.push({ ...base, name, interpolateWeight: w });
    }
  });
  checkBaseline(config, variants, rerankers, problems);
  if (config.decision.metric !== undefined && !config.metrics.includes(config.decision.metric)) {
    problems.add(`the decision metric ${config.decision.metric} is not one of \`metrics\` (${config.metrics.join(', ')}).`, ['decision', 'metric'], 'Add it to `metrics` or choose one of them.');
  }
  if (config.topN > Math.max(...config.candidates)) {
    problems.add(`topN (${config.topN}) is larger than the deepest candidate count (${Math.max(...config.candidates)}).`, ['topN'], 'The LLM can only receive documents that were retrieved.');
  }
  return { config, file, datasets, retrievers: variants, rerankers };
}

/** The configured baseline must be a configuration of the sweep. */
function checkBaseline(config: Config, variants: readonly RetrieverVariant[], rerankers: readonly RerankerVariant[], problems: Problems): void {
  const b = config.baseline;
  if (!b) return;
  const v = variants.find((x) => x.name === b.retriever);
  if (!v) return problems.add(`the baseline retriever "${b.retriever}" is not a retriever of this experiment.`, ['baseline', 'retriever'], `Names: ${variants.map((x) => x.name).join(', ')}.`);
  const rv = rerankers.find((x) => x.name === b.reranker);
  if (!rv) return problems.add(`the baseline reranker "${b.reranker}" is not a reranker of this experiment.`, ['baseline', 'reranker'], `Names: ${rerankers.map((x) => x.name).join(', ')}.`);
  if (rv.retrievers && !rv.retrievers.includes(v.name)) return problems.add(`the baseline reranker "${b.reranker}" does not rerank "${v.name}".`, ['baseline'], 'Choose a pair the sweep computes.');
  if (b.candidates !== undefined && !rv.candidates.includes(b.candidates)) {
    problems.add(`the baseline candidate count ${b.candidates} is not one of ${rv.name}'s (${rv.candidates.join(', ')}).`, ['baseline', 'candidates']);
  }
}

/** One variant per combination of swept values (the entry itself when nothing is swept). */
function sweepVariants(r: RetrieverEntry, name: string, i: number, problems: Problems): RetrieverVariant[] {
  const type = retrieverType(r.type);
  const sweep = r.sweep ?? {};
  const keys = Object.keys(sweep);
  let combos: Record<string, unknown>[] = [{}];
  for (const k of keys) {
    if (!type.sweepable[k]) {
      problems.add(`cannot sweep "${k}" for a ${r.type} retriever.`, ['retrievers', i, 'sweep', k], `Sweepable: ${Object.keys(type.sweepable).join(', ')}.`);
      continue;
    }
    combos = combos.flatMap((c) => sweep[k].map((v) => ({ ...c, [k]: v })));
  }
  const out: RetrieverVariant[] = [];
  for (const c of combos) {
    const { sweep: _s, ...rest } = r;
    const params = structuredClone(rest) as Record<string, unknown>;
    for (const [k, v] of Object.entries(c)) setPath(params, type.sweepable[k], v);
    // A sweep value must be a legal value: validate the variant against its type's schema.
    if (keys.length > 0) {
      const check = type.schema.safeParse(params);
      if (!check.success) {
        problems.add(`sweep value ${JSON.stringify(c)} is not valid: ${check.error.issues[0].message}.`, ['retrievers', i, 'sweep']);
        continue;
      }
    }
    const label = keys.length === 0 ? name : `${name}@${Object.entries(c).map(([k, x]) => `${k.split('.').pop()}=${String(x)}`).join(',')}`;
    out.push({ ...params, name: label, base: name, ...(keys.length > 0 ? { swept: c } : {}) } as RetrieverVariant);
  }
  return out;
}

function setPath(target: Record<string, unknown>, keyPath: readonly string[], v: unknown): void {
  let o = target;
  for (const seg of keyPath.slice(0, -1)) {
    if (typeof o[seg] !== 'object' || o[seg] === null) o[seg] = {};
    o = o[seg] as Record<string, unknown>;
  }
  o[keyPath[keyPath.length - 1]] = v;
}

/** The retriever types' names, for messages. */
export const RETRIEVER_TYPE_LIST = Object.keys(RETRIEVER_TYPES).join(', ');
