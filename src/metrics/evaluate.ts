/**
 * trec_eval-compatible evaluation: which queries count, one loop over queries that ranks each once and
 * feeds every measure, and the summary (arithmetic mean over counted queries; counts summed).
 *
 * Which queries count (trec_eval 10.0, `shared/golden/README.md`):
 * - a query is evaluated when it has judgments and at least one run line;
 * - run queries without judgments are always ignored (also with `complete`);
 * - with `complete` (`-c`) every judged query counts, one missing from the run as an empty ranking
 *   (all measures 0, num_rel = R), and the mean divides by the number of judged queries;
 * - a judged query without relevant documents counts, with 0.
 * Ignored and missing queries are reported in `EvalCoverage`, so nothing is dropped silently.
 *
 * Two entry points share this loop: `evaluate` for runs in memory and `evaluateFiles`, which streams a
 * run file and scores each query as soon as its block of lines ends, holding one query at a time plus
 * the judgments (a 1 GB run with 2,000 judged queries peaks at about 85 MB RSS). A run whose queries
 * are not grouped (a query's lines interrupted by another's) is detected and read again, holding the
 * judged queries' documents in memory; the results are the same.
 *
 * Duplicates: a document listed twice for a judged query is an error whatever `depth` (trec_eval -M
 * only checks the documents it keeps; a duplicate is a bug in the run either way). `evaluateFiles`
 * does not look into queries without judgments, so a duplicate there passes, as in trec_eval;
 * `readRun` checks every query.
 */
import { UsageError } from '../errors.js';
import { quoteExcerpt } from '../data/diagnostics.js';
import { STDIN, type ByteSource } from '../data/io.js';
import { bytesToText, openTrecSource, StopReading } from '../data/trec-bytes.js';
import { readJudgmentTables, readRunWith, duplicateError, scanRunBlocksCompact, type CompactRunBlock } from '../data/trec.js';
import type { Qrels, Run } from '../data/types.js';
import { compareByteStrings, compareUtf8, DuplicateDocument, Ranker, topicStats, type IdCompare } from './ranking.js';
import { parseMetrics } from './registry.js';
import type { ParsedMetric, RankedQuery, TopicStats } from './types.js';

export interface EvalOptions {
  /** Metric names (see `parseMetrics`); each result is keyed by the name as given. */
  metrics: string[];
  /** trec_eval -c: every judged query counts; one missing from the run scores 0. */
  complete?: boolean;
  /** trec_eval -J: drop documents without a judgment (or with a negative grade) before scoring. */
  judgedOnly?: boolean;
  /** trec_eval -l: minimum grade of a relevant document (default 1). */
  relLevel?: number;
  /** trec_eval -M: evaluate only the top `depth` documents of each query. */
  depth?: number;
}

export interface EvalResult {
  /** Queries counted in the means. */
  queries: number;
  /** Summary values, keyed by metric name as given. */
  metrics: Record<string, number>;
  /** Per-query values: query id → metric name → value. */
  perQuery: Record<string, Record<string, number>>;
}

/** Which queries were left out, and why (for the CLI's notes; see the module comment). */
export interface EvalCoverage {
  /** Run queries without judgments (ignored). */
  runOnly: string[];
  /** Judged queries without run lines: skipped, or scored 0 with `complete`. */
  missingFromRun: string[];
  /** Comment lines (`#…`) skipped in the qrels and run files (evaluateFiles only). */
  commentLines: number;
  /** Whether the run file's queries were not grouped and it was read again in memory. */
  ungroupedRun: boolean;
  /** The highest judgment grade (undefined without judgments). Above it, `relLevel` leaves no document relevant. */
  maxGrade: number | undefined;
  /** How the qrels file was read: TREC qrels, or BEIR qrels recognised by their header line (evaluateFiles). */
  qrelsFormat: 'trec' | 'beir';
  /** Warnings of the qrels reader (BEIR qrels: blank lines skipped), as `file: message` lines. */
  qrelsWarnings: string[];
}

function highestGrade(grades: Iterable<Iterable<number>>): number | undefined {
  let max: number | undefined;
  for (const gs of grades) for (const g of gs) if (max === undefined || g > max) max = g;
  return max;
}

interface Settings {
  metrics: ParsedMetric[];
  complete: boolean;
  judgedOnly: boolean;
  level: number;
  depth: number;
}

