/**
 * Stage 5, the timing pass: each distinct (retriever, reranker model, batch size, k) block is measured on a
 * seeded sample of queries: warm-up queries first (not recorded), then `repetitions` passes over the sample.
 * Each query is timed end to end — retrieve k candidates without caches, then rerank them in batches of b —
 * one query at a time. Interpolated variants of a model share its block (interpolation is arithmetic on the
 * same scores). Blocks are committed to the cache; --resume reuses them.
 *
 * A sample during which a remote reranker waited on `Retry-After` measures the server's queue, not the
 * model: it is left out of the statistics and counted (`latencyMs.excluded`), unless every sample waited.
 */
import { docText, type Query } from '../../data/types.js';
import type { Reranker } from '../../models/types.js';
import type { Components } from '../components.js';
import type { RerankerVariant, RetrieverVariant } from '../config.js';
import type { PreparedDataset, RunContext } from '../execute.js';
import type { StageLatency } from '../results.js';
import { elapsedMs, latencyStats, now, seededSample } from '../timing.js';
import type { TimingTarget } from './derive.js';

interface TimingUnit {
  latency: StageLatency;
  throughput: { queriesPerSec: number; pairsPerSec: number | null };
}

interface Block {
  v: RetrieverVariant;
  rv: RerankerVariant;
  b: number | null;
  k: number;
  rows: TimingTarget['rows'];
}

export async function timingPass(data: PreparedDataset, targets: readonly TimingTarget[], components: Components, ctx: RunContext): Promise<void> {
  const { store, work } = ctx;
  const blocks = new Map<string, Block>();
  for (const t of targets) {
    for (const row of t.rows) {
      const key = `${t.v.name}|${t.rv.modelKey ?? 'none'}|${row.batchSize ?? '-'}|${t.k}`;
      let blk = blocks.get(key);
      if (!blk) blocks.set(key, (blk = { v: t.v, rv: t.rv, b: row.batchSize, k: t.k, rows: [] }));
      blk.rows.push(row);
    }
  }
  const task = ctx.progress.task(`${data.label}: timing pass`, blocks.size);
  // One model in memory at a time: blocks grouped by model, each model released after its last block.
  const ordered = [...blocks].sort(([, a], [, b]) => (a.rv.modelKey ?? '').localeCompare(b.rv.modelKey ?? ''));
  const lastOfModel = new Map<string, string>();
  for (const [key, blk] of ordered) if (blk.rv.modelKey) lastOfModel.set(blk.rv.modelKey, key);
  const sample = sampler(data.queries, ctx);
  for (const [key, blk] of ordered) {
    const unitKey = `timing:${data.expKey}:${key}`;
    let unit = ctx.resume ? store.getUnit<TimingUnit>(unitKey) : undefined;
    if (unit) work.timingBlocksResumed++;
    else {
      unit = await timeBlock(blk, sample(blk.rv), components, data.docs);
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

/**
 * One seeded permutation of the queries: warm-up queries first, then the timed sample. A reranker with
 * smaller settings uses a prefix of the same lists, so every block times the same queries where it can.
 */
function sampler(queries: readonly Query[], ctx: RunContext): (rv: RerankerVariant) => { warm: Query[]; timed: Query[]; repetitions: number } {
  const { latency } = ctx.x.config;
  const order = seededSample(queries, queries.length, latency.seed);
  return (rv) => {
    const warmupQueries = rv.latency?.warmupQueries ?? latency.warmupQueries;
    const sampleQueries = rv.latency?.sampleQueries ?? latency.sampleQueries;
    const w = Math.min(warmupQueries, Math.max(0, order.length - 1));
    return { warm: order.slice(0, w), timed: order.slice(w, w + sampleQueries), repetitions: rv.latency?.repetitions ?? latency.repetitions };
  };
}

/** Milliseconds a reranker has waited on Retry-After since it was created (0 for local models). */
const retryAfterWaited = (r: Reranker | null): number => r?.stats?.().retryAfterWaitMs ?? 0;

async function timeBlock(
  blk: Block,
  s: { warm: Query[]; timed: Query[]; repetitions: number },
  components: Components,
  docs: PreparedDataset['docs'],
): Promise<TimingUnit> {
  const retriever = await components.retriever(blk.v);
  const reranker = blk.rv.spec ? await components.reranker(blk.rv) : null;
  const once = async (q: Query) => {
    const t0 = now();
    const cands = await retriever.search(q, blk.k, { useCache: false });
    const retrieve = elapsedMs(t0);
    let rerank: number | null = null;
    let waitedMs = 0;
    if (reranker) {
      const texts = cands.map((d) => docs.get(d.id)).filter((d) => d !== undefined).map((d) => docText(d));
      const waitedBefore = retryAfterWaited(reranker);
      const t1 = now();
      await reranker.score(q.text, texts, { batchSize: blk.b ?? undefined });
      rerank = elapsedMs(t1);
      waitedMs = retryAfterWaited(reranker) - waitedBefore;
    }
    return { query: q.id, retrieve, rerank, total: elapsedMs(t0), waitedMs };
  };
  for (const q of s.warm) await once(q);
  const samples: Awaited<ReturnType<typeof once>>[] = [];
  for (let rep = 0; rep < s.repetitions; rep++) for (const q of s.timed) samples.push(await once(q));
  const clean = samples.filter((x) => x.waitedMs === 0);
  const kept = clean.length > 0 ? clean : samples;
  const waited = samples.length - clean.length;
  const total = latencyStats(kept.map((x) => x.total));
  const rerank = reranker ? latencyStats(kept.map((x) => x.rerank ?? Number.NaN)) : null;
  const latency: StageLatency = {
    retrieve: latencyStats(kept.map((x) => x.retrieve)),
    rerank,
    total,
    samples: {
      queries: samples.map((x) => x.query),
      retrieve: samples.map((x) => x.retrieve),
      rerank: reranker ? samples.map((x) => x.rerank ?? Number.NaN) : null,
      total: samples.map((x) => x.total),
      ...(waited > 0 ? { retryAfter: samples.map((x) => x.waitedMs > 0) } : {}),
    },
  };
  if (waited > 0) {
    latency.excluded = {
      retryAfterSamples: clean.length > 0 ? waited : 0,
      retryAfterWaitMs: samples.reduce((a, x) => a + x.waitedMs, 0),
      ...(clean.length === 0 ? { note: 'every timed sample waited on Retry-After: these latencies include the server asking to wait' } : {}),
    };
  }
  return {
    latency,
    throughput: { queriesPerSec: 1000 / total.mean, pairsPerSec: rerank ? (blk.k * 1000) / rerank.mean : null },
  };
}
