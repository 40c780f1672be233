/**
 * `rbench merge DIR… --out DIR`: the shards of a sweep (`rbench run CONFIG --shard i/n`) put together:
 * results.json, results.csv, runs and the report, as an unsharded run writes them.
 */
import { defineCommand } from '../command.js';

export const mergeCommand = defineCommand({
  command: 'merge <dirs..>',
  describe: 'merge the output folders of `rbench run --shard i/n` into the results, runs and report of the whole sweep',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the --out folders of every shard' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder of the merged sweep' })
      .example('$0 merge shards/1 shards/2 shards/3 --out reports/merged', ''),
  handler: async (argv) => {
    const { mergeCommandImpl } = await import('../../experiment/cli.js');
    return mergeCommandImpl(argv.dirs, argv.out);
  },
});
