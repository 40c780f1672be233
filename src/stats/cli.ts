/**
 * `rbench compare --qrels Q RUN_A RUN_B …`: paired comparison of TREC runs. A thin layer: score the runs
 * (`trec.ts`), compare (`compare.ts`), print (`format.ts`). What was ignored or scored 0 is said on
 * stderr, as `rbench eval` does, so stdout stays parseable.
 */
import { UsageError } from '../errors.js';
import type { CompareFormat, StatisticsOptions } from './choices.js';
import { compareSystems, resolveBaseline } from './compare.js';
import { formatCompare } from './format.js';
import { scoreTrecRuns, type TrecRunCoverage } from './trec.js';

export interface CompareTrecArgs extends StatisticsOptions {
  qrels: string;
  runs: string[];
  metrics: string[];
  /** A run's name or 1-based position; default the first run. */
  baseline?: string;
  format: CompareFormat;
}

function examples(ids: string[]): string {
  return `${ids.slice(0, 3).map((q) => JSON.stringify(q)).join(', ')}${ids.length > 3 ? ', …' : ''}`;
}

/** The notes `rbench eval` would print for each run (queries ignored, queries scored 0). */
function coverageNotes(coverage: TrecRunCoverage[]): string[] {
  const notes: string[] = [];
  for (const c of coverage) {
    if (c.runOnly.length > 0) notes.push(`${c.file}: ${c.runOnly.length} run ${c.runOnly.length === 1 ? 'query has' : 'queries have'} no judgments and ${c.runOnly.length === 1 ? 'was' : 'were'} ignored (${examples(c.runOnly)}).`);
    if (c.missingFromRun.length > 0) notes.push(`${c.file}: ${c.missingFromRun.length} judged ${c.missingFromRun.length === 1 ? 'query has' : 'queries have'} no run lines (${examples(c.missingFromRun)}); scored 0.`);
  }
  return notes;
}

export async function compareTrecCommand(args: CompareTrecArgs): Promise<number> {
  if (args.runs.length < 2) {
    throw new UsageError(`compare needs at least two runs, got ${args.runs.length}${args.runs.length === 1 ? ` (${args.runs[0]})` : ''}.`, {
      hint: 'Give the baseline run and at least one run to compare with it: rbench compare --qrels qrels.txt bm25.trec hybrid.trec.',
    });
  }
  const { systems, coverage } = await scoreTrecRuns(args.qrels, args.runs, args.metrics);
  const report = compareSystems(systems, {
    metrics: args.metrics,
    baseline: resolveBaseline(systems.map((s) => s.name), args.baseline),
    test: args.test,
    correction: args.correction,
    alpha: args.alpha,
    permutations: args.permutations,
    bootstrap: args.bootstrap,
    seed: args.seed,
  });
  for (const note of coverageNotes(coverage)) process.stderr.write(`rbench: note: ${note}\n`);
  process.stdout.write(formatCompare(report, args.format));
  return 0;
}
