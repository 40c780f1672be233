/** `rbench run`: loads the config, runs it, prints where the results are and what the planner saved. */
import path from 'node:path';
import { assertOffline, loadConfig } from './config.js';
import { runExperiment } from './execute.js';

export interface RunArgs {
  config: string;
  out?: string;
  cache?: string;
  resume: boolean;
  noCache: boolean;
  noRefresh: boolean;
  quiet: boolean;
  offline: boolean;
}

export async function runCommandImpl(args: RunArgs): Promise<number> {
  const x = loadConfig(args.config);
  if (args.offline) assertOffline(x);
  const outcome = await runExperiment(x, { outDir: args.out, cache: args.cache, resume: args.resume, noCache: args.noCache, noRefresh: args.noRefresh, quiet: args.quiet });
  const { results } = outcome;
  const w = results.work;
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const lines = [
    `rbench: ${results.experiment}: ${w.configurations} configurations over ${results.datasets.length} dataset(s) in ${results.durationSec.toFixed(1)} s`,
    `  planner: ${w.retrievalPasses} retrieval passes instead of ${w.retrievalPassesNaive}; ${w.rerankPairsNeeded} (query, document) pairs reranked instead of ${w.rerankPairsNaive}` +
      (w.rerankPairsNeeded > 0 ? ` (${(w.rerankPairsNaive / w.rerankPairsNeeded).toFixed(1)}x less work)` : '') +
      `; from cache: ${w.rerankPairsFromCache} pairs${args.resume ? `, ${w.timingBlocksResumed} timing blocks` : ''}`,
    `  results: ${rel(outcome.resultsFile)}, ${rel(path.join(outcome.outDir, 'results.csv'))}, runs in ${rel(path.join(outcome.outDir, 'runs'))}/`,
  ];
  if (outcome.reportFile) lines.push(`  report:  ${rel(outcome.reportFile)}`);
  process.stderr.write(`${lines.join('\n')}\n`);
  return 0;
}
