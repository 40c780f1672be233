/**
 * `rbench run --reproduce results.json`: runs exactly the experiment a results file records (its validated
 * config, resolved against the folder the config was in) and says whether it gave the same numbers.
 *
 * Refused (exit 2), naming what differs, before any work: a file without a manifest, a config that does not
 * give back the recorded config hash, a dataset whose files' sha256 differs, a local model whose files' sha256
 * differs. Models rbench builds during the run (GloVe per corpus, stand-ins) are compared once built: a
 * different one is refused after the run, naming it. Then: "quality identical: N/N configurations" (metrics and
 * per-query values, bit for bit), and latency as the median ratio to the original, with both environments.
 * Exit 0 when quality is identical, 1 when it is not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadDataset } from '../data/datasets.js';
import { UsageError } from '../errors.js';
import { isRemoteModelSpec } from '../models/registry.js';
import { modelsDir } from '../paths.js';
import { expandConfigObject, modelSpecsOf, type ExpandedConfig } from './config.js';
import type { Environment } from './environment.js';
import { runExperiment, type RunOutcome } from './execute.js';
import { configHash, type Manifest } from './manifest.js';
import type { ResultsFile } from './results.js';

export interface ReproduceOptions {
  out?: string;
  cache?: string;
  quiet?: boolean;
}

function readResults(file: string): ResultsFile & { manifest: Manifest } {
  let r: ResultsFile;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
  } catch (e) {
    throw new UsageError(`cannot read the results file: ${(e as Error).message}.`, { file });
  }
  if (!r.manifest) throw new UsageError('has no manifest (it was written by an rbench without one), so it cannot be reproduced exactly.', { file, hint: 'Rerun its config with this rbench to get a results file with a manifest.' });
  if (r.shard) throw new UsageError('is one shard of a sweep; reproduce the merged results (`rbench merge`).', { file });
  return r as ResultsFile & { manifest: Manifest };
}

/** Datasets and local models as the manifest recorded them, checked before any work. */
async function checkInputs(x: ExpandedConfig, manifest: Manifest, file: string, cache: string | undefined): Promise<void> {
  for (const plan of x.datasets) {
    const want = manifest.datasets.find((d) => d.label === plan.label);
    if (!want) throw new UsageError(`the manifest has no dataset ${plan.label}.`, { file });
    const { maxQueries: _m, label: _l, selectOn: _s, ...spec } = plan.entry;
    const ds = await loadDataset(spec, { baseDir: manifest.configDir, cacheDir: cache });
    if (ds.sha256 !== want.sha256) {
      throw new UsageError(`dataset ${plan.label} is not the one the results were computed on: its files' sha256 is ${ds.sha256?.slice(0, 16)}…, the manifest says ${want.sha256.slice(0, 16)}… (${ds.path}).`, {
        file,
        hint: 'Reproduce with the same data (check the path and the split), or rerun the config to get new results.',
      });
    }
  }
  const { resolveLocalModel, isModelPresent } = await import('../models/local.js');
  const dir = modelsDir(cache);
  for (const { spec: s } of modelSpecsOf(x)) {
    const spec = typeof s === 'string' ? { model: s } : s;
    if (isRemoteModelSpec(spec) || !isModelPresent(spec.model, dir)) continue;
    const dtype = spec.dtype === 'q8' ? 'q8' : spec.dtype === undefined || spec.dtype === 'fp32' ? 'fp32' : undefined;
    const local = await resolveLocalModel(spec.model, dir, dtype ? { dtype } : {});
    const recorded = manifest.models.filter((m) => m.backend === 'transformers' && (m.source === (local.id ?? spec.model) || m.name === spec.model));
    if (recorded.length > 0 && !recorded.some((m) => m.sha256 === local.sha256)) {
      throw new UsageError(`model ${spec.model} is not the one the results were computed with: its files' sha256 is ${local.sha256.slice(0, 16)}…, the manifest says ${recorded.map((m) => `${m.sha256?.slice(0, 16)}…`).join(' or ')}.`, {
        file,
        hint: `Restore that model (rbench models fetch ${spec.model} --revision <the one used>), or rerun the config to get new results.`,
      });
    }
  }
}

const env = (e: Environment): string => `${e.cpu}, ${e.cores} cores, ${e.threads.intraOp} threads, Node ${e.node}, onnxruntime ${e.onnxruntime}, rbench ${e.rbench}`;

export async function reproduce(file: string, opts: ReproduceOptions): Promise<{ code: number; lines: string[]; outcome: RunOutcome }> {
  const original = readResults(file);
  const m = original.manifest;
  const x = expandConfigObject(original.config, path.join(m.configDir, 'reproduced-config.yaml'));
  if (configHash(x) !== m.configHash) throw new UsageError('its config does not give back the recorded config hash; this rbench reads the config differently.', { file, hint: 'Use the rbench version in its manifest.' });
  await checkInputs(x, m, file, opts.cache);
  const outcome = await runExperiment(x, { outDir: opts.out ?? path.join('reports', `${original.experiment}-reproduced`), cache: opts.cache, quiet: opts.quiet });
  const now = outcome.results;
  const before = new Set(m.models.map((x) => x.key));
  const after = new Set(now.manifest!.models.map((x) => x.key));
  const changed = [...now.manifest!.models.filter((x) => !before.has(x.key)), ...m.models.filter((x) => !after.has(x.key))];
  if (changed.length > 0) {
    throw new UsageError(`the models differ from the manifest's: ${changed.map((c) => `${c.name} (${c.backend}, ${c.sha256?.slice(0, 12) ?? c.source})`).join(', ')}; the new results are in ${outcome.resultsFile}.`, { file, hint: 'Reproduce with the same models, or compare the two results files with `rbench compare`.' });
  }
  const byId = new Map(original.results.map((r) => [r.id, r]));
  const quality = now.results.filter((r) => r.metrics);
  const differ = quality.filter((r) => {
    const o = byId.get(r.id);
    return !o || JSON.stringify(o.metrics) !== JSON.stringify(r.metrics) || JSON.stringify(o.perQuery) !== JSON.stringify(r.perQuery);
  });
  const ratios = now.results
    .map((r) => (r.latencyMs && byId.get(r.id)?.latencyMs ? r.latencyMs.total.p50 / byId.get(r.id)!.latencyMs!.total.p50 : Number.NaN))
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  const median = ratios.length > 0 ? ratios[Math.floor((ratios.length - 1) / 2)] : Number.NaN;
  const lines = [
    `reproduce ${file}: quality ${differ.length === 0 ? 'identical' : 'DIFFERENT'}: ${quality.length - differ.length}/${quality.length} configurations identical${differ.length > 0 ? ` (first that differs: ${differ[0].id})` : ''}`,
    Number.isFinite(median) ? `  latency: median ratio ${median.toFixed(2)} (reproduced / original, total p50, ${ratios.length} timed configurations)` : '  latency: not compared (no timings on one side)',
    `  original:   ${env(original.environment)}`,
    `  reproduced: ${env(now.environment)}`,
  ];
  return { code: differ.length === 0 ? 0 : 1, lines, outcome };
}
