/**
 * Reading results.json files for `rbench compare A B` and `rbench gate`: what the comparison needs of a
 * results file, validated, with every defect named by file and key (UsageError, exit 2).
 *
 * Only the fields the comparison uses are checked (anything else may be there, as newer versions add
 * fields): `schemaVersion` (this reader knows 1), `environment`, `conventions`, `datasets` (name, split,
 * sha256) and each row's `id`, `dataset`, `retriever`, `reranker`, `metrics`, `perQuery` and `latencyMs`.
 * `qualityId` is the row id without `/b<N>` where a file predates it.
 *
 * A path may name the file or the folder holding `results.json` (what `rbench run --out DIR` wrote).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** The results.json schema versions this reader understands. */
export const READABLE_SCHEMA_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const stageStats = z.looseObject({ p50: z.number(), n: z.number().optional() });

const rowSchema = z.looseObject({
  id: z.string().min(1),
  qualityId: z.string().min(1).optional(),
  dataset: z.string().min(1),
  retriever: z.looseObject({ name: z.string(), type: z.string() }),
  candidates: z.number().optional(),
  reranker: z.looseObject({ label: z.string().optional(), weights: z.string().optional() }).nullable(),
  batchSize: z.number().nullable().optional(),
  metrics: z.record(z.string(), z.number()).nullable(),
  perQuery: z.record(z.string(), z.record(z.string(), finite)).nullable(),
  latencyMs: z
    .looseObject({
      total: stageStats,
      samples: z
        .looseObject({
          queries: z.array(z.string()).optional(),
          total: z.array(z.number()),
          retryAfter: z.array(z.boolean()).optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
});

const fileSchema = z.looseObject({
  schemaVersion: z.number(),
  experiment: z.string().optional(),
  createdAt: z.string().optional(),
  environment: z.record(z.string(), z.unknown()),
  conventions: z.record(z.string(), z.string()),
  datasets: z.array(z.looseObject({ name: z.string(), split: z.string().optional(), sha256: z.string(), evaluatedQueries: z.number().optional() })),
  results: z.array(rowSchema),
});

export type ResultsRow = z.output<typeof rowSchema> & { qualityId: string };

/** A validated results file: the fields the comparison uses (the rest is not kept). */
export interface ResultsData {
  schemaVersion: number;
  experiment?: string;
  createdAt?: string;
  environment: Record<string, unknown>;
  conventions: Record<string, string>;
  datasets: z.output<typeof fileSchema>['datasets'];
  results: ResultsRow[];
}

/** A results file as read: where it came from and its validated content. */
export interface LoadedResults {
  /** The path as given (for messages). */
  file: string;
  /** The results.json actually read (the path, or `results.json` inside the folder given). */
  resolved: string;
  data: ResultsData;
}

/** The results.json a path names: the path itself, or `results.json` inside a folder. */
export function resultsPath(p: string): string {
  try {
    if (fs.statSync(p).isDirectory()) return path.join(p, 'results.json');
  } catch {
    /* not there: reported by the reader */
  }
  return p;
}

function formatKey(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** The 1-based line of a character offset in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Whether parsed JSON has the two keys every results file has (what tells it from other JSON). */
export function looksLikeResults(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'schemaVersion' in value && 'results' in value;
}

/** Parses and validates results.json text; `file` names it in errors. */
export function parseResults(text: string, file: string): ResultsData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message.replace(/\s+/g, ' ');
    const at = /position (\d+)/.exec(message);
    const cut = /end of JSON input/.test(message);
    throw new UsageError(cut ? 'not valid JSON: the file ends before the JSON does (cut short?).' : `not valid JSON: ${message}.`, {
      file,
      line: at ? lineAt(text, Number(at[1])) : cut ? lineAt(text, text.length) : undefined,
      hint: 'Give the results.json that `rbench run` wrote (or the folder holding it).',
    });
  }
  if (!looksLikeResults(raw)) {
    throw new UsageError('is JSON but not an rbench results file (it has no `schemaVersion` and `results`).', {
      file,
      hint: 'Give the results.json that `rbench run` wrote (or the folder holding it).',
    });
  }
  const version = (raw as { schemaVersion: unknown }).schemaVersion;
  if (version !== READABLE_SCHEMA_VERSION) {
    throw new UsageError(`has schemaVersion ${JSON.stringify(version)}; this rbench reads results files of version ${READABLE_SCHEMA_VERSION}.`, {
      file,
      hint: 'Compare files written by the same major version of rbench, or re-run the older sweep with this one.',
    });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const shown = issues.slice(0, 3).map((i) => `\`${formatKey(i.path)}\`: ${i.message.replace(/^Invalid input: /, '')}`);
    throw new UsageError(`is not a valid results file: ${shown.join('; ')}${issues.length > 3 ? `; and ${issues.length - 3} more` : ''}.`, {
      file,
      hint: 'The file was changed or cut short; re-run `rbench run` to write it again.',
    });
  }
  const results = parsed.data.results.map((r) => ({ ...r, qualityId: r.qualityId ?? r.id.replace(/\/b[0-9]+$/, '') }));
  const ids = new Set<string>();
  for (const r of results) {
    if (ids.has(r.id)) throw new UsageError(`has two rows with the id ${JSON.stringify(r.id)}.`, { file, hint: 'Every configuration appears once in a results file; re-run `rbench run` to write it again.' });
    ids.add(r.id);
  }
  const d = parsed.data;
  return { schemaVersion: d.schemaVersion, experiment: d.experiment, createdAt: d.createdAt, environment: d.environment, conventions: d.conventions, datasets: d.datasets, results };
}

/** Reads a results file (or the results.json in a folder). Throws UsageError naming the path. */
export function loadResults(file: string): LoadedResults {
  const resolved = resultsPath(file);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'results file not found.' : `cannot read the results file (${code ?? (e as Error).message}).`, {
      file: resolved,
      hint: code === 'ENOENT' ? 'Give the results.json that `rbench run` wrote, or the folder holding it (the run\'s --out).' : undefined,
    });
  }
  return { file, resolved, data: parseResults(text, resolved) };
}

/**
 * What kind of file a `compare` argument is: `results` (a folder, or JSON that is a results file) or `trec`
 * (anything else: gzip, or text that does not start with `{`). Reads the first 64 bytes only; a file that
 * cannot be read is `trec`, so that the TREC reader reports it as it always has.
 */
export function compareInputKind(p: string): 'results' | 'trec' {
  try {
    const st = fs.statSync(p);
    if (st.isDirectory()) return 'results';
    if (!st.isFile()) return 'trec';
    const fd = fs.openSync(p, 'r');
    try {
      const head = Buffer.alloc(64);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'trec';
      return head.subarray(0, n).toString('utf8').trimStart().startsWith('{') ? 'results' : 'trec';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return p.toLowerCase().endsWith('.json') ? 'results' : 'trec';
  }
}
