/**
 * The experiment executor. The sweep is expanded into configurations (dataset, retriever, candidates,
 * reranker, batch size) but executed as shared work:
 *
 *   1. each retriever indexes a dataset once and retrieves once, at the deepest candidate count;
 *   2. each reranker scores each (query, candidate) pair once, whichever retrievers proposed it
 *      (scores are pointwise, so they are cached by model, query text and document text);
 *   3. shallower candidate counts are prefixes of the deepest list, and their reranked order is a sort of
 *      already-known scores; batch size changes only speed, so it appears only in the timing pass;
 *   4. quality is scored on every query with trec_eval semantics;
 *   5. a separate timing pass measures sampled queries end to end, without any cache.
 *
 * Every expensive unit is committed to the durable store as it finishes (embedding batches, each query's
 * reranker scores, each retrieval run, each timing block), so a run killed at any moment and restarted with
 * --resume recomputes nothing that was committed and ends with the same numbers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../canonical.js';
import { sortTrec } from '../data/order.js';
import { writeRun } from '../data/trec.js';
import type { Dataset, Qrels, Query, Run, ScoredDoc } from '../data/types.js';
import { docText } from '../data/types.js';
import { UsageError } from '../errors.js';
import { evaluate, parseMetrics } from '../metrics/index.js';
import { identityKey } from '../models/embedding-cache.js';
import type { Reranker } from '../models/types.js';
import { searchAll } from '../retrieval/types.js';
import { VectorRetriever } from '../retrieval/vector/retriever.js';
import { cacheDir, modelsDir } from '../paths.js';
import { sha256Hex, Store } from '../store/store.js';
import type { ExpandedConfig, RerankerVariant, RetrieverVariant } from './config.js';
import { Components } from './components.js';
import { captureEnvironment } from './environment.js';
import { Progress } from './progress.js';
import { conventions, resultsCsv, writeAtomic, writeResultsJson, type DatasetSummary, type ResultRow, type ResultsFile, type StageLatency } from './results.js';
import { elapsedMs, latencyStats, now, seededSample } from './timing.js';

export interface RunOptions {
  outDir?: string;
  /** Cache folder (default `.rbench-cache` or $RBENCH_CACHE). */
  cache?: string;
  resume?: boolean;
  /** Neither read nor write the persistent cache (a throw-away one is used). */
  noCache?: boolean;
  quiet?: boolean;
}

export interface RunOutcome {
  results: ResultsFile;
  /** The HTML report, when one was written. */
  reportFile?: string;
  outDir: string;
  resultsFile: string;
}

/** Work counters: what the planner saved and what the cache supplied. */
interface Work {
  configurations: number;
  qualityConfigurations: number;
  /** Retrieval passes the plan needs (one per retriever and dataset) and how many ran (the rest came from the cache). */
  retrievalPasses: number;
  retrievalPassesComputed: number;
  /** Passes a runner without the planner would make: one per configuration. */
  retrievalPassesNaive: number;
  rerankPairsNeeded: number;
  rerankPairsComputed: number;
  rerankPairsFromCache: number;
  rerankPairsNaive: number;
  embeddingsComputed: number;
  embeddingsFromCache: number;
  timingBlocksMeasured: number;
  timingBlocksResumed: number;
}

const STAND_IN_NOTE = 'random weights (architecture stand-in): cost only, no quality';

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._=@,+-]+/g, '_');
}

/** The retriever's parameters as recorded in results (no internal fields). */
function retrieverRecord(v: RetrieverVariant): ResultRow['retriever'] {
  const { base: _b, swept, ...rest } = v;
  return { ...(rest as Record<string, unknown>), ...(swept ? { swept } : {}), name: v.name, type: v.type };
}

/** Min-max normalises a list of numbers (all equal → 1). */
function minmax(xs: readonly number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (Number.isNaN(x)) continue;
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return xs.map((x) => (Number.isNaN(x) ? Number.NaN : hi > lo ? (x - lo) / (hi - lo) : 1));
}

