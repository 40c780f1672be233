/**
 * The `rbench` command line: argument parsing and error presentation only. Each command lives in
 * `src/cli/commands/<name>.ts` and imports its implementation lazily, so `rbench eval` loads neither
 * the model runtimes nor the experiment machinery.
 */
import yargs from 'yargs';
import { UsageError } from '../errors.js';
import type { RbenchCommand } from './command.js';
import { evalCommand, joinStdinArgs } from './commands/eval.js';
import { datasetsCommand } from './commands/datasets.js';
import { modelsCommand } from './commands/models.js';
import { mergeCommand } from './commands/merge.js';
import { runCommand } from './commands/run.js';
import { benchCommand } from './commands/bench.js';
import { reportCommand } from './commands/report.js';
import { compareCommand } from './commands/compare.js';
import { gateCommand } from './commands/gate.js';

const COMMANDS: RbenchCommand[] = [runCommand, mergeCommand, evalCommand, compareCommand, gateCommand, reportCommand, datasetsCommand, modelsCommand, benchCommand];

export async function main(args: string[]): Promise<number> {
  const verbose = args.includes('--verbose');
  let exitCode = 0;
  let failure: unknown;
  // yargs reads `--run -` as a flag followed by a positional `-`; eval's `-` means standard input.
  let parser = yargs(args[0] === 'eval' ? joinStdinArgs(args) : args)
    .scriptName('rbench')
    // `--no-cache` is a flag of its own (INTERFACE.md), not the negation of `--cache DIR`.
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .recommendCommands()
    .demandCommand(1, 'Name a command: run, merge, eval, compare, gate, report, datasets, models or bench (see `rbench --help`).')
    .option('verbose', { type: 'boolean', describe: 'print stack traces and debug details on errors', global: true })
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      // yargs calls this for parse errors (msg) and for errors thrown by handlers (err).
      failure = err ?? new UsageError(`${msg} See \`rbench --help\`.`);
      throw failure;
    });
  for (const c of COMMANDS) parser = c.register(parser, (code) => (exitCode = code));
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(failure ?? e, verbose);
  }
  return exitCode;
}

/** Prints an error the way the interface promises: one paragraph, exit 2 for bad input, no stack trace unless --verbose. */
export function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof UsageError) {
    process.stderr.write(`rbench: ${e.message}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const withCode = e as { exitCode?: unknown; message?: unknown; stack?: unknown };
  if (typeof withCode?.exitCode === 'number') {
    process.stderr.write(`rbench: ${String(withCode.message)}\n`);
    return withCode.exitCode;
  }
  process.stderr.write(`rbench: internal error: ${e instanceof Error ? e.message : String(e)}. This is a bug in rbench; rerun with --verbose and report the output.\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return 3;
}
