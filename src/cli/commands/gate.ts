/**
 * `rbench gate --baseline A --current B [--rules gate.yaml] [--out DIR] [--force-latency]`: the CI regression
 * gate between two results files. The implementation (src/gate) is imported by the handler only.
 */
import { defineCommand } from '../command.js';

export const gateCommand = defineCommand({
  command: 'gate',
  describe: 'regression gate between two results files: OK / OKish / FAIL / SKIPPED per configuration and metric (and latency); writes gate.md and gate.junit.xml; exit 1 on a FAIL',
  builder: (y) =>
    y
      .option('baseline', { type: 'string', demandOption: true, describe: 'the baseline results.json (or the folder holding it), e.g. a committed one' })
      .option('current', { type: 'string', demandOption: true, describe: 'the current results.json (or the folder holding it)' })
      .option('rules', { type: 'string', describe: 'gate rules (YAML or JSON): per-metric maxDrop, alpha, hardMaxDrop, latency maxSlowdown, which configurations; default rules without it' })
      .option('out', { type: 'string', describe: "folder for gate.md and gate.junit.xml (default: the current results' folder)" })
      .option('force-latency', { type: 'boolean', default: false, describe: 'compare latency even when the two were timed on different hardware (otherwise SKIPPED)' })
      .example('$0 gate --baseline configs/ci/baseline/results.json --current reports/ci/results.json', 'default rules')
      .example('$0 gate --baseline base.json --current reports/ci --rules configs/ci/gate.yaml --out gate/', 'own rules, files written to gate/'),
  handler: async (argv) => {
    const { gateCommand: run } = await import('../../gate/cli.js');
    return run({ baseline: argv.baseline, current: argv.current, rules: argv.rules, out: argv.out, forceLatency: argv.forceLatency });
  },
});