/**
 * The final ranking of a candidate list under a reranker: scored documents in trec_eval order (ties by doc
 * id); pairs that failed (NaN: an unparsable LLM answer) follow all scored ones, in first-stage order, with
 * scores below the lowest real score so the TREC run keeps that order. With `weight`, the score is
 * (1 − w)·minmax(first-stage) + w·minmax(reranker), normalised over this candidate list.
 */
export function rerankCandidates(cands: readonly ScoredDoc[], scores: ReadonlyMap<string, number>, weight: number | null): ScoredDoc[] {
  const raw = cands.map((d) => scores.get(d.id) ?? Number.NaN);
  let final = raw;
  if (weight !== null) {
    const a = minmax(cands.map((d) => d.score));
    const b = minmax(raw);
    final = a.map((x, i) => (Number.isNaN(b[i]) ? Number.NaN : (1 - weight) * x + weight * b[i]));
  }
  const scored: ScoredDoc[] = [];
  const failed: ScoredDoc[] = [];
  cands.forEach((d, i) => (Number.isNaN(final[i]) ? failed.push(d) : scored.push({ id: d.id, score: final[i] })));
  sortTrec(scored);
  const floor = scored.length > 0 ? scored[scored.length - 1].score : 0;
  failed.forEach((d, i) => scored.push({ id: d.id, score: floor - 1 - i }));
  return scored;
}

function prefixRun(run: Run, k: number, queries: readonly Query[]): Run {
  const out: Run = new Map();
  for (const q of queries) out.set(q.id, (run.get(q.id) ?? []).slice(0, k));
  return out;
}

function runToJson(run: Run): [string, [string, number][]][] {
  return [...run].map(([q, docs]) => [q, docs.map((d) => [d.id, d.score])]);
}

function runFromJson(x: [string, [string, number][]][]): Run {
  return new Map(x.map(([q, docs]) => [q, docs.map(([id, score]) => ({ id, score }))]));
}

