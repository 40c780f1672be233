/**
 * `rbench merge DIR… --out DIR`: the shards of a sweep (`rbench run CONFIG --shard i/n`) put back together:
 * results.json, results.csv, the TREC runs, the decisions and the report of the whole sweep. Quality and the
 * planner's counters are those of an unsharded run of the same config, bit for bit: rows are computed by
 * exactly one shard each and come back in the unsharded order; decisions are made on all of them here.
 *
 * Refused (exit 2), naming the problem: a folder without results.json, a results file that is not a shard,
 * shards of different sweeps (config hash, dataset checksums, rbench version), a shard missing or given twice.
 * Timings keep their shard's environment (`shards`, and `shard` on each row); when the shards ran on different
 * hardware, `latencyNote` says that latency comparisons across them are not like for like.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { ensureWritableDir } from '../paths.js';
import { expandConfigObject } from './config.js';
import type { Environment } from './environment.js';
import { configHash } from './manifest.js';
import { conventions, replaceDir, resultsCsv, writeAtomic, writeResultsJson, type DatasetSummary, type ResultRow, type ResultsFile } from './results.js';
import { decide } from './stages/decide.js';
import { emptyWork, WORK_COUNTERS } from './work.js';

interface Shard {
  dir: string;
  results: ResultsFile & { shard: NonNullable<ResultsFile['shard']> };
}

function readShard(dir: string): Shard {
  const file = path.join(dir, 'results.json');
  let results: ResultsFile;
  try {
    results = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no results.json in this folder.' : `cannot read it: ${(e as Error).message}.`, { file: code === 'ENOENT' ? dir : file, hint: 'Give the --out folders of `rbench run CONFIG --shard i/n`.' });
  }
  if (!results.shard) throw new UsageError('is not a shard (it has no `shard`: it was not written by `rbench run --shard i/n`).', { file, hint: 'Merge only the output folders of one sharded sweep.' });
  if (!results.manifest) throw new UsageError('has no manifest; it was written by an older rbench.', { file });
  return { dir, results: results as Shard['results'] };
}

/** Checks the shards are the n parts of one sweep; returns them ordered by index. */
function checkShards(shards: Shard[]): Shard[] {
  const [first] = shards;
  const where = (s: Shard) => path.join(s.dir, 'results.json');
  const n = first.results.shard.count;
  const byIndex = new Map<number, Shard>();
  for (const s of shards) {
    const r = s.results;
    const differ = (what: string, a: unknown, b: unknown) =>
      new UsageError(`is a shard of another sweep than ${where(first)}: its ${what} differs (${String(a)} vs ${String(b)}).`, { file: where(s), hint: 'Merge the shards of one config, run on the same data with the same rbench.' });
    if (r.shard.count !== n) throw differ('shard count', r.shard.count, n);
    if (r.manifest!.configHash !== first.results.manifest!.configHash) throw differ('config (config hash)', r.manifest!.configHash.slice(0, 12), first.results.manifest!.configHash.slice(0, 12));
    if (r.environment.rbench !== first.results.environment.rbench) throw differ('rbench version', r.environment.rbench, first.results.environment.rbench);
    for (const d of r.manifest!.datasets) {
      const other = first.results.manifest!.datasets.find((x) => x.label === d.label);
      if (other && other.sha256 !== d.sha256) throw differ(`dataset ${d.label} (sha256)`, d.sha256.slice(0, 12), other.sha256.slice(0, 12));
    }
    const twice = byIndex.get(r.shard.index);
    if (twice) throw new UsageError(`shard ${r.shard.index}/${n} is given twice (${where(twice)} and ${where(s)}).`, { hint: 'Give each shard once.' });
    byIndex.set(r.shard.index, s);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing; the merge needs all ${n}.`, { hint: `Run \`rbench run CONFIG --shard i/${n}\` for the missing ones.` });
  return [...byIndex.values()].sort((a, b) => a.results.shard.index - b.results.shard.index);
}

/** The hardware a timing depends on; shards that differ in it are not timed like for like. */
function hardware(e: Environment): string {
  return JSON.stringify([e.cpu, e.cores, e.threads.intraOp, e.node, e.onnxruntime, e.transformers]);
}

