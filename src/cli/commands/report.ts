/**
 * `rbench report <results.json> [--out FILE]`: (re)renders the self-contained HTML report of a results file,
 * with summary.md (and its chart, summary.svg) beside it.
 * The implementation (and vega, vega-lite) is imported only when the command runs.
 */
import { defineCommand } from '../command.js';

export const reportCommand = defineCommand({
  command: 'report <results>',
  describe: 'render the HTML report (index.html) and summary.md of a results.json written by `rbench run`',
  builder: (y) =>
    y
      .positional('results', { type: 'string', describe: 'results.json written by `rbench run`', demandOption: true })
      .option('out', { type: 'string', describe: 'output file (default: index.html beside the results file); a folder gets index.html inside it; summary.md and summary.svg go beside it' })
      .example('rbench report reports/quickstart/results.json', 'rewrites reports/quickstart/index.html, summary.md and summary.svg')
      .example('rbench report results.json --out /tmp/report.html', ''),
  handler: async (argv) => {
    const { reportCommandImpl } = await import('../../report/cli.js');
    return reportCommandImpl({ results: argv.results, out: argv.out });
  },
});