/** Validates options; throws UsageError for bad metric names, levels or depths. */
function settings(opts: EvalOptions): Settings {
  const metrics = parseMetrics(opts.metrics);
  const level = opts.relLevel ?? 1;
  if (!Number.isSafeInteger(level) || level < 0) {
    throw new UsageError(`the relevance level (relLevel, --rel-level) must be an integer ≥ 0, got ${String(opts.relLevel)}.`, {
      hint: 'Grades ≥ the level count as relevant; the default is 1 (trec_eval -l).',
    });
  }
  const depth = opts.depth ?? Infinity;
  if (depth !== Infinity && (!Number.isSafeInteger(depth) || depth < 1)) {
    throw new UsageError(`the depth (depth, --depth) must be a positive integer, got ${String(opts.depth)}.`, {
      hint: 'Only the top `depth` documents of each query are evaluated (trec_eval -M).',
    });
  }
  return { metrics, complete: opts.complete ?? false, judgedOnly: opts.judgedOnly ?? false, level, depth };
}

/** Per-query rows and the summary: one instance per evaluation. */
class Evaluator {
  private readonly ranker: Ranker;
  private readonly rows: { qid: string; values: Float64Array }[] = [];
  private readonly stats = new Map<string, TopicStats>();

  /**
   * `judgedQids`: every judged query; `gradesOf(qid)`: its judgment grades (a fresh iterable per call);
   * `compareIds`: the id order (byte strings or UTF-16 strings).
   */
  constructor(
    private readonly s: Settings,
    private readonly judgedQids: Iterable<string>,
    private readonly gradesOf: (qid: string) => Iterable<number>,
    private readonly compareIds: IdCompare,
  ) {
    this.ranker = new Ranker({ depth: s.depth, judgedOnly: s.judgedOnly, level: s.level });
  }

  private topic(qid: string): TopicStats {
    let t = this.stats.get(qid);
    if (!t) {
      t = topicStats(this.gradesOf(qid), this.s.level);
      this.stats.set(qid, t);
    }
    return t;
  }

  /** Scores one judged query given as id strings; throws DuplicateDocument. */
  score(qid: string, judgments: ReadonlyMap<string, number>, ids: ArrayLike<string>, scores: ArrayLike<number>, n: number): void {
    const topic = this.topic(qid);
    this.record(qid, n === 0 ? this.ranker.empty(topic) : this.ranker.rankStrings(ids, scores, n, judgments, topic, this.compareIds));
  }

  /** Scores one judged query given as a streamed block; throws DuplicateDocument. */
  scoreBlock(block: CompactRunBlock, grades: ArrayLike<number>): void {
    this.record(block.qid, this.ranker.rankBlock(block, grades, this.topic(block.qid)));
  }

  /** Scores a judged query that has no run lines as an empty ranking (trec_eval -c). */
  scoreMissing(qid: string): void {
    this.record(qid, this.ranker.empty(this.topic(qid)));
  }

  private record(qid: string, q: RankedQuery): void {
    const ms = this.s.metrics;
    const values = new Float64Array(ms.length);
    for (let m = 0; m < ms.length; m++) values[m] = ms[m].measure.compute(q, ms[m].k);
    this.rows.push({ qid, values });
  }

  /**
   * The result. Sums run in ascending qid byte order, trec_eval's order, so that means are
   * bit-identical to its output. `display` turns internal ids into result keys.
   */
  finish(display: (qid: string) => string): EvalResult {
    const ms = this.s.metrics;
    const rows = this.rows.slice().sort((a, b) => this.compareIds(a.qid, b.qid));
    const metrics: Record<string, number> = {};
    const perQuery: Record<string, Record<string, number>> = {};
    const sums = new Float64Array(ms.length);
    for (const row of rows) {
      const values: Record<string, number> = {};
      for (let m = 0; m < ms.length; m++) {
        sums[m] += row.values[m];
        values[ms[m].key] = row.values[m];
      }
      // defineProperty: a query id may be any string, "__proto__" included.
      Object.defineProperty(perQuery, display(row.qid), { value: values, enumerable: true, writable: true, configurable: true });
    }
    for (let m = 0; m < ms.length; m++) {
      const p = ms[m];
      if (p.measure.aggregate === 'sum') {
        metrics[p.key] = sums[m];
        if (p.measure.name === 'num_rel' && this.s.complete) metrics[p.key] = this.positiveJudgments();
      } else {
        metrics[p.key] = rows.length > 0 ? sums[m] / rows.length : 0;
      }
    }
    return { queries: rows.length, metrics, perQuery };
  }