function words(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

function restrictQrels(qrels: Qrels, queries: readonly Query[] | null): Qrels {
  if (!queries) return qrels;
  const out: Qrels = new Map();
  for (const q of queries) {
    const j = qrels.get(q.id);
    if (j) out.set(q.id, j);
  }
  return out;
}

export async function runExperiment(x: ExpandedConfig, opts: RunOptions = {}): Promise<RunOutcome> {
  const started = Date.now();
  const { config } = x;
  const progress = new Progress(opts.quiet ?? false);
  try {
    parseMetrics(config.metrics);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message, { file: x.file, key: 'metrics' });
    throw e;
  }
  if (opts.resume && opts.noCache) throw new UsageError('--resume needs the cache; it cannot be combined with --no-cache.');

  const outDir = path.resolve(opts.outDir ?? path.join('reports', config.name));
  const store = opts.noCache ? Store.temporary() : new Store(cacheDir(opts.cache));
  const threads = config.latency.threads ?? (os.availableParallelism?.() ?? os.cpus().length);
  const environment = captureEnvironment(threads);
  const mdir = modelsDir(opts.cache);
  const baseDir = path.dirname(path.resolve(x.file));
  const loadDataset = async (entry: ExpandedConfig['config']['datasets'][number]): Promise<Dataset> => {
    const { maxQueries: _m, ...spec } = entry;
    return (await import('../data/datasets.js')).loadDataset(spec, { baseDir, cacheDir: opts.cache ? cacheDir(opts.cache) : undefined });
  };

  const work: Work = {
    configurations: 0,
    qualityConfigurations: 0,
    retrievalPasses: 0,
    retrievalPassesComputed: 0,
    retrievalPassesNaive: 0,
    rerankPairsNeeded: 0,
    rerankPairsComputed: 0,
    rerankPairsFromCache: 0,
    rerankPairsNaive: 0,
    embeddingsComputed: 0,
    embeddingsFromCache: 0,
    timingBlocksMeasured: 0,
    timingBlocksResumed: 0,
  };
  const rows: ResultRow[] = [];
  const datasets: DatasetSummary[] = [];
  const deepest = Math.max(config.topN, ...config.candidates, ...x.rerankers.flatMap((r) => r.candidates));

  try {
    await preflightModels(x, mdir);
    for (const entry of config.datasets) {
      const ds = await loadDataset(entry);
      const label = entry.name ?? ds.name;
      let queries = ds.queries;
      if (entry.maxQueries !== undefined) queries = queries.slice(0, entry.maxQueries);
      const qrels = restrictQrels(ds.qrels, entry.maxQueries !== undefined ? queries : null);
      const withText = new Set(queries.map((q) => q.id));
      const missingQueries = [...qrels.keys()].filter((q) => !withText.has(q));
      if (missingQueries.length > 0) {
        progress.notice(`${label}: ${missingQueries.length} judged queries have no text in the queries file; they count as 0 (trec_eval -c).`);
      }
      const docsById = new Map(ds.corpus.map((d) => [d.id, d]));
      const dsKey = ds.sha256 ?? sha256Hex(JSON.stringify([ds.path, ds.split, ds.corpus.length]));
      datasets.push({
        name: label,
        path: ds.path,
        split: ds.split,
        docs: ds.corpus.length,
        queries: ds.queries.length,
        evaluatedQueries: queries.length,
        qrels: [...qrels.values()].reduce((a, m) => a + m.size, 0),
        sha256: dsKey,
        warnings: ds.warnings.filter((w) => w.severity !== 'info').map((w) => w.message),
      });
      for (const w of ds.warnings) if (w.severity !== 'info') progress.notice(`${label}: ${w.message}`);
      // The experiment key covers everything that changes numbers: config, data, code version.
      const expKey = sha256Hex(canonicalJson({ config, dataset: dsKey, rbench: environment.rbench, schema: 1 })).slice(0, 24);

      const components = new Components({ store, progress, modelsDir: mdir, threads }, ds, x.retrievers, deepest);
      try {
        // 1. First stage: every retriever once, at the deepest depth.
        const firstStage = new Map<string, Run>();
        for (const v of x.retrievers) {
          const retriever = await components.retriever(v);
          const desc = canonicalJson({ ...retriever.description, params: retrieverRecord(v), model: await modelIdentityOf(components, v) });
          const unitKey = `retrieval:${dsKey}:${sha256Hex(desc)}:${deepest}`;
          let run: Run | undefined;
          const cached = store.getUnit<[string, [string, number][]][]>(unitKey);
          if (cached) run = runFromJson(cached);
          else {
            const t = Date.now();
            run = await searchAll(retriever, queries, deepest);
            store.putUnit(unitKey, runToJson(run));
            work.retrievalPassesComputed++;
            progress.log(`${label}: retrieved ${deepest} candidates for ${queries.length} queries with ${v.name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
          }
          firstStage.set(v.name, run);
          work.retrievalPasses++;
          if (retriever instanceof VectorRetriever && retriever.vectorIndex.kind !== 'exact') {
            components.setAnnRecall(v.name, await retriever.annRecall([...queries], deepest));
          }
        }

        // 2. Reranker scores: each (query, candidate) pair once per model.
        const scoreTables = new Map<string, Map<string, Map<string, number>>>();
        const byModel = new Map<string, RerankerVariant[]>();
        for (const rv of x.rerankers) if (rv.modelKey) byModel.set(rv.modelKey, [...(byModel.get(rv.modelKey) ?? []), rv]);
        const standIns = new Set<string>();
        for (const [modelKey, group] of byModel) {
          const rv0 = group[0];
          const modelName = rv0.spec!.model;
          if (components.isStandIn(rv0) === true) standIns.add(modelKey);
          else {
            const reranker = await components.reranker(rv0);
            if (reranker.identity.weights === 'random') standIns.add(modelKey);
            else {
              // The union of what the model's variants need: deepest candidates, every retriever any applies to.
              const depth = Math.max(...group.flatMap((rv) => rv.candidates));
              const all = group.some((rv) => rv.retrievers === null);
              const applies = new Map([...firstStage].filter(([name]) => all || group.some((rv) => rv.retrievers!.includes(name))));
              scoreTables.set(modelKey, await scoreCandidates(reranker, queries, applies, depth, docsById, store, progress, `${label}: rerank with ${modelName}`, work));
            }
            await components.release(rv0);
          }
          if (standIns.has(modelKey)) progress.log(`${label}: ${modelName} has ${STAND_IN_NOTE}; no quality pass`);
        }

        // 3. Quality of every configuration, derived from the shared work.
        const firstStageMemo = new Map<string, { metrics: Record<string, number>; perQuery: Record<string, Record<string, number>>; recall: number }>();
        const evalOpts = { metrics: config.metrics, complete: config.evaluation.complete, relLevel: config.evaluation.relLevel, judgedOnly: config.evaluation.judgedOnly };
        const firstStageQuality = (v: RetrieverVariant, k: number) => {
          const key = `${v.name}:${k}`;
          let m = firstStageMemo.get(key);
          if (!m) {
            const cands = prefixRun(firstStage.get(v.name)!, k, queries);
            const r = evaluate(qrels, cands, evalOpts);
            const rec = evaluate(qrels, cands, { ...evalOpts, metrics: [`recall@${k}`] });
            m = { metrics: r.metrics, perQuery: r.perQuery, recall: rec.metrics[`recall@${k}`] };
            firstStageMemo.set(key, m);
          }
          return m;
        };
        const timingTargets: { v: RetrieverVariant; rv: RerankerVariant; k: number; rows: ResultRow[] }[] = [];
        for (const v of x.retrievers) {
          const base = firstStage.get(v.name)!;
          for (const rv of x.rerankers) {
            if (rv.retrievers && !rv.retrievers.includes(v.name)) continue;
            const ks = [...new Set(rv.candidates)].sort((a, b) => a - b);
            const standIn = rv.modelKey !== null && standIns.has(rv.modelKey);
            for (const k of ks) {
              const fs1 = firstStageQuality(v, k);
              const cands = prefixRun(base, k, queries);
              let final: Run = cands;
              if (rv.spec && !standIn) {
                const table = scoreTables.get(rv.modelKey!)!;
                final = new Map([...cands].map(([q, docs]) => [q, rerankCandidates(docs, table.get(q) ?? new Map(), rv.interpolateWeight)]));
              }
              let metrics: Record<string, number> | null = null;
              let perQuery: Record<string, Record<string, number>> | null = null;
              if (!standIn) {
                if (rv.spec) {
                  const r = evaluate(qrels, final, evalOpts);
                  metrics = r.metrics;
                  perQuery = r.perQuery;
                } else {
                  metrics = fs1.metrics;
                  perQuery = fs1.perQuery;
                }
              }
              const runRel = standIn ? null : path.join('runs', safeSegment(label), safeSegment(v.name), `k${k}`, `${safeSegment(rv.name)}.trec`);
              if (runRel) {
                fs.mkdirSync(path.join(outDir, path.dirname(runRel)), { recursive: true });
                await writeRun(path.join(outDir, runRel), final, `rbench-${safeSegment(v.name)}-k${k}-${safeSegment(rv.name)}`);
              }
              const context = contextOf(final, config.topN, docsById, queries);
              const batchSizes = rv.spec ? [...new Set(rv.batchSizes)] : [null];
              const group: ResultRow[] = [];
              for (const b of batchSizes) {
                work.configurations++;
                if (!standIn) work.qualityConfigurations++;
                work.retrievalPassesNaive++;
                if (rv.spec && !standIn) work.rerankPairsNaive += k * queries.length;
                const row: ResultRow = {
                  id: `${label}/${v.name}/k${k}/${rv.name}${b === null ? '' : `/b${b}`}`,
                  dataset: label,
                  retriever: retrieverRecord(v),
                  candidates: k,
                  reranker: null, // filled in below, once the model's identity is known
                  batchSize: b,
                  metrics,
                  perQuery,
                  firstStage: rv.spec ? fs1.metrics : null,
                  candidateRecall: fs1.recall,
                  context,
                  ...(components.annRecall(v.name) !== undefined ? { annRecall: components.annRecall(v.name)! } : {}),
                  latencyMs: null,
                  throughput: null,
                  run: runRel,
                };
                rows.push(row);
                group.push(row);
              }
              timingTargets.push({ v, rv, k, rows: group });
            }
          }
        }

        // 5. Timing pass: sampled queries, no cache, warm-up, repetitions.
        if (!config.latency.skip) {
          await timingPass(x, queries, timingTargets, components, store, expKey, label, docsById, opts.resume ?? false, progress, work);
        }
        const emb = await components.embeddingCounts();
        work.embeddingsComputed += emb.computed;
        work.embeddingsFromCache += emb.fromCache;
        // Model identities (and what remote models reported) for every reranked row.
        for (const t of timingTargets) {
          if (!t.rv.spec) continue;
          const identity = await components.identity(t.rv);
          const stats = components.stats(t.rv);
          for (const row of t.rows) {
            row.reranker = { ...identity, label: t.rv.name, interpolate: t.rv.interpolateWeight };
            if (stats && Object.keys(stats).length > 0) row.rerankStats = stats as Record<string, number>;
          }
        }
      } finally {
        await components.dispose();
      }
    }
  } finally {
    progress.stop();
    store.close();
  }

  const results: ResultsFile = {
    schemaVersion: 1,
    experiment: config.name,
    createdAt: new Date().toISOString(),
    durationSec: (Date.now() - started) / 1000,
    environment,
    config,
    conventions: conventions(config.evaluation),
    datasets,
    work: { ...work },
    results: rows,
  };
  const resultsFile = path.join(outDir, 'results.json');
  writeResultsJson(resultsFile, results);
  writeAtomic(path.join(outDir, 'results.csv'), resultsCsv(results));
  // The HTML report last (results are on disk already); vega is loaded only here.
  const report = await (await import('../report/render.js')).writeRunReport(results, outDir);
  if ('error' in report) progress.notice(`rbench: the HTML report could not be written (${report.error}); results are safe in ${resultsFile}: render them with \`rbench report ${resultsFile}\`.`);
  return { results, outDir, resultsFile, reportFile: 'file' in report ? report.file : undefined };
}

/**
 * Fails before any work when a local model the config names is missing: a Hub model that was never fetched
 * (the error names `rbench models fetch`), a folder that does not exist. Models rbench builds itself are
 * built on first use instead, and remote endpoints are not contacted here.
 */
async function preflightModels(x: ExpandedConfig, modelsDirPath: string): Promise<void> {
  const specs: { model: string; backend?: string; url?: string; dtype?: string }[] = [];
  for (const r of x.retrievers) if (r.type === 'vector') specs.push(typeof r.embedder === 'string' ? { model: r.embedder } : r.embedder);
  for (const r of x.rerankers) if (r.spec) specs.push(r.spec);
  const { isModelPresent, resolveLocalModel } = await import('../models/local.js');
  const { findAlias } = await import('../models/aliases.js');
  for (const spec of specs) {
    if ((spec.backend !== undefined && spec.backend !== 'transformers') || spec.url !== undefined || /^https?:\/\//.test(spec.model)) continue;
    if (findAlias(spec.model)?.built) continue;
    const dtype = spec.dtype === 'q8' ? 'q8' : spec.dtype === undefined || spec.dtype === 'fp32' ? 'fp32' : undefined;
    if (!isModelPresent(spec.model, modelsDirPath)) await resolveLocalModel(spec.model, modelsDirPath, dtype ? { dtype } : {});
  }
}

async function modelIdentityOf(c: Components, v: RetrieverVariant): Promise<unknown> {
  if (v.type !== 'vector') return null;
  const { raw } = await c.embedder(v.embedder, v.batchSize);
  return raw.identity;
}

/** Average size of what the LLM receives: the top-N documents of the final ranking. */
function contextOf(final: Run, topN: number, docs: ReadonlyMap<string, { title: string; text: string }>, queries: readonly Query[]): ResultRow['context'] {
  let nDocs = 0;
  let nWords = 0;
  let nChars = 0;
  for (const q of queries) {
    for (const d of (final.get(q.id) ?? []).slice(0, topN)) {
      const doc = docs.get(d.id);
      if (!doc) continue;
      const t = docText({ id: d.id, ...doc });
      nDocs++;
      nWords += words(t);
      nChars += t.length;
    }
  }
  const n = Math.max(1, queries.length);
  return { topN, meanDocs: nDocs / n, meanWords: nWords / n, meanTokensEstimate: nChars / 4 / n };
}

/**
 * Scores every (query, candidate) pair a reranker needs, once: the union of the candidates of all retrievers
 * up to `depth`. Cached pairs come from the store; the rest are scored query by query and each query's scores
 * are committed before the next query starts.
 */
async function scoreCandidates(
  reranker: Reranker,
  queries: readonly Query[],
  firstStage: ReadonlyMap<string, Run>,
  depth: number,
  docs: ReadonlyMap<string, { id: string; title: string; text: string }>,
  store: Store,
  progress: Progress,
  label: string,
  work: Work,
): Promise<Map<string, Map<string, number>>> {
  const model = identityKey(reranker.identity);
  const table = new Map<string, Map<string, number>>();
  const task = progress.task(label, queries.length);
  for (const q of queries) {
    const ids = new Set<string>();
    for (const run of firstStage.values()) for (const d of (run.get(q.id) ?? []).slice(0, depth)) ids.add(d.id);
    const idList = [...ids].filter((id) => docs.has(id));
    const texts = idList.map((id) => docText(docs.get(id)!));
    const cached = store.getScores(model, q.text, texts);
    const missing: number[] = [];
    cached.forEach((s, i) => (Number.isNaN(s) ? missing.push(i) : undefined));
    work.rerankPairsNeeded += idList.length;
    work.rerankPairsFromCache += idList.length - missing.length;
    if (missing.length > 0) {
      const fresh = await reranker.score(q.text, missing.map((i) => texts[i]));
      store.putScores(model, q.text, missing.map((i) => texts[i]), fresh);
      missing.forEach((i, j) => (cached[i] = fresh[j]));
      work.rerankPairsComputed += missing.length;
    }
    table.set(q.id, new Map(idList.map((id, i) => [id, cached[i]])));
    task.tick();
  }
  task.done();
  return table;
}

interface TimingUnit {
  latency: StageLatency;
  throughput: { queriesPerSec: number; pairsPerSec: number | null };
}

/**
 * Measures each distinct (retriever, reranker model, batch size, k) block on a seeded sample of queries:
 * warm-up queries first (not recorded), then `repetitions` passes over the sample. Each query is timed end
 * to end — retrieve k candidates without caches, then rerank them in batches of b — one query at a time.
 * Interpolated variants of a model share its block (interpolation is arithmetic on the same scores).
 */
async function timingPass(
  x: ExpandedConfig,
  queries: readonly Query[],
  targets: { v: RetrieverVariant; rv: RerankerVariant; k: number; rows: ResultRow[] }[],
  components: Components,
  store: Store,
  expKey: string,
  label: string,
  docs: ReadonlyMap<string, { id: string; title: string; text: string }>,
  resume: boolean,
  progress: Progress,
  work: Work,
): Promise<void> {
  const { latency } = x.config;
  // One seeded permutation of the queries: warm-up queries first, then the timed sample. A reranker with
  // smaller settings uses a prefix of the same lists, so every block times the same queries where it can.
  const order = seededSample(queries, queries.length, latency.seed);
  const settingsOf = (rv: RerankerVariant) => {
    const warmupQueries = rv.latency?.warmupQueries ?? latency.warmupQueries;
    const sampleQueries = rv.latency?.sampleQueries ?? latency.sampleQueries;
    const w = Math.min(warmupQueries, Math.max(0, order.length - 1));
    return { warm: order.slice(0, w), timed: order.slice(w, w + sampleQueries), repetitions: rv.latency?.repetitions ?? latency.repetitions };
  };
  interface Block {
    v: RetrieverVariant;
    rv: RerankerVariant;
    b: number | null;
    k: number;
    rows: ResultRow[];
  }
  const blocks = new Map<string, Block>();
  for (const t of targets) {
    for (const row of t.rows) {
      const key = `${t.v.name}|${t.rv.modelKey ?? 'none'}|${row.batchSize ?? '-'}|${t.k}`;
      let blk = blocks.get(key);
      if (!blk) blocks.set(key, (blk = { v: t.v, rv: t.rv, b: row.batchSize, k: t.k, rows: [] }));
      blk.rows.push(row);
    }
  }
  const task = progress.task(`${label}: timing pass`, blocks.size);
  // One model in memory at a time: blocks grouped by model, each model released after its last block.
  const ordered = [...blocks].sort(([, a], [, b]) => (a.rv.modelKey ?? '').localeCompare(b.rv.modelKey ?? ''));
  const lastOfModel = new Map<string, string>();
  for (const [key, blk] of ordered) if (blk.rv.modelKey) lastOfModel.set(blk.rv.modelKey, key);
  for (const [key, blk] of ordered) {
    const unitKey = `timing:${expKey}:${key}`;
    let unit = resume ? store.getUnit<TimingUnit>(unitKey) : undefined;
    if (unit) work.timingBlocksResumed++;
    else {
      const { warm, timed, repetitions } = settingsOf(blk.rv);
      unit = await timeBlock(blk, warm, timed, repetitions, components, docs);
      store.putUnit(unitKey, unit);
      work.timingBlocksMeasured++;
    }
    for (const row of blk.rows) {
      row.latencyMs = unit.latency;
      row.throughput = unit.throughput;
    }
    if (blk.rv.modelKey && lastOfModel.get(blk.rv.modelKey) === key) await components.release(blk.rv);
    task.tick();
  }
  task.done();
}

async function timeBlock(
  blk: { v: RetrieverVariant; rv: RerankerVariant; b: number | null; k: number },
  warm: readonly Query[],
  timed: readonly Query[],
  repetitions: number,
  components: Components,
  docs: ReadonlyMap<string, { id: string; title: string; text: string }>,
): Promise<TimingUnit> {
  const retriever = await components.retriever(blk.v);
  const reranker = blk.rv.spec ? await components.reranker(blk.rv) : null;
  const once = async (q: Query) => {
    const t0 = now();
    const cands = await retriever.search(q, blk.k, { useCache: false });
    const retrieve = elapsedMs(t0);
    let rerank: number | null = null;
    if (reranker) {
      const texts = cands.map((d) => docs.get(d.id)).filter((d) => d !== undefined).map((d) => docText(d));
      const t1 = now();
      await reranker.score(q.text, texts, { batchSize: blk.b ?? undefined });
      rerank = elapsedMs(t1);
    }
    return { retrieve, rerank, total: elapsedMs(t0) };
  };
  for (const q of warm) await once(q);
  const r: number[] = [];
  const rr: number[] = [];
  const tot: number[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    for (const q of timed) {
      const s = await once(q);
      r.push(s.retrieve);
      if (s.rerank !== null) rr.push(s.rerank);
      tot.push(s.total);
    }
  }
  const total = latencyStats(tot);
  const rerank = reranker ? latencyStats(rr) : null;
  return {
    latency: { retrieve: latencyStats(r), rerank, total },
    throughput: { queriesPerSec: 1000 / total.mean, pairsPerSec: rerank ? (blk.k * 1000) / rerank.mean : null },
  };
}
