/**
 * The experiment executor. The sweep is expanded into configurations (dataset, retriever, candidates,
 * reranker, batch size) but executed as shared work, in six stages (README "How the sweep is executed"):
 *
 *   0. setup: check the metrics, the output and cache folders (writable, before any work) and the models;
 *   1. prepare datasets: load each, pick the evaluated queries, record its checksum;
 *   2. first stage: each retriever indexes the dataset once and retrieves once, at the deepest depth;
 *   3. score candidates: each reranker scores each (query, candidate) pair once, whichever retrievers
 *      proposed it (scores are pointwise, so they are cached by model, query text and document text);
 *   4. derive rows: shallower candidate counts are prefixes of the deepest list and their reranked order a
 *      sort of known scores; quality is scored on every query with trec_eval semantics; batch size changes
 *      only speed, so it appears only in the timing pass;
 *   5. timing pass: sampled queries end to end, without any cache;
 *   6. decide: intervals, paired tests against the baseline, honest selection, the decision per budget;
 *   7. write outputs: results.json, results.csv, the TREC runs and the report, put in place together.
 *
 * Every expensive unit is committed to the durable store as it finishes (embedding batches, each query's
 * reranker scores, each retrieval run, each timing block), so a run killed at any moment and restarted with
 * --resume recomputes nothing that was committed and ends with the same numbers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../canonical.js';
import type { Dataset, Qrels, Query, Run } from '../data/types.js';
import { UsageError } from '../errors.js';
import { parseMetrics } from '../metrics/index.js';
import type { ModelIdentity } from '../models/types.js';
import { cacheDir, ensureWritableDir, modelsDir } from '../paths.js';
import { sha256Hex, Store } from '../store/store.js';
import { Components } from './components.js';
import { modelSpecsOf, type DatasetPlan, type ExpandedConfig, type RerankerVariant } from './config.js';
import { captureEnvironment, type Environment } from './environment.js';
import { buildManifest, modelKey } from './manifest.js';
import { Progress } from './progress.js';
import { planShard, type ShardPlan, type ShardSpec } from './shard.js';
import { conventions, replaceDir, resultsCsv, writeAtomic, writeResultsJson, type DatasetSummary, type ResultRow, type ResultsFile } from './results.js';
import { decide } from './stages/decide.js';
import { deriveRows, type TimingTarget } from './stages/derive.js';
import { runFirstStage } from './stages/first-stage.js';
import { scoreAllModels } from './stages/score.js';
import { timingPass } from './stages/timing.js';
import { emptyWork, type Work } from './work.js';

export { contextOf, rerankCandidates } from './stages/derive.js';

export interface RunOptions {
  outDir?: string;
  /** Cache folder (default `.rbench-cache` or $RBENCH_CACHE). */
  cache?: string;
  resume?: boolean;
  /** Neither read nor write the persistent cache (a throw-away one is used). */
  noCache?: boolean;
  /**
   * When cached scores of a remote model no longer match what its server answers, stop (exit 2) instead of
   * recomputing them.
   */
  noRefresh?: boolean;
  quiet?: boolean;
  /** Run only this part of the sweep (`--shard i/n`); `rbench merge` puts the parts together. */
  shard?: ShardSpec;
}

export interface RunOutcome {
  results: ResultsFile;
  /** The HTML report, when one was written. */
  reportFile?: string;
  outDir: string;
  resultsFile: string;
}

/** What every stage of a run shares: the config, where things go, the cache, the counters. */
export interface RunContext {
  x: ExpandedConfig;
  progress: Progress;
  store: Store;
  environment: Environment;
  threads: number;
  modelsDir: string;
  outDir: string;
  /** Where this run's TREC runs are written before they replace `<outDir>/runs` (stage 6). */
  stagingRuns: string;
  /** Deepest candidate count of the experiment (what the first stage retrieves). */
  deepest: number;
  /** The --cache folder, where fetched datasets are looked up (undefined: the default cache folder). */
  datasetsCache: string | undefined;
  resume: boolean;
  noRefresh: boolean;
  work: Work;
  /** Identity of every model that produced a number (embedders and rerankers), for the manifest. */
  models: Map<string, ModelIdentity>;
  /** Set when this run is one shard of the sweep. */
  shard: ShardPlan | undefined;
  /** Whether this run computes (dataset, retriever, reranker): always, unless a shard leaves it to another. */
  computes(dataset: string, retriever: string, rv: RerankerVariant): boolean;
}

/** One dataset, loaded, with the queries and judgments the run evaluates. */
export interface PreparedDataset {
  label: string;
  ds: Dataset;
  queries: Query[];
  qrels: Qrels;
  docs: ReadonlyMap<string, { id: string; title: string; text: string }>;
  /** The dataset's checksum: part of every cache key of work on it. */
  key: string;
  /** Key of this experiment on this dataset (config, data, code version): names its timing blocks. */
  expKey: string;
  summary: DatasetSummary;
}