export async function mergeShards(dirs: readonly string[], outDir: string): Promise<{ results: ResultsFile; resultsFile: string; reportFile?: string }> {
  if (dirs.length === 0) throw new UsageError('name the output folders of the shards to merge.', { hint: 'rbench merge shards/1 shards/2 shards/3 --out merged' });
  const shards = checkShards(dirs.map(readShard));
  const first = shards[0].results;
  const x = expandConfigObject(first.config, path.join(first.manifest!.configDir, 'merged-config.yaml'));
  if (configHash(x) !== first.manifest!.configHash) throw new UsageError('the config recorded in the shards does not give back their config hash; they cannot be merged.', { file: path.join(shards[0].dir, 'results.json') });
  const out = ensureWritableDir(outDir, '--out');

  // Rows in the order an unsharded run writes them: dataset, retriever, reranker, candidates, batch size.
  const order = new Map<string, number>();
  for (const plan of x.datasets) {
    for (const v of x.retrievers) {
      for (const rv of x.rerankers) {
        for (const k of [...new Set(rv.candidates)].sort((a, b) => a - b)) {
          const base = `${plan.label}/${v.name}/k${k}/${rv.name}`;
          for (const b of rv.spec ? [...new Set(rv.batchSizes)] : [null]) order.set(b === null ? base : `${base}/b${b}`, order.size);
        }
      }
    }
  }
  const rows: ResultRow[] = shards.flatMap((s) => s.results.results.map((r) => ({ ...r, shard: s.results.shard.index })));
  for (const r of rows) if (!order.has(r.id)) throw new UsageError(`row ${r.id} is not a configuration of the sweep.`, { file: path.join(shards[0].dir, 'results.json') });
  rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const datasets: DatasetSummary[] = x.datasets.flatMap((p) => shards.map((s) => s.results.datasets.find((d) => d.name === p.label)).find((d) => d !== undefined) ?? []);

  const work = emptyWork();
  for (const s of shards) for (const k of WORK_COUNTERS) work[k] += s.results.work[k] ?? 0;
  // Every shard retrieved with the retrievers its units needed; the plan needs each once per dataset.
  work.retrievalPasses = x.retrievers.length * datasets.length;

  const hw = new Set(shards.map((s) => hardware(s.results.environment)));
  const models = new Map(shards.flatMap((s) => s.results.manifest!.models.map((m) => [m.key, m] as const)));
  const results: ResultsFile = {
    schemaVersion: first.schemaVersion,
    experiment: first.experiment,
    createdAt: new Date().toISOString(),
    durationSec: shards.reduce((a, s) => a + s.results.durationSec, 0),
    environment: first.environment,
    config: x.config,
    conventions: conventions(x.config.evaluation),
    datasets,
    work,
    results: rows,
    ...decide(rows, x.datasets, x.config, x.retrievers[0].name),
    manifest: { ...first.manifest!, models: [...models.values()].sort((a, b) => a.key.localeCompare(b.key)) },
    shards: shards.map((s) => ({ index: s.results.shard.index, environment: s.results.environment, units: s.results.shard.units, durationSec: s.results.durationSec })),
    ...(hw.size > 1 ? { latencyNote: `the ${shards.length} shards ran on ${hw.size} different machines (CPU, cores, threads or runtime versions differ): compare latencies only between rows of the same shard (each row's \`shard\`).` } : {}),
  };

  // Runs: each shard wrote its configurations' runs; together they are the sweep's.
  const staging = path.join(out, `.runs.partial-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  for (const s of shards) {
    const from = path.join(s.dir, 'runs');
    if (fs.existsSync(from)) fs.cpSync(from, staging, { recursive: true, errorOnExist: true, force: false });
  }
  const resultsFile = path.join(out, 'results.json');
  writeResultsJson(resultsFile, results);
  writeAtomic(path.join(out, 'results.csv'), resultsCsv(results));
  replaceDir(staging, path.join(out, 'runs'));
  const report = await (await import('../report/render.js')).writeRunReport(results, out);
  return { results, resultsFile, reportFile: 'file' in report ? report.file : undefined };
}
