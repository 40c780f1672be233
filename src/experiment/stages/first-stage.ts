/**
 * Stage 2, the first stage: every retriever indexes the dataset once and retrieves once, at the deepest
 * candidate count of the experiment; every shallower count is a prefix of that list (stage 4). A retrieval
 * run is committed to the cache as a unit, keyed by the dataset, the retriever's parameters and model, and
 * the depth, so a resumed or repeated run does not retrieve again.
 */
import { canonicalJson } from '../../canonical.js';
import type { Run } from '../../data/types.js';
import { searchAll } from '../../retrieval/types.js';
import { sha256Hex } from '../../store/store.js';
import type { Components } from '../components.js';
import type { PreparedDataset, RunContext } from '../execute.js';
import { modelKey } from '../manifest.js';
import { retrieverRecord, type EngineInfo } from '../retrievers/index.js';

export interface FirstStage {
  /** Each retriever variant's ranking of every evaluated query, `deepest` documents deep. */
  runs: Map<string, Run>;
  /** Recall@deepest of approximate retrievers (HNSW) against exact search over the same vectors. */
  annRecall: Map<string, number>;
  /** Where engine retrievers (pgvector, postgres-fts, lancedb) ran and on what version. */
  engines: Map<string, EngineInfo>;
}

type StoredRun = [string, [string, number][]][];

export async function runFirstStage(data: PreparedDataset, components: Components, ctx: RunContext): Promise<FirstStage> {
  const { store, progress, deepest, work } = ctx;
  const out: FirstStage = { runs: new Map(), annRecall: new Map(), engines: new Map() };
  // Every retriever, unless this run is a shard: then those its work units rerank or report.
  const needed = ctx.x.retrievers.filter((v) => ctx.x.rerankers.some((rv) => ctx.computes(data.label, v.name, rv)));
  for (const v of needed) {
    const built = await components.build(v);
    const desc = canonicalJson({ ...built.retriever.description, params: retrieverRecord(v), model: built.model ?? null });
    const unitKey = `retrieval:${data.key}:${sha256Hex(desc)}:${deepest}`;
    const cached = store.getUnit<StoredRun>(unitKey);
    let run: Run;
    if (cached) run = new Map(cached.map(([q, docs]) => [q, docs.map(([id, score]) => ({ id, score }))]));
    else {
      const t = Date.now();
      run = await searchAll(built.retriever, data.queries, deepest);
      store.putUnit(unitKey, [...run].map(([q, docs]) => [q, docs.map((d) => [d.id, d.score])]) satisfies StoredRun);
      work.retrievalPassesComputed++;
      progress.log(`${data.label}: retrieved ${deepest} candidates for ${data.queries.length} queries with ${v.name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    if (built.model) ctx.models.set(modelKey(built.model), built.model);
    if (built.engine) out.engines.set(v.name, built.engine);
    out.runs.set(v.name, run);
    work.retrievalPasses++;
    if (built.engine) out.engines.set(v.name, built.engine);
    if (built.annRecall) out.annRecall.set(v.name, await built.annRecall(data.queries, deepest));
  }
  return out;
}

