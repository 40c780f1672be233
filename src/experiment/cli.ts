/** `rbench run`: loads the config, runs it, prints where the results are and what the planner saved. */
import path from 'node:path';
import { assertOffline, loadConfig } from './config.js';
import { UsageError } from '../errors.js';
import { runExperiment, type RunOutcome } from './execute.js';
import { parseShard } from './shard.js';
import type { ResultsFile } from './results.js';

export interface RunArgs {
  config?: string;
  out?: string;
  cache?: string;
  resume: boolean;
  noCache: boolean;
  noRefresh: boolean;
  quiet: boolean;
  offline: boolean;
  shard?: string;
  reproduce?: string;
  /** `--baseline`: gate the new results against this results file (exit code: the gate's). */
  baseline?: string;
  /** `--rules`: the gate's rules file. */
  rules?: string;
  forceLatency?: boolean;
}

export async function runCommandImpl(args: RunArgs): Promise<number> {
  if (args.reproduce !== undefined) {
    if (args.config !== undefined || args.shard !== undefined) throw new UsageError('--reproduce runs the config recorded in the results file: give no config and no --shard with it.');
    const { reproduce } = await import('./reproduce.js');
    const r = await reproduce(args.reproduce, { out: args.out, cache: args.cache, quiet: args.quiet });
    process.stderr.write(`${[...summaryLines(r.outcome), ...r.lines].join('\n')}\n`);
    return r.code;
  }
  if (args.config === undefined) throw new UsageError('name the experiment config to run (e.g. `rbench run configs/quickstart.yaml`), or --reproduce a results.json.');
  const x = loadConfig(args.config);
  if (args.offline) assertOffline(x);
  const shard = args.shard !== undefined ? parseShard(args.shard) : undefined;
  // --baseline: a bad baseline or rules file fails now, before the sweep (exit 2); the gate runs at the end.
  const gate = args.baseline !== undefined || args.rules !== undefined ? (await import('../gate/cli.js')).prepareGate(args) : undefined;
  const outcome = await runExperiment(x, { outDir: args.out, cache: args.cache, resume: args.resume, noCache: args.noCache, noRefresh: args.noRefresh, quiet: args.quiet, shard });
  process.stderr.write(`${[...summaryLines(outcome, args.resume), ...decisionLines(outcome.results)].join('\n')}\n`);
  return gate ? gate.after(outcome.resultsFile) : 0;
}

/** `rbench merge`: the shards' folders into one sweep. */
export async function mergeCommandImpl(dirs: readonly string[], out: string): Promise<number> {
  const { mergeShards } = await import('./merge.js');
  const merged = await mergeShards(dirs, out);
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const lines = [
    `rbench: merged ${merged.results.shards?.length} shards of ${merged.results.experiment}: ${merged.results.results.length} configurations`,
    `  results: ${rel(merged.resultsFile)}${merged.reportFile ? `; report: ${rel(merged.reportFile)}; for a pull request: ${rel(path.join(path.dirname(merged.reportFile), 'summary.md'))}` : ''}`,
    ...(merged.results.latencyNote ? [`  note: ${merged.results.latencyNote}`] : []),
    ...decisionLines(merged.results),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  return 0;
}

/** What a run did and where its outputs are. */
function summaryLines(outcome: RunOutcome, resume = false): string[] {
  const { results } = outcome;
  const w = results.work;
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const lines = [
    `rbench: ${results.experiment}: ${w.configurations} configurations over ${results.datasets.length} dataset(s) in ${results.durationSec.toFixed(1)} s`,
    `  planner: ${w.retrievalPasses} retrieval passes instead of ${w.retrievalPassesNaive}; ${w.rerankPairsNeeded} (query, document) pairs reranked instead of ${w.rerankPairsNaive}` +
      (w.rerankPairsNeeded > 0 ? ` (${(w.rerankPairsNaive / w.rerankPairsNeeded).toFixed(1)}x less work)` : '') +
      `; from cache: ${w.rerankPairsFromCache} pairs${resume ? `, ${w.timingBlocksResumed} timing blocks` : ''}`,
    `  results: ${rel(outcome.resultsFile)}, ${rel(path.join(outcome.outDir, 'results.csv'))}, runs in ${rel(path.join(outcome.outDir, 'runs'))}/`,
  ];
  if (outcome.reportFile) lines.push(`  report:  ${rel(outcome.reportFile)}; for a pull request: ${rel(path.join(path.dirname(outcome.reportFile), 'summary.md'))}`);
  return lines;
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
const pText = (p: number): string => (p < 0.001 ? '<0.001' : p.toFixed(3));
const msText = (x: number): string => (!Number.isFinite(x) ? 'untimed' : x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`);

/**
 * The decision, as the last thing a run prints: per dataset and budget, the recommended configuration with
 * its interval and its p-value against the baseline; then the selection estimate next to the naive best.
 */
export function decisionLines(results: ResultsFile): string[] {
  const out: string[] = [];
  for (const ds of results.datasets) {
    const decisions = (results.decisions ?? []).filter((d) => d.dataset === ds.name);
    if (decisions.length === 0) continue;
    const { metric, latency } = decisions[0];
    const baseline = results.statistics?.baselines[ds.name];
    const short = (id: string) => id.slice(ds.name.length + 1);
    out.push(`  decision for ${ds.name} (${metric}, mean [95% CI]; total ${latency} per query; baseline ${baseline ? short(baseline) : 'none'}):`);
    const rows = decisions.map((d) => {
      const budget = d.budgetMs === null ? 'no budget' : `<= ${d.budgetMs} ms`;
      const r = d.recommended;
      if (!r) return [budget, 'nothing with quality fits', '', '', ''];
      const vs = r.vsBaseline ? `${r.vsBaseline.delta >= 0 ? '+' : '-'}${Math.abs(r.vsBaseline.delta).toFixed(3)} vs baseline, adj. p ${pText(r.vsBaseline.pAdjusted)}${r.vsBaseline.significant ? ' *' : ''}` : r.id === baseline ? 'the baseline' : '';
      return [budget, short(r.id), `${f3(r.mean)} [${f3(r.ci95[0])}, ${f3(r.ci95[1])}]`, vs, `${msText(r.latencyMs)}${r.batchSize !== null ? ` (b${r.batchSize})` : ''}`];
    });
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) out.push(`    ${r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}`);
    const sel = (results.selection ?? []).find((x) => x.dataset === ds.name && x.metric === metric);
    if (sel) {
      const how = sel.method === 'split' ? `chosen on ${sel.selectedOn}` : `${sel.folds}-fold cross-validated`;
      out.push(`    selection: naive best ${f3(sel.naiveBest.mean)} (${short(sel.naiveBest.id)}); ${how} estimate ${f3(sel.estimate)} (the best of ${new Set(results.results.filter((x) => x.dataset === ds.name && x.metrics).map((x) => x.qualityId)).size} overstates it by ${f3(sel.gap)})`);
    }
    const standIns = decisions.find((d) => d.budgetMs === null)?.standIns ?? [];
    if (standIns.length > 0) out.push(`    stand-ins (cost only, quality unknown offline): ${standIns.map((x) => `${short(x.id)} ${msText(x.latencyMs)}`).join(', ')}`);
  }
  if (out.length > 0) out.push('  * significant after Holm correction (paired randomization test, alpha 0.05); details in the report');
  return out;
}
