/**
 * `rbench eval --qrels F --run F [--metrics LIST] [--complete] [--judged-only] [--rel-level N]
 *  [--depth M] [--per-query] [--format json|table|csv]`: trec_eval-compatible scoring of a TREC run.
 * Either file may be `-` (standard input) or a pipe (`<(zcat run.gz)`); qrels may be BEIR's TSV (with
 * its header line). What the numbers silently depend on is said on stderr: ignored and missing queries,
 * skipped comment lines, qrels read as BEIR, and a relevance level no judgment reaches.
 *
 * This module is loaded for every rbench command, so it imports nothing heavy: the evaluation code is
 * imported by the handler, and nothing on this path loads model runtimes or report libraries (process
 * start-up is part of `npm run bench:eval`).
 *
 * `evalMain` is the same command without yargs, for a launcher that wants `rbench eval` to start fast
 * (importing yargs and rendering its help cache costs about 100 ms, as much as scoring a 500 × 1,000
 * run). It reads the same option table as the yargs builder, handles the canonical spellings only, and
 * returns undefined for anything else (help, unknown or repeated options, camelCase, --verbose) so that
 * the caller can hand the arguments to the full yargs CLI, which then answers exactly as it always does.
 */
import type { Options } from 'yargs';
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { quoteExcerpt } from '../../data/diagnostics.js';
import { DEFAULT_METRICS } from '../../metrics/defaults.js';

const FORMATS = ['json', 'table', 'csv'] as const;

/** eval's options, declared once for the yargs builder and for `evalMain`. */
const OPTIONS = {
  qrels: { type: 'string', demandOption: true, describe: 'judgments: `qid 0 docno grade` lines, or BEIR qrels (TSV with the header `query-id corpus-id score`); `-` reads stdin' },
  run: { type: 'string', demandOption: true, describe: 'run: `qid Q0 docno rank score tag` lines (ranked by score; rank column ignored); `-` reads stdin' },
  metrics: {
    type: 'string',
    default: DEFAULT_METRICS.join(','),
    describe:
      'comma-separated: ndcg@k, ndcg, ndcg_exp@k, mrr@k, mrr, map, map@k, recall@k, precision@k, r_precision, hit_rate@k, bpref, infAP, num_ret, num_rel, num_rel_ret; trec_eval names (ndcg_cut_10, P_5, recip_rank, …) work too',
  },
  complete: { type: 'boolean', default: false, describe: 'every judged query counts; one missing from the run scores 0 (trec_eval -c)' },
  'judged-only': { type: 'boolean', default: false, describe: 'drop unjudged documents before scoring (trec_eval -J)' },
  'rel-level': { type: 'number', describe: 'minimum grade of a relevant document, default 1 (trec_eval -l)' },
  depth: { type: 'number', describe: 'evaluate only the top M documents of each query (trec_eval -M)' },
  'per-query': { type: 'boolean', default: false, describe: 'also report each query' },
  format: { type: 'string', choices: FORMATS, default: 'table', describe: 'output format (json and csv keep full precision)' },
} as const satisfies Record<string, Options>;

interface EvalArgs {
  qrels: string;
  run: string;
  metrics: string | string[];
  complete: boolean;
  judgedOnly: boolean;
  relLevel?: number;
  depth?: number;
  perQuery: boolean;
  format: (typeof FORMATS)[number];
}

/** `args` with `--qrels -` and `--run -` joined into `--qrels=-` / `--run=-` (yargs would take `-` for a positional). */
export function joinStdinArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '--qrels' || args[i] === '--run') && args[i + 1] === '-') out.push(`${args[i++]}=-`);
    else out.push(args[i]);
  }
  return out;
}

