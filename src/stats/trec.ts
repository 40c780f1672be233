/**
 * Per-query scores of TREC runs under one qrels file, ready for `compareSystems`: the input of
 * `rbench compare --qrels Q RUN_A RUN_B …`.
 *
 * Each run is scored by the trec_eval-exact evaluator with `complete: true` (trec_eval -c): every judged
 * query counts and a judged query missing from a run scores 0, so all runs are scored on the same queries,
 * the qrels' judged queries, and pair by construction. Run queries without judgments are ignored (and
 * reported). A run is named after its file: the base name without `.gz` and then without one extension
 * (`bm25.trec.gz` → `bm25`).
 *
 * Refused with UsageError naming the file: two runs with the same name, a run without any judged query
 * (it shares nothing with the qrels: wrong collection or split), and every defect the readers refuse.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { evaluateFilesWithCoverage } from '../metrics/evaluate.js';
import { parseMetrics } from '../metrics/registry.js';
import type { SystemScores } from './compare.js';

/** What was left out or filled in, per run, for the CLI's notes. */
export interface TrecRunCoverage {
  file: string;
  name: string;
  /** Run queries without judgments (ignored). */
  runOnly: string[];
  /** Judged queries without run lines (scored 0). */
  missingFromRun: string[];
}

/** A run's name: its file's base name without `.gz` and then without one extension. */
export function runName(file: string): string {
  let base = path.basename(file);
  if (base.toLowerCase().endsWith('.gz') && base.length > 3) base = base.slice(0, -3);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Scores each run file against the qrels file (see the module comment). `metrics` are metric names as
 * `parseMetrics` accepts them; each per-query row is keyed by the names as given.
 */
export async function scoreTrecRuns(qrelsFile: string, runFiles: readonly string[], metrics: readonly string[]): Promise<{ systems: SystemScores[]; coverage: TrecRunCoverage[] }> {
  parseMetrics([...metrics]); // bad names fail here, before any run is read
  const byName = new Map<string, string>();
  for (const file of runFiles) {
    const name = runName(file);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new UsageError(`runs ${other} and ${file} are both named ${JSON.stringify(name)} (a run is named after its file, without the extension).`, {
        hint: 'Give every run its own file name (copy or link one under another name), or list each file once.',
      });
    }
    byName.set(name, file);
  }
  const systems: SystemScores[] = [];
  const coverage: TrecRunCoverage[] = [];
  for (const file of runFiles) {
    const name = runName(file);
    let scored: Awaited<ReturnType<typeof evaluateFilesWithCoverage>>;
    try {
      scored = await evaluateFilesWithCoverage(qrelsFile, file, { metrics: [...metrics], complete: true });
    } catch (e) {
      // The evaluator names the file for defects it finds in it; what it does not locate concerns this run
      // as a whole (it has no judged query): say which run.
      if (e instanceof UsageError && e.location.file === undefined) throw new UsageError(e.message, { file, cause: e });
      throw e;
    }
    systems.push({ name, perQuery: scored.result.perQuery });
    coverage.push({ file, name, runOnly: scored.coverage.runOnly, missingFromRun: scored.coverage.missingFromRun });
  }
  return { systems, coverage };
}
