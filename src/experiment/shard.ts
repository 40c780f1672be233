/**
 * Sharded sweeps (`rbench run CONFIG --shard i/n`, then `rbench merge`), the convention vitest and Playwright
 * users know. A sweep's work is partitioned, deterministically, into work units:
 *
 * - one unit per (dataset, reranker model): every (retriever, reranker variant) pair that model scores — its
 *   interpolated variants, every retriever it applies to, every batch size. Keeping a model's pairs in one
 *   unit keeps the planner's sharing inside the shard: a (query, document) pair proposed by BM25 and by the
 *   hybrid is still scored once, so the merged counters equal an unsharded run's;
 * - one unit per (dataset, retriever) for the first stage alone (reranker `none`).
 *
 * Units are balanced over the n shards by estimated cost (pairs × model size, plus the timing pass), largest
 * first onto the least-loaded shard (ties: the lower shard): the same config and data give the same
 * partition on every machine. Each shard runs the first stage of the retrievers its units need.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { inspectBeirFolder, qrelsFileFor } from '../data/beir.js';
import { resolveDataset } from '../data/datasets.js';
import { readLines } from '../data/io.js';
import { findAlias } from '../models/aliases.js';
import { isRemoteModelSpec } from '../models/registry.js';
import type { ExpandedConfig, RerankerVariant } from './config.js';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard ${text} is not a shard: write i/n with 1 <= i <= n (e.g. --shard 2/3).`, { hint: 'Run every i from 1 to n, then `rbench merge` their output folders.' });
  }
  return { index, count };
}

/** The unit a (dataset, retriever, reranker) belongs to. */
export function unitKey(dataset: string, retriever: string, rv: Pick<RerankerVariant, 'modelKey'>): string {
  return rv.modelKey === null ? `${dataset}|first-stage|${retriever}` : `${dataset}|model|${rv.modelKey}`;
}

export interface WorkUnit {
  key: string;
  dataset: string;
  cost: number;
}

/**
 * Relative cost of scoring one pair, by model size: parameters in millions for the cross-encoders whose size
 * is known (the stand-ins have the real shapes), a middle value for other local models and for remote ones
 * (their cost is someone else's GPU, but their latency is ours), and the first stage alone as nearly free.
 */
function modelWeight(rv: RerankerVariant): number {
  if (!rv.spec) return 0.05;
  if (isRemoteModelSpec(rv.spec)) return 50;
  const alias = findAlias(rv.spec.model);
  const name = alias?.standInFor ?? alias?.alias ?? rv.spec.model;
  const known: Record<string, number> = { minilm: 23, 'minilm-l12': 33, tinybert: 4, 'bge-base': 278, 'bge-large': 560, 'glove-maxsim': 1, 'tiny-cross': 1, 'tiny-cross-xlmr': 1 };
  return known[name] ?? 100;
}

/** Judged queries of a dataset (distinct query ids of its qrels), without loading its corpus. */
async function judgedQueries(x: ExpandedConfig, entry: ExpandedConfig['datasets'][number]['entry']): Promise<number> {
  try {
    const r = resolveDataset(entry, { baseDir: path.dirname(path.resolve(x.file)) });
    if (r.format !== 'beir') return 100;
    const ids = new Set<string>();
    let first = true;
    for await (const line of readLines(qrelsFileFor(inspectBeirFolder(r.path), r.split))) {
      if (first) {
        first = false;
        continue; // the header
      }
      const tab = line.text.indexOf('\t');
      if (tab > 0) ids.add(line.text.slice(0, tab));
    }
    return Math.min(ids.size, entry.maxQueries ?? Infinity);
  } catch {
    return 100; // an unreadable dataset fails with its own message when the shard loads it
  }
}

/** Every work unit of the sweep with its estimated cost, in plan order. */
export async function workUnits(x: ExpandedConfig): Promise<WorkUnit[]> {
  const { latency } = x.config;
  const units = new Map<string, WorkUnit>();
  for (const plan of x.datasets) {
    const queries = await judgedQueries(x, plan.entry);
    for (const rv of x.rerankers) {
      const retrievers = x.retrievers.filter((v) => !rv.retrievers || rv.retrievers.includes(v.name));
      const timed = (rv.latency?.warmupQueries ?? latency.warmupQueries) + (rv.latency?.sampleQueries ?? latency.sampleQueries) * (rv.latency?.repetitions ?? latency.repetitions);
      const ks = [...new Set(rv.candidates)];
      const batches = rv.spec ? new Set(rv.batchSizes).size : 1;
      const perRetriever = modelWeight(rv) * (queries * Math.max(...ks) + (latency.skip ? 0 : timed * ks.reduce((a, k) => a + k, 0) * batches));
      for (const v of retrievers) {
        const key = unitKey(plan.label, v.name, rv);
        const u = units.get(key) ?? { key, dataset: plan.label, cost: 0 };
        u.cost += perRetriever;
        units.set(key, u);
      }
    }
  }
  return [...units.values()];
}

/** Largest unit first onto the least-loaded shard (ties: lower shard; equal costs: plan order). */
export function assignUnits(units: readonly WorkUnit[], count: number): Map<string, number> {
  const load = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  const order = units.map((u, i) => ({ u, i })).sort((a, b) => b.u.cost - a.u.cost || a.i - b.i);
  for (const { u } of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    load[best] += u.cost;
    out.set(u.key, best + 1);
  }
  return out;
}

/** What a shard runs: its units, and the question the stages ask. */
export interface ShardPlan extends ShardSpec {
  units: string[];
  /** Every unit of the sweep, so that the merge can check the shards cover it. */
  allUnits: number;
  has(dataset: string, retriever: string, rv: Pick<RerankerVariant, 'modelKey'>): boolean;
}

export async function planShard(x: ExpandedConfig, spec: ShardSpec): Promise<ShardPlan> {
  const units = await workUnits(x);
  const assigned = assignUnits(units, spec.count);
  const mine = new Set(units.filter((u) => assigned.get(u.key) === spec.index).map((u) => u.key));
  return { ...spec, units: [...mine], allUnits: units.length, has: (d, r, rv) => mine.has(unitKey(d, r, rv)) };
}
