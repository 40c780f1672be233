/**
 * The commands over results files: `rbench compare A B` (results form), `rbench gate`, and the gate step
 * of `rbench run --baseline`. Thin layers: read (`results-file.ts`, `rules.ts`), match and compare
 * (`match.ts`, `compare-results.ts`, `gate.ts`), print and write (`format-*.ts`).
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { writeAtomic } from '../experiment/results.js';
import { ensureWritableDir } from '../paths.js';
import type { CompareFormat, StatisticsOptions } from '../stats/choices.js';
import { compareResults } from './compare-results.js';
import { formatResultsCompare } from './format-compare.js';
import { formatGateJUnit, formatGateMarkdown, formatGateTable } from './format-gate.js';
import { runGate, type GateReport } from './gate.js';
import { matchResults } from './match.js';
import { loadResults, type LoadedResults } from './results-file.js';
import { loadRules, type GateRules } from './rules.js';

export interface CompareResultsArgs extends StatisticsOptions {
  files: string[];
  /** Default: every metric both files report. */
  metrics?: string[];
  intersect: boolean;
  format: CompareFormat;
}

export async function compareResultsCommand(args: CompareResultsArgs): Promise<number> {
  if (args.files.length !== 2) {
    throw new UsageError(`compare takes exactly two results files (baseline, then current), got ${args.files.length}.`, {
      hint: 'rbench compare reports/before/results.json reports/after/results.json.',
    });
  }
  const a = loadResults(args.files[0]);
  const b = loadResults(args.files[1]);
  const matched = matchResults(a, b, {
    intersect: args.intersect,
    metrics: args.metrics,
    refusalHint: 'Compare results computed on the same data, or pass --intersect to compare only what the two share (what is left out is said).',
  });
  const report = compareResults(a, b, matched, {
    test: args.test,
    correction: args.correction,
    alpha: args.alpha,
    permutations: args.permutations,
    bootstrap: args.bootstrap,
    seed: args.seed,
  });
  for (const note of report.notes) process.stderr.write(`rbench: note: ${note}\n`);
  process.stdout.write(formatResultsCompare(report, args.format));
  return 0;
}

export interface GateArgs {
  baseline: string;
  current: string;
  rules?: string;
  /** Folder for gate.md and gate.junit.xml (default: the current results' folder). */
  out?: string;
  forceLatency: boolean;
}

/** The files a gate wrote. */
export interface GateOutputs {
  markdown: string;
  junit: string;
}

/** Writes gate.md and gate.junit.xml into `outDir` (created and checked writable first). */
export function writeGateFiles(report: GateReport, outDir: string): GateOutputs {
  const dir = ensureWritableDir(outDir, 'gate output folder');
  const markdown = path.join(dir, 'gate.md');
  const junit = path.join(dir, 'gate.junit.xml');
  writeAtomic(markdown, formatGateMarkdown(report));
  writeAtomic(junit, formatGateJUnit(report));
  return { markdown, junit };
}

/** Gates loaded files: prints the table (stdout), writes the files, says where (stderr); the exit code. */
export function gateLoaded(baseline: LoadedResults, current: LoadedResults, rules: GateRules, opts: { out?: string; forceLatency: boolean }): number {
  const report = runGate(baseline, current, rules, { forceLatency: opts.forceLatency });
  const files = writeGateFiles(report, opts.out ?? path.dirname(current.resolved));
  process.stdout.write(formatGateTable(report));
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  process.stderr.write(`rbench: gate ${report.exitCode === 0 ? 'passed' : 'FAILED'}; wrote ${rel(files.markdown)} and ${rel(files.junit)}\n`);
  return report.exitCode;
}

export async function gateCommand(args: GateArgs): Promise<number> {
  const rules = loadRules(args.rules);
  const baseline = loadResults(args.baseline);
  const current = loadResults(args.current);
  return gateLoaded(baseline, current, rules, { out: args.out, forceLatency: args.forceLatency });
}

/** The gate step of `rbench run --baseline`, read before the sweep so that a bad baseline or rules file fails at once. */
export interface PreparedGate {
  /** Gates the results file the run wrote against the baseline; the gate's exit code. */
  after(resultsFile: string): number;
}

export function prepareGate(args: { baseline?: string; rules?: string; forceLatency?: boolean }): PreparedGate {
  if (args.baseline === undefined) throw new UsageError('--rules is for the gate after the run: give the baseline too (--baseline results.json).');
  const rules = loadRules(args.rules);
  const baseline = loadResults(args.baseline);
  const forceLatency = args.forceLatency === true;
  return { after: (resultsFile) => gateLoaded(baseline, loadResults(resultsFile), rules, { forceLatency }) };
}
