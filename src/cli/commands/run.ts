import { defineCommand } from '../command.js';

export const runCommand = defineCommand({
  command: 'run [config]',
  describe: 'run an experiment sweep (datasets x retrievers x candidates x rerankers x batch sizes) and write results.json, results.csv, TREC runs and the report',
  builder: (y) =>
    y
      .positional('config', { type: 'string', describe: 'experiment config (YAML or JSON), e.g. configs/quickstart.yaml' })
      .option('out', { type: 'string', describe: 'output folder (default reports/<experiment name>)' })
      .option('cache', { type: 'string', describe: 'cache folder (default .rbench-cache or $RBENCH_CACHE)' })
      .option('resume', { type: 'boolean', default: false, describe: 'reuse everything a previous (possibly killed) run of this config committed, timings included' })
      .option('no-cache', { type: 'boolean', default: false, describe: 'neither read nor write the cache (everything is recomputed)' })
      .option('no-refresh', { type: 'boolean', default: false, describe: 'stop (exit 2) instead of recomputing when a remote model no longer gives the scores cached for it' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output, only the summary' })
      .option('offline', { type: 'boolean', default: false, describe: 'refuse anything that would use the network (remote rerank/embedding/LLM endpoints)' })
      .option('shard', { type: 'string', describe: 'run part i of n of the sweep (i/n, e.g. 2/3); `rbench merge` puts the parts together' })
      .option('reproduce', { type: 'string', describe: 're-run exactly the experiment of a results.json (its manifest) and say whether the numbers are the same' })
      .option('baseline', { type: 'string', describe: 'after the run, gate the results against this results.json (as `rbench gate`; gate.md and gate.junit.xml in the output folder; exit 1 on a FAIL)' })
      .option('rules', { type: 'string', describe: 'gate rules for --baseline (YAML or JSON; default rules without it)' })
      .option('force-latency', { type: 'boolean', default: false, describe: 'with --baseline: compare latency even when the baseline was timed on other hardware' })
      .example('$0 run configs/quickstart.yaml', '')
      .example('$0 run configs/quickstart.yaml --shard 2/3 --out shards/2', 'one third of the sweep; merge with `rbench merge shards/1 shards/2 shards/3 --out merged`')
      .example('$0 run --reproduce reports/quickstart/results.json', ''),
  handler: async (argv) => {
    const { runCommandImpl } = await import('../../experiment/cli.js');
    return runCommandImpl({
      config: argv.config,
      out: argv.out,
      cache: argv.cache,
      resume: argv.resume,
      noCache: argv.noCache,
      noRefresh: argv.noRefresh,
      quiet: argv.quiet,
      offline: argv.offline,
      shard: argv.shard,
      reproduce: argv.reproduce,
      baseline: argv.baseline,
      rules: argv.rules,
      forceLatency: argv.forceLatency,
    });
  },
});
