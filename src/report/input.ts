/**
 * What the report reads from a results file, validated (zod). The schema lists only the fields the report
 * shows; anything else in the file (future additions, and the per-query values of every row but the few the
 * wins/losses chart compares: see `keepPerQuery`) is dropped on parsing, so a report never carries the bulk of
 * the per-query data. `ResultsFile` (what `rbench run` holds in memory) is assignable to `ReportResults`, so
 * the run renders from memory and `rbench report` from the file through the same code.
 *
 * The statistics (`qualityId`, `ci95`, `vsBaseline` on rows; `statistics`, `selection`, `decisions` on the
 * file) are optional: files written before rbench computed them, and runs without quality, render too.
 *
 * JSON has no NaN: a statistic that was NaN in memory (a stage timed on zero samples) is `null` in the file.
 * Such numbers parse to NaN here, so both paths see the same values and the report shows them as missing.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { SCHEMA_VERSION } from '../experiment/results.js';

/** Results schema versions this report renders. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [SCHEMA_VERSION];

/** A measured number; `null` (a NaN written to JSON) reads as NaN. */
const num = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

/** A 95 % interval; `[NaN, NaN]` in memory (JSON `[null, null]`) when it could not be computed. */
const interval = z.tuple([num, num]);

const baselineComparison = z.object({
  baseline: z.string(),
  delta: num,
  ci95: interval,
  p: num,
  pExact: z.boolean(),
  pTTest: z.number().nullable(),
  pAdjusted: num,
  significant: z.boolean(),
  wins: z.number(),
  losses: z.number(),
  ties: z.number(),
});

const perQuery = z.record(z.string(), z.record(z.string(), num));

const statistics = z.object({
  test: z.literal('randomization'),
  correction: z.enum(['holm', 'bonferroni', 'bh', 'none']),
  alpha: z.number(),
  bootstrap: z.number(),
  permutations: z.number(),
  seed: z.number(),
  baselines: z.record(z.string(), z.string()),
});

const selection = z.object({
  dataset: z.string(),
  metric: z.string(),
  method: z.enum(['cross-validation', 'split']),
  folds: z.number().optional(),
  selectedOn: z.string().optional(),
  queries: z.number(),
  naiveBest: z.object({ id: z.string(), mean: num }),
  estimate: num,
  gap: num,
  chosen: z.record(z.string(), z.number()),
});

const decisionPick = z.object({
  id: z.string(),
  batchSize: z.number().nullable(),
  mean: num,
  ci95: interval,
  latencyMs: num,
  vsBaseline: z.object({ delta: num, pAdjusted: num, significant: z.boolean() }).optional(),
});

const decision = z.object({
  dataset: z.string(),
  metric: z.string(),
  latency: z.enum(['p95', 'p50']),
  budgetMs: z.number().nullable(),
  best: decisionPick.nullable(),
  recommended: decisionPick.extend({ vsBest: z.object({ delta: num, pAdjusted: z.number().nullable() }) }).nullable(),
  reason: z.string(),
  standIns: z.array(z.object({ id: z.string(), batchSize: z.number().nullable(), latencyMs: num })),
});

const latencyStats = z.object({ p50: num, p95: num, p99: num, mean: num, n: z.number() });

const rowSchema = z.object({
  id: z.string(),
  dataset: z.string(),
  retriever: z.looseObject({ name: z.string(), type: z.string() }),
  candidates: z.number(),
  reranker: z
    .object({
      name: z.string(),
      backend: z.string(),
      source: z.string(),
      weights: z.string(),
      sha256: z.string().optional(),
      dtype: z.string().optional(),
      settings: z.record(z.string(), z.unknown()).optional(),
      label: z.string(),
      interpolate: z.number().nullable(),
    })
    .nullable(),
  batchSize: z.number().nullable(),
  metrics: z.record(z.string(), num).nullable(),
  firstStage: z.record(z.string(), num).nullable(),
  candidateRecall: num,
  context: z.object({ topN: z.number(), meanDocs: num, meanWords: num, meanTokensEstimate: num }),
  annRecall: num.optional(),
  latencyMs: z.object({ retrieve: latencyStats, rerank: latencyStats.nullable(), total: latencyStats }).nullable(),
  throughput: z.object({ queriesPerSec: num, pairsPerSec: num.nullable() }).nullable(),
  run: z.string().nullable(),
  /** Absent in files written before decisions: `qualityIdOf` derives it from the id. */
  qualityId: z.string().optional(),
  ci95: z.record(z.string(), interval).optional(),
  vsBaseline: z.record(z.string(), baselineComparison).optional(),
});

const resultsSchema = z.object({
  schemaVersion: z.number(),
  experiment: z.string(),
  createdAt: z.string(),
  durationSec: num,
  environment: z.object({
    rbench: z.string(),
    node: z.string(),
    os: z.string(),
    arch: z.string(),
    cpu: z.string(),
    cores: z.number(),
    memoryGB: num,
    onnxruntime: z.string(),
    transformers: z.string(),
    threads: z.object({ intraOp: z.number(), interOp: z.number(), allowSpinning: z.boolean() }),
    gitCommit: z.string().nullable(),
    gitDirty: z.boolean().nullable(),
  }),
  config: z.unknown(),
  conventions: z.record(z.string(), z.string()),
  datasets: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      split: z.string(),
      docs: z.number(),
      queries: z.number(),
      evaluatedQueries: z.number(),
      qrels: z.number(),
      sha256: z.string(),
      warnings: z.array(z.string()),
      /** A split run only to choose configurations for another dataset (`selectOn`): that dataset's label. */
      selectionFor: z.string().optional(),
    }),
  ),
  work: z.record(z.string(), z.number()),
  results: z.array(rowSchema),
  statistics: statistics.optional(),
  selection: z.array(selection).optional(),
  decisions: z.array(decision).optional(),
});