export async function runExperiment(x: ExpandedConfig, opts: RunOptions = {}): Promise<RunOutcome> {
  const started = Date.now();
  const ctx = await setUp(x, opts);
  const rows: ResultRow[] = [];
  const datasets: DatasetSummary[] = [];
  let finished = false;
  try {
    for (const plan of x.datasets) {
      if (!x.retrievers.some((v) => x.rerankers.some((rv) => ctx.computes(plan.label, v.name, rv)))) continue;
      const data = await prepareDataset(plan, ctx);
      datasets.push(data.summary);
      const components = new Components({ store: ctx.store, progress: ctx.progress, modelsDir: ctx.modelsDir, threads: ctx.threads }, data.ds, x.retrievers, ctx.deepest);
      try {
        const firstStage = await runFirstStage(data, components, ctx);
        const scores = await scoreAllModels(data, firstStage, components, ctx);
        const derived = await deriveRows(data, firstStage, scores, ctx);
        rows.push(...derived.rows);
        if (!x.config.latency.skip) await timingPass(data, derived.targets, components, ctx);
        await recordModels(derived.targets, components, ctx.work, ctx.models);
      } finally {
        await components.dispose();
      }
    }
    finished = true;
  } finally {
    ctx.progress.stop();
    ctx.store.close();
    if (!finished) fs.rmSync(ctx.stagingRuns, { recursive: true, force: true });
  }
  const results: ResultsFile = {
    schemaVersion: 1,
    experiment: x.config.name,
    createdAt: new Date().toISOString(),
    durationSec: (Date.now() - started) / 1000,
    environment: ctx.environment,
    config: x.config,
    conventions: conventions(x.config.evaluation),
    datasets,
    work: { ...ctx.work },
    results: rows,
    // A shard has part of the rows: decisions need them all and are made by `rbench merge`.
    ...(ctx.shard ? {} : decide(rows, x.datasets, x.config, x.retrievers[0].name)),
    manifest: buildManifest(x, datasets, ctx.models.values(), ctx.environment),
    ...(ctx.shard ? { shard: { index: ctx.shard.index, count: ctx.shard.count, units: ctx.shard.units, allUnits: ctx.shard.allUnits } } : {}),
  };
  return writeOutputs(results, ctx);
}

/**
 * Stage 0: everything that can be checked before any work is done. Metrics parse; the output and cache
 * folders exist and are writable (a run must not compute for an hour and then fail to write); local models
 * the config names are present.
 */