  /** trec_eval's `-c` summary of num_rel: judgments with grade > 0 over every judged query, whatever -l. */
  private positiveJudgments(): number {
    let c = 0;
    for (const qid of this.judgedQids) for (const g of this.gradesOf(qid)) if (g > 0) c++;
    return c;
  }
}

function noOverlap(judgedQids: Iterable<string>, runQids: Iterable<string>, display: (q: string) => string): UsageError {
  const judged = [...judgedQids].slice(0, 3).map((q) => quoteExcerpt(display(q), 40));
  const ran = [...runQids].slice(0, 3).map((q) => quoteExcerpt(display(q), 40));
  return new UsageError(`no query of the run has judgments, so there is nothing to evaluate (judged: ${judged.join(', ')}…; in the run: ${ran.join(', ') || 'none'}…).`, {
    hint: 'Query ids must match exactly, byte for byte ("1", "01" and "q1" are different queries): check that the run and the judgments belong to the same collection and split.',
  });
}

/**
 * Evaluates an in-memory run against in-memory judgments with trec_eval semantics (see the module
 * comment). Throws UsageError for bad options, a NaN score, a document listed twice for one query, or
 * when no run query has judgments.
 */
export function evaluate(qrels: Qrels, run: Run, opts: EvalOptions): EvalResult {
  return evaluateWithCoverage(qrels, run, opts).result;
}

/** `evaluate`, plus which queries were ignored or missing. */
export function evaluateWithCoverage(qrels: Qrels, run: Run, opts: EvalOptions): { result: EvalResult; coverage: EvalCoverage } {
  const s = settings(opts);
  const ev = new Evaluator(s, qrels.keys(), (q) => qrels.get(q)?.values() ?? [], compareUtf8);
  const missingFromRun: string[] = [];
  let ids: string[] = [];
  let scores = new Float64Array(0);
  let evaluated = 0;
  for (const [qid, judgments] of qrels) {
    const docs = run.get(qid);
    if (!docs || docs.length === 0) {
      missingFromRun.push(qid);
      if (s.complete) ev.scoreMissing(qid);
      continue;
    }
    evaluated++;
    const n = docs.length;
    if (scores.length < n) scores = new Float64Array(Math.max(n, scores.length * 2));
    ids = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const d = docs[i];
      if (Number.isNaN(d.score)) throw new UsageError(`the run's score for document ${quoteExcerpt(d.id)} of query ${quoteExcerpt(qid)} is NaN.`, { hint: 'Every document needs a numeric score to be ranked.' });
      ids[i] = d.id;
      scores[i] = d.score;
    }
    try {
      ev.score(qid, judgments, ids, scores, n);
    } catch (e) {
      if (e instanceof DuplicateDocument) {
        throw new UsageError(`the run lists document ${quoteExcerpt(e.id)} twice for query ${quoteExcerpt(qid)} (positions ${e.first + 1} and ${e.second + 1}).`, {
          hint: 'A document may appear once per query (trec_eval stops with "duplicate docs" here).',
        });
      }
      throw e;
    }
  }
  const runOnly = [...run.keys()].filter((q) => !qrels.has(q) && (run.get(q)?.length ?? 0) > 0);
  if (evaluated === 0) throw noOverlap(qrels.keys(), [...run.keys()].filter((q) => (run.get(q)?.length ?? 0) > 0), (q) => q);
  const maxGrade = highestGrade([...qrels.values()].map((docs) => docs.values()));
  return { result: ev.finish((q) => q), coverage: { runOnly, missingFromRun, commentLines: 0, ungroupedRun: false, maxGrade, qrelsFormat: 'trec', qrelsWarnings: [] } };
}

/**
 * Evaluates a TREC run file against a TREC qrels file (plain or gzip), streaming the run: each query
 * is scored when its block of lines ends, so memory stays at one query's documents for a run grouped by
 * query, however large the file. Same results as `evaluate(await readQrels(q), await readRun(r), opts)`.
 * Either path may be `-` (standard input, not both) or a pipe (`<(…)`, a FIFO); BEIR qrels (a TSV whose
 * first line is the header `query-id<TAB>corpus-id<TAB>score`) are read as such.
 */