/**
 * A row as the report reads it. `perQuery` (query → metric → value) is not in the schema, so parsing drops
 * it; `validateResults` puts it back only on the rows the wins/losses chart needs. A run's in-memory results
 * have it on every row, and the report reads only those rows'.
 */
export type ReportRow = z.output<typeof rowSchema> & { perQuery?: Record<string, Record<string, number>> | null };
export type ReportResults = Omit<z.output<typeof resultsSchema>, 'results'> & { results: ReportRow[] };
export type ReportDataset = ReportResults['datasets'][number];
export type ReportDecision = NonNullable<ReportResults['decisions']>[number];
export type ReportSelection = NonNullable<ReportResults['selection']>[number];
export type ReportStatistics = NonNullable<ReportResults['statistics']>;
export type ReportComparison = NonNullable<ReportRow['vsBaseline']>[string];

/** A row's quality configuration: `qualityId`, or (older files) its id without the trailing `/b<N>`. */
export function qualityIdOf(r: { id: string; qualityId?: string; batchSize: number | null }): string {
  if (r.qualityId !== undefined) return r.qualityId;
  return r.batchSize === null ? r.id : r.id.replace(/\/b\d+$/, '');
}

/**
 * The quality configurations whose per-query values the report uses, per dataset: the baseline, the
 * recommended configuration of every budget and the best with no budget (the wins/losses chart).
 */
export function perQueryNeeded(results: Pick<ReportResults, 'statistics' | 'decisions'>): Set<string> {
  const ids = new Set<string>();
  for (const id of Object.values(results.statistics?.baselines ?? {})) ids.add(id);
  for (const d of results.decisions ?? []) {
    if (d.recommended) ids.add(d.recommended.id);
    if (d.best && d.budgetMs === null) ids.add(d.best.id);
  }
  return ids;
}

/**
 * Puts back the per-query values of the rows `perQueryNeeded` names (the first row of each such quality
 * configuration: its batch sizes share them), validated; every other row's stay out of memory.
 */
function keepPerQuery(raw: unknown, parsed: ReportResults, file: string): void {
  const needed = perQueryNeeded(parsed);
  if (needed.size === 0) return;
  const rawRows = (raw as { results: unknown[] }).results;
  const done = new Set<string>();
  parsed.results.forEach((row, i) => {
    const q = qualityIdOf(row);
    if (!needed.has(q) || done.has(q)) return;
    const value = (rawRows[i] as { perQuery?: unknown }).perQuery;
    if (value === undefined || value === null) return;
    const checked = perQuery.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new UsageError(`not a valid rbench results file: field \`${formatPath(['results', i, 'perQuery', ...issue.path])}\`: ${issue.message.replace(/^Invalid input: /, '')}.`, { file, hint: HINT });
    }
    row.perQuery = checked.data;
    done.add(q);
  });
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

const HINT = 'Pass the results.json written by `rbench run` (or rerun the experiment to regenerate it).';

/**
 * Validates a parsed results file. Throws a UsageError naming `file` and the first few offending fields
 * (path, what is wrong) when the shape is not a results file, or when its schemaVersion is not supported.
 */
export function validateResults(raw: unknown, file: string): ReportResults {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError('not an rbench results file: expected a JSON object with schemaVersion, experiment, results, ...', { file, hint: HINT });
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new UsageError(`not an rbench results file: field \`schemaVersion\` is missing (this report reads schemaVersion ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}).`, { file, hint: HINT });
  }
  if (typeof version !== 'number' || !SUPPORTED_SCHEMA_VERSIONS.includes(version)) {
    throw new UsageError(
      `results schemaVersion ${JSON.stringify(version)} is not supported; this rbench renders schemaVersion ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}.`,
      { file, hint: 'Render it with the rbench version that wrote it, or rerun the experiment with this one.' },
    );
  }
  const parsed = resultsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => {
      const where = formatPath(issue.path);
      if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) return `field \`${where}\` is missing`;
      return `field \`${where || '(top level)'}\`: ${issue.message.replace(/^Invalid input: /, '')}`;
    });
    const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
    throw new UsageError(`not a valid rbench results file: ${issues.join('; ')}${more}.`, { file, hint: HINT });
  }
  keepPerQuery(raw, parsed.data, file);
  return parsed.data;
}

/** Reads and validates a results file; every problem (missing, unreadable, not JSON, wrong shape) is a UsageError. */
export function readResultsFile(file: string): ReportResults {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError('no such results file.', { file, hint: 'Give the path of a results.json written by `rbench run`, e.g. reports/quickstart/results.json.' });
    if (code === 'EISDIR') throw new UsageError('this is a folder, not a results file.', { file, hint: 'Give the results.json inside it.' });
    throw new UsageError(`cannot read the results file (${code ?? String(e)}).`, { file, cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the input (newlines included): keep it to one line; give the line when it names a position.
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 200);
    const pos = /at position (\d+)/.exec(message);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new UsageError(`not JSON: ${message}.`, { file, line, hint: HINT });
  }
  return validateResults(raw, file);
}
