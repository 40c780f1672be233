/**
 * `rbench compare --qrels Q RUN_A RUN_B [RUN_C …] [--metrics LIST] [--baseline NAME|N] [--test randomization|t]
 *  [--correction holm|bonferroni|bh|none] [--alpha 0.05] [--permutations N] [--bootstrap B] [--seed S]
 *  [--format table|json|markdown]`: paired significance tests between TREC runs.
 * The statistics (src/stats) are imported by the handler only.
 */
import type { Options } from 'yargs';
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_METRICS } from '../../metrics/defaults.js';
import { COMPARE_DEFAULTS, COMPARE_FORMATS, CORRECTION_NAMES, TEST_NAMES } from '../../stats/choices.js';
import type { CompareTrecArgs } from '../../stats/cli.js';

const OPTIONS = {
  qrels: { type: 'string', demandOption: true, describe: 'judgments: `qid 0 docno grade` lines; every judged query counts (trec_eval -c)' },
  metrics: { type: 'string', default: DEFAULT_METRICS.join(','), describe: 'comma-separated metric names, as for `rbench eval`' },
  baseline: { type: 'string', describe: 'the run every other run is compared with: its name (file name without the extension) or position (1 = first); default the first run' },
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
  qrels: string;
  metrics: string;
  baseline?: string;
  test: string;
  correction: string;
  alpha: number;
  permutations: number;
  bootstrap: number;
  seed: number;
  format: string;
}

/** The parsed arguments, narrowed to the statistics' own types. */
function compareArgs(argv: ParsedCompare): CompareTrecArgs {
  const runs = argv.runs ?? [];
  const metrics = argv.metrics
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return {
    qrels: argv.qrels,
    runs,
    metrics,
    baseline: argv.baseline,
    test: oneOf(argv.test, TEST_NAMES, 'test'),
    correction: oneOf(argv.correction, CORRECTION_NAMES, 'correction'),
    alpha: argv.alpha,
    permutations: argv.permutations,
    bootstrap: argv.bootstrap,
    seed: argv.seed,
    format: oneOf(argv.format, COMPARE_FORMATS, 'format'),
  };
}

export const compareCommand = defineCommand({
  command: 'compare <runs..>',
  describe: 'paired significance tests between TREC runs: means with bootstrap CIs, deltas, randomization and t-test p-values, adjusted for multiple comparisons',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'TREC run files (plain or gzip); the first is the baseline unless --baseline says otherwise' })
      .options(OPTIONS)
      .example('$0 compare --qrels qrels.txt bm25.trec hybrid.trec rerank.trec', 'each run against bm25: nDCG@10, MRR@10, MAP, Recall@100, P@10')
      .example('$0 compare --qrels qrels.txt a.trec b.trec --metrics ndcg@10 --test t --correction bh --format json', 'JSON, t-test, Benjamini–Hochberg'),
  handler: async (argv) => {
    const { compareTrecCommand } = await import('../../stats/cli.js');
    return compareTrecCommand(compareArgs(argv));
  },
});
