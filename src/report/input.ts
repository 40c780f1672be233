/**
 * What the report reads from a results file, validated (zod). The schema lists only the fields the report
 * shows; anything else in the file (per-query values, future additions) is dropped on parsing, so a report
 * never carries per-query data. `ResultsFile` (what `rbench run` holds in memory) is assignable to
 * `ReportResults`, so the run renders from memory and `rbench report` from the file through the same code.
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
    }),
  ),
  work: z.record(z.string(), z.number()),
  results: z.array(rowSchema),
});

export type ReportResults = z.output<typeof resultsSchema>;
export type ReportRow = ReportResults['results'][number];
export type ReportDataset = ReportResults['datasets'][number];

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