/** The handler's arguments from yargs' parse (whose types the builder's options guarantee). */
function evalArgsOf(argv: Record<string, unknown>): EvalArgs {
  const text = (k: string): string => {
    const v = argv[k];
    if (typeof v !== 'string') throw new UsageError(`--${k} needs a value.`);
    return v;
  };
  const num = (k: string): number | undefined => (typeof argv[k] === 'number' ? argv[k] : undefined);
  const format = text('format');
  if (!FORMATS.some((f) => f === format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}.`);
  const metrics = argv.metrics;
  return {
    qrels: text('qrels'),
    run: text('run'),
    metrics: Array.isArray(metrics) ? metrics.map(String) : text('metrics'),
    complete: argv.complete === true,
    judgedOnly: argv.judgedOnly === true,
    relLevel: num('relLevel'),
    depth: num('depth'),
    perQuery: argv.perQuery === true,
    format: format as EvalArgs['format'],
  };
}

function examples(ids: string[]): string {
  const shown = ids.slice(0, 3).map((q) => quoteExcerpt(q, 40));
  return `${shown.join(', ')}${ids.length > 3 ? ', …' : ''}`;
}

async function runEval(args: EvalArgs): Promise<number> {
  const [{ evaluateFilesWithCoverage }, { parseMetrics }, format] = await Promise.all([
    import('../../metrics/evaluate.js'),
    import('../../metrics/registry.js'),
    import('../../metrics/format.js'),
  ]);
  const metrics = parseMetrics(args.metrics);
  const { result, coverage } = await evaluateFilesWithCoverage(args.qrels, args.run, {
    metrics: metrics.map((m) => m.key),
    complete: args.complete,
    judgedOnly: args.judgedOnly,
    relLevel: args.relLevel,
    depth: args.depth,
  });

  // Nothing is dropped silently: say which queries did not count, on stderr (stdout stays parseable).
  const notes: string[] = [];
  const { runOnly, missingFromRun } = coverage;
  if (runOnly.length > 0) {
    notes.push(`${runOnly.length} run ${runOnly.length === 1 ? 'query has' : 'queries have'} no judgments and ${runOnly.length === 1 ? 'was' : 'were'} ignored (${examples(runOnly)}).`);
  }
  if (missingFromRun.length > 0) {
    const what = `${missingFromRun.length} judged ${missingFromRun.length === 1 ? 'query has' : 'queries have'} no run lines (${examples(missingFromRun)})`;
    notes.push(args.complete ? `${what}; scored 0 (--complete).` : `${what} and ${missingFromRun.length === 1 ? 'was' : 'were'} skipped; --complete scores them as 0 (trec_eval -c).`);
  }
  if (coverage.commentLines > 0) notes.push(`skipped ${coverage.commentLines} comment line${coverage.commentLines === 1 ? '' : 's'} (starting with #).`);
  if (coverage.qrelsFormat === 'beir') notes.push(`read ${args.qrels === '-' ? 'standard input' : args.qrels} as BEIR qrels (its first line is the header \`query-id<TAB>corpus-id<TAB>score\`).`);
  notes.push(...coverage.qrelsWarnings);
  const level = args.relLevel ?? 1;
  if (coverage.maxGrade !== undefined && level > coverage.maxGrade) {
    const what = args.relLevel === undefined ? 'the relevance level 1 (the default)' : `--rel-level ${level}`;
    notes.push(
      `no judgment reaches ${what}: the highest grade in the qrels is ${coverage.maxGrade}, so no document counts as relevant and measures of relevant documents (MAP, MRR, precision, recall, …) are 0, as in trec_eval; nDCG uses the grades themselves.`,
    );
  }
  for (const note of notes) process.stderr.write(`rbench: note: ${note}\n`);

  let text: string;
  if (args.format === 'json') text = format.formatJson(result, args.perQuery);
  else if (args.format === 'csv') text = await format.formatCsv(result, metrics, args.perQuery);
  else text = format.formatTable(result, metrics, args.perQuery);
  process.stdout.write(text);
  return 0;
}

export const evalCommand = defineCommand({
  command: 'eval',
  describe: 'Score a TREC run against TREC qrels with trec_eval semantics (plain or gzip files)',
  builder: (y) =>
    y
      .options(OPTIONS)
      .example('$0 eval --qrels qrels.txt --run bm25.trec', 'nDCG@10, MRR@10, MAP, Recall@100, P@10 as a table')
      .example('$0 eval --qrels qrels.txt --run run.trec.gz --metrics ndcg@10,recall@1000 --per-query --format json', 'per-query JSON'),
  handler: async (argv) => runEval(evalArgsOf(argv)),
});

/**
 * The arguments after `eval` in their canonical forms (`--name value`, `--name=value`, `--flag`), or
 * undefined when anything else is there (the full CLI then takes over).
 */
function parseCanonical(args: string[]): EvalArgs | undefined {
  const values = new Map<string, string | number | boolean>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) return undefined;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!(name in OPTIONS) || values.has(name)) return undefined;
    const spec = OPTIONS[name as keyof typeof OPTIONS];
    if (spec.type === 'boolean') {
      if (eq >= 0) return undefined;
      values.set(name, true);
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (text === undefined || text === '' || (eq < 0 && text.startsWith('--'))) return undefined;
    if (spec.type === 'number') {
      const n = Number(text);
      if (text.startsWith('-') && Number.isNaN(n)) return undefined;
      values.set(name, n);
    } else {
      values.set(name, text);
    }
  }
  const format = values.get('format') ?? OPTIONS.format.default;
  if (!values.has('qrels') || !values.has('run') || !FORMATS.includes(format as EvalArgs['format'])) return undefined;
  return {
    qrels: values.get('qrels') as string,
    run: values.get('run') as string,
    metrics: (values.get('metrics') as string | undefined) ?? OPTIONS.metrics.default,
    complete: (values.get('complete') as boolean | undefined) ?? false,
    judgedOnly: (values.get('judged-only') as boolean | undefined) ?? false,
    relLevel: values.get('rel-level') as number | undefined,
    depth: values.get('depth') as number | undefined,
    perQuery: (values.get('per-query') as boolean | undefined) ?? false,
    format: format as EvalArgs['format'],
  };
}

/**
 * `rbench eval ARGS` without loading yargs: the exit code, or undefined when `args` need the full CLI
 * (see the module comment). Bad input is reported as the full CLI reports it: `rbench: <message>` on
 * stderr and exit code 2.
 */
export async function evalMain(args: string[]): Promise<number | undefined> {
  const parsed = parseCanonical(args);
  if (!parsed) return undefined;
  try {
    return await runEval(parsed);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`rbench: ${e.message}\n`);
    return e.exitCode;
  }
}