async function setUp(x: ExpandedConfig, opts: RunOptions): Promise<RunContext> {
  const { config } = x;
  try {
    parseMetrics(config.metrics);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message, { file: x.file, key: 'metrics' });
    throw e;
  }
  if (opts.resume && opts.noCache) throw new UsageError('--resume needs the cache; it cannot be combined with --no-cache.');
  const mdir = modelsDir(opts.cache);
  await preflightModels(x, mdir);
  const shard = opts.shard ? await planShard(x, opts.shard) : undefined;
  const outDir = ensureWritableDir(opts.outDir ?? path.join('reports', config.name), '--out');
  const progress = new Progress(opts.quiet ?? false);
  const store = opts.noCache ? Store.temporary() : Store.open(ensureWritableDir(cacheDir(opts.cache), '--cache'), (m) => progress.notice(m));
  try {
    const threads = config.latency.threads ?? (os.availableParallelism?.() ?? os.cpus().length);
    const stagingRuns = path.join(outDir, `.runs.partial-${process.pid}`);
    fs.rmSync(stagingRuns, { recursive: true, force: true });
    return {
      x,
      progress,
      store,
      environment: captureEnvironment(threads),
      threads,
      modelsDir: mdir,
      outDir,
      stagingRuns,
      datasetsCache: opts.cache ? cacheDir(opts.cache) : undefined,
      deepest: Math.max(config.topN, ...config.candidates, ...x.rerankers.flatMap((r) => r.candidates)),
      resume: opts.resume ?? false,
      noRefresh: opts.noRefresh ?? false,
      work: emptyWork(),
      models: new Map(),
      shard,
      computes: (dataset, retriever, rv) => (!rv.retrievers || rv.retrievers.includes(retriever)) && (!shard || shard.has(dataset, retriever, rv)),
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

/**
 * Fails before any work when a local model the config names is missing: a Hub model that was never fetched
 * (the error names `rbench models fetch`), a folder that does not exist. Models rbench builds itself are
 * built on first use instead, and remote endpoints are not contacted here.
 */
async function preflightModels(x: ExpandedConfig, modelsDirPath: string): Promise<void> {
  const { isRemoteModelSpec } = await import('../models/registry.js');
  const { isModelPresent, resolveLocalModel } = await import('../models/local.js');
  const { findAlias } = await import('../models/aliases.js');
  for (const { spec: s } of modelSpecsOf(x)) {
    const spec = typeof s === 'string' ? { model: s } : s;
    if (isRemoteModelSpec(spec) || findAlias(spec.model)?.built) continue;
    const dtype = spec.dtype === 'q8' ? 'q8' : spec.dtype === undefined || spec.dtype === 'fp32' ? 'fp32' : undefined;
    if (!isModelPresent(spec.model, modelsDirPath)) await resolveLocalModel(spec.model, modelsDirPath, dtype ? { dtype } : {});
  }
}

/** Stage 1: loads a dataset and picks the queries and judgments the run evaluates. */
async function prepareDataset(plan: DatasetPlan, ctx: RunContext): Promise<PreparedDataset> {
  const { x, progress } = ctx;
  const { maxQueries, label: _label, ...spec } = plan.entry;
  const { loadDataset } = await import('../data/datasets.js');
  const ds = await loadDataset(spec, { baseDir: path.dirname(path.resolve(x.file)), cacheDir: ctx.datasetsCache });
  const label = plan.label;
  const queries = maxQueries !== undefined ? ds.queries.slice(0, maxQueries) : ds.queries;
  const qrels = maxQueries !== undefined ? restrictQrels(ds.qrels, queries) : ds.qrels;
  const withText = new Set(queries.map((q) => q.id));
  const missingQueries = [...qrels.keys()].filter((q) => !withText.has(q));
  if (missingQueries.length > 0) {
    progress.notice(`${label}: ${missingQueries.length} judged queries have no text in the queries file; they count as 0 (trec_eval -c).`);
  }
  for (const w of ds.warnings) if (w.severity !== 'info') progress.notice(`${label}: ${w.message}`);
  const key = ds.sha256 ?? sha256Hex(JSON.stringify([ds.path, ds.split, ds.corpus.length]));
  return {
    label,
    ds,
    queries,
    qrels,
    docs: new Map(ds.corpus.map((d) => [d.id, d])),
    key,
    // The experiment key covers everything that changes numbers: config, data, code version.
    expKey: sha256Hex(canonicalJson({ config: x.config, dataset: key, rbench: ctx.environment.rbench, schema: 1 })).slice(0, 24),
    summary: {
      name: label,
      path: ds.path,
      split: ds.split,
      docs: ds.corpus.length,
      queries: ds.queries.length,
      evaluatedQueries: queries.length,
      qrels: [...qrels.values()].reduce((a, m) => a + m.size, 0),
      sha256: key,
      warnings: ds.warnings.filter((w) => w.severity !== 'info').map((w) => w.message),
      ...(plan.selectionFor !== undefined ? { selectionFor: plan.selectionFor } : {}),
    },
  };
}

function restrictQrels(qrels: Qrels, queries: readonly Query[]): Qrels {
  const out: Qrels = new Map();
  for (const q of queries) {
    const j = qrels.get(q.id);
    if (j) out.set(q.id, j);
  }
  return out;
}

/** Model identities (and what remote models reported) for every reranked row; embedding counters. */
async function recordModels(targets: readonly TimingTarget[], components: Components, work: Work, models: Map<string, ModelIdentity>): Promise<void> {
  const emb = await components.embeddingCounts();
  work.embeddingsComputed += emb.computed;
  work.embeddingsFromCache += emb.fromCache;
  for (const t of targets) {
    if (!t.rv.spec) continue;
    const identity = await components.identity(t.rv);
    models.set(modelKey(identity), identity);
    const stats = components.stats(t.rv);
    for (const row of t.rows) {
      row.reranker = { ...identity, label: t.rv.name, interpolate: t.rv.interpolateWeight };
      if (stats && Object.keys(stats).length > 0) row.rerankStats = { ...stats };
    }
  }
}

/**
 * Stage 7: results.json and results.csv (each written atomically), then the TREC runs of this run replace
 * the folder `runs/` as a whole (so no run file of an earlier config stays behind), then the HTML report.
 */
async function writeOutputs(results: ResultsFile, ctx: RunContext): Promise<RunOutcome> {
  const { outDir } = ctx;
  const resultsFile = path.join(outDir, 'results.json');
  writeResultsJson(resultsFile, results);
  writeAtomic(path.join(outDir, 'results.csv'), resultsCsv(results));
  replaceDir(ctx.stagingRuns, path.join(outDir, 'runs'));
  if (ctx.shard) {
    ctx.progress.notice(`rbench: shard ${ctx.shard.index}/${ctx.shard.count} done (${ctx.shard.units.length} of ${ctx.shard.allUnits} work units); \`rbench merge\` the ${ctx.shard.count} output folders for the whole sweep, its decisions and its report.`);
    return { results, outDir, resultsFile };
  }
  // The HTML report last (results are on disk already); vega is loaded only here.
  const report = await (await import('../report/render.js')).writeRunReport(results, outDir);
  if ('error' in report) ctx.progress.notice(`rbench: the HTML report could not be written (${report.error}); results are safe in ${resultsFile}: render them with \`rbench report ${resultsFile}\`.`);
  return { results, outDir, resultsFile, reportFile: 'file' in report ? report.file : undefined };
}
