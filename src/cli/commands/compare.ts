/**
 * `rbench compare` in two forms, told apart by the files given (their content, not only their names):
 * - TREC runs: `rbench compare --qrels Q RUN_A RUN_B [RUN_C …] [--metrics LIST] [--baseline NAME|N]
 *   [--test randomization|t] [--correction holm|bonferroni|bh|none] [--alpha 0.05] [--permutations N]
 *   [--bootstrap B] [--seed S] [--format table|json|markdown]`: paired significance tests between runs;
 * - two results files: `rbench compare A/results.json B/results.json [--intersect] [--metrics LIST] …`:
 *   the same statistics, configuration by configuration (src/gate).
 * Mixing the kinds is refused. The statistics are imported by the handler only.
 */
import type { Options } from 'yargs';
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_METRICS } from '../../metrics/defaults.js';
import { COMPARE_DEFAULTS, COMPARE_FORMATS, CORRECTION_NAMES, TEST_NAMES } from '../../stats/choices.js';
import type { CompareTrecArgs } from '../../stats/cli.js';
import type { CompareResultsArgs } from '../../gate/cli.js';

const OPTIONS = {
  qrels: { type: 'string', describe: 'TREC runs: judgments, `qid 0 docno grade` lines; every judged query counts (trec_eval -c). Not for results files' },
  metrics: { type: 'string', describe: `comma-separated metric names, as for \`rbench eval\` (default for TREC runs ${DEFAULT_METRICS.join(',')}; for results files every metric both report)` },
  intersect: { type: 'boolean', default: false, describe: 'results files: compare only what both share (datasets with the same sha256, queries both scored) and say what was left out, instead of refusing' },
  baseline: { type: 'string', describe: 'TREC runs: the run every other run is compared with, its name (file name without the extension) or position (1 = first); default the first run. Results files: the first is the baseline' },
  test: { type: 'string', choices: TEST_NAMES, default: COMPARE_DEFAULTS.test, describe: 'the test behind the adjusted p and significance (both are always reported)' },
  correction: { type: 'string', choices: CORRECTION_NAMES, default: COMPARE_DEFAULTS.correction, describe: "multiple-comparison correction over each metric's comparisons with the baseline" },
  alpha: { type: 'number', default: COMPARE_DEFAULTS.alpha, describe: 'significance level for the adjusted p' },
  permutations: { type: 'number', default: COMPARE_DEFAULTS.permutations, describe: 'random sign patterns of the randomization test when it cannot be exact (more than 20 non-zero differences)' },
  bootstrap: { type: 'number', default: COMPARE_DEFAULTS.bootstrap, describe: 'bootstrap resamples for every 95% interval' },
  seed: { type: 'number', default: COMPARE_DEFAULTS.seed, describe: 'seed of every random stream: the same seed gives the same output' },
  format: { type: 'string', choices: COMPARE_FORMATS, default: COMPARE_DEFAULTS.format, describe: 'output format (json keeps full precision)' },
} as const satisfies Record<string, Options>;

/** A value from `choices`, or a UsageError (yargs has checked it already; this narrows the type). */
function oneOf<T extends string>(value: unknown, choices: readonly T[], option: string): T {
  const found = choices.find((c) => c === value);
  if (found === undefined) throw new UsageError(`--${option} must be one of ${choices.join(', ')}, got ${String(value)}.`);
  return found;
}

/** The arguments as yargs parsed them (defaults and choices applied). */
interface ParsedCompare {
  runs?: string[];
  qrels?: string;
  metrics?: string;
  intersect: boolean;
  baseline?: string;
  test: string;
  correction: string;
  alpha: number;
  permutations: number;
  bootstrap: number;
  seed: number;
  format: string;
}

function metricList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
}

/** The statistics' settings, narrowed to their own types. */
function statsArgs(argv: ParsedCompare) {
  return {
    test: oneOf(argv.test, TEST_NAMES, 'test'),
    correction: oneOf(argv.correction, CORRECTION_NAMES, 'correction'),
    alpha: argv.alpha,
    permutations: argv.permutations,
    bootstrap: argv.bootstrap,
    seed: argv.seed,
    format: oneOf(argv.format, COMPARE_FORMATS, 'format'),
  };
}

/** The parsed arguments of the TREC form. */
function compareArgs(argv: ParsedCompare): CompareTrecArgs {
  if (argv.intersect) throw new UsageError('--intersect is for comparing two results files; TREC runs are always scored on the judged queries of one qrels file.');
  if (argv.qrels === undefined) {
    throw new UsageError('comparing TREC runs needs the judgments: --qrels FILE.', {
      hint: 'rbench compare --qrels qrels.txt bm25.trec hybrid.trec; or give two results.json files to compare sweeps.',
    });
  }
  return { qrels: argv.qrels, runs: argv.runs ?? [], metrics: metricList(argv.metrics) ?? [...DEFAULT_METRICS], baseline: argv.baseline, ...statsArgs(argv) };
}

/** The parsed arguments of the results-file form. */
function compareResultsArgs(argv: ParsedCompare): CompareResultsArgs {
  if (argv.qrels !== undefined) throw new UsageError('--qrels is for TREC runs; results files carry their own per-query scores.', { hint: 'Leave out --qrels to compare two results.json files.' });
  if (argv.baseline !== undefined) throw new UsageError('--baseline is for TREC runs; with results files the first file is the baseline.', { hint: 'rbench compare BASELINE/results.json CURRENT/results.json.' });
  return { files: argv.runs ?? [], metrics: metricList(argv.metrics), intersect: argv.intersect, ...statsArgs(argv) };
}

export const compareCommand = defineCommand({
  command: 'compare <runs..>',
  describe: 'paired significance tests between TREC runs, or between two results files configuration by configuration: means with bootstrap CIs, deltas, randomization and t-test p-values, adjusted for multiple comparisons',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'TREC run files (plain or gzip; the first is the baseline unless --baseline says otherwise), or two results.json files (or their folders): baseline, then current' })
      .options(OPTIONS)
      .example('$0 compare --qrels qrels.txt bm25.trec hybrid.trec rerank.trec', 'each run against bm25: nDCG@10, MRR@10, MAP, Recall@100, P@10')
      .example('$0 compare --qrels qrels.txt a.trec b.trec --metrics ndcg@10 --test t --correction bh --format json', 'JSON, t-test, Benjamini–Hochberg')
      .example('$0 compare reports/before/results.json reports/after/results.json --format markdown', 'two sweeps, configuration by configuration'),
  handler: async (argv) => {
    const runs = argv.runs ?? [];
    const { compareInputKind } = await import('../../gate/results-file.js');
    const kinds = runs.map((r) => compareInputKind(r));
    if (kinds.includes('results')) {
      if (kinds.includes('trec')) {
        const j = kinds.indexOf('results');
        const t = kinds.indexOf('trec');
        throw new UsageError(`${runs[j]} is a results file and ${runs[t]} is a TREC run; compare either TREC runs (with --qrels) or two results files.`);
      }
      const { compareResultsCommand } = await import('../../gate/cli.js');
      return compareResultsCommand(compareResultsArgs(argv));
    }
    const { compareTrecCommand } = await import('../../stats/cli.js');
    return compareTrecCommand(compareArgs(argv));
  },
});