export async function evaluateFiles(qrelsPath: string, runPath: string, opts: EvalOptions): Promise<EvalResult> {
  return (await evaluateFilesWithCoverage(qrelsPath, runPath, opts)).result;
}

/** `evaluateFiles`, plus which queries were ignored or missing. */
export async function evaluateFilesWithCoverage(qrelsPath: string, runPath: string, opts: EvalOptions): Promise<{ result: EvalResult; coverage: EvalCoverage }> {
  const s = settings(opts);
  if (qrelsPath === STDIN && runPath === STDIN) {
    throw new UsageError('the qrels and the run cannot both be read from standard input (`-`).', {
      hint: "Pass one of them as a file; a shell turns a command's output into a file name with <(…).",
    });
  }
  // Opened here and kept for the whole evaluation: a pipe can then be read a second time (see openTrecSource).
  const qrels = await openTrecSource(qrelsPath);
  try {
    const run = await openTrecSource(runPath);
    try {
      return await evaluateSources(qrels, run, s);
    } finally {
      await run.close();
    }
  } finally {
    await qrels.close();
  }
}

async function evaluateSources(qrelsSource: ByteSource, runPath: ByteSource, s: Settings): Promise<{ result: EvalResult; coverage: EvalCoverage }> {
  // Ids stay byte strings (one char per byte) throughout: exact for any bytes, and `<` is strcmp order.
  // Each judged query's ids sit in a table that run lines are matched against as raw bytes.
  const { topics, commentLines: qrelsComments, format: qrelsFormat, warnings: qrelsWarnings } = await readJudgmentTables(qrelsSource);
  const gradesOf = (qid: string): number[] => topics.get(qid)?.grades ?? [];
  const seen = new Set<string>();
  const runOnly: string[] = [];
  let ev = new Evaluator(s, topics.keys(), gradesOf, compareByteStrings);
  let duplicate: { qid: string; id: string } | undefined;
  let ungrouped = false;

  const stats = await scanRunBlocksCompact(
    runPath,
    (qid) => topics.get(qid)?.table,
    (b) => {
      if (seen.has(b.qid)) {
        ungrouped = true;
        throw new StopReading();
      }
      seen.add(b.qid);
      const topic = topics.get(b.qid);
      if (!topic) {
        runOnly.push(b.qid);
        return;
      }
      try {
        ev.scoreBlock(b, topic.grades);
      } catch (e) {
        if (e instanceof DuplicateDocument) {
          duplicate = { qid: b.qid, id: e.id };
          throw new StopReading();
        }
        throw e;
      }
    },
  );
  if (duplicate) throw await duplicateError(runPath, 'run', duplicate.qid, duplicate.id, 'bytes');

  if (ungrouped) {
    // Not grouped by query: read the judged queries' documents into memory and score them at the end.
    const run = await readRunWith(runPath, 'bytes', (qid) => topics.has(qid));
    ev = new Evaluator(s, topics.keys(), gradesOf, compareByteStrings);
    seen.clear();
    runOnly.length = 0;
    for (const [qid, docs] of run) {
      seen.add(qid);
      const topic = topics.get(qid);
      if (!topic) {
        runOnly.push(qid);
        continue;
      }
      const judgments = new Map(topic.table.keys.map((k, i) => [k, topic.grades[i]]));
      try {
        ev.score(qid, judgments, docs.map((d) => d.id), docs.map((d) => d.score), docs.length);
      } catch (e) {
        if (e instanceof DuplicateDocument) throw await duplicateError(runPath, 'run', qid, e.id, 'bytes');
        throw e;
      }
    }
  }

  const missingFromRun = [...topics.keys()].filter((q) => !seen.has(q));
  if (missingFromRun.length === topics.size) throw noOverlap(topics.keys(), seen, bytesToText);
  if (s.complete) for (const qid of missingFromRun) ev.scoreMissing(qid);
  return {
    result: ev.finish(bytesToText),
    coverage: {
      runOnly: runOnly.map(bytesToText),
      missingFromRun: missingFromRun.map(bytesToText),
      commentLines: qrelsComments + stats.commentLines,
      ungroupedRun: ungrouped,
      maxGrade: highestGrade([...topics.values()].map((t) => t.grades)),
      qrelsFormat,
      qrelsWarnings,
    },
  };
}
