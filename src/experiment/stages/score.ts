/**
 * Stage 3, scoring candidates: each reranker model scores each (query, candidate) pair once, the union of
 * the candidates of every retriever it applies to, down to its deepest candidate count. Variants of a model
 * (interpolation weights, batch sizes) share its scores. Scores are cached by model identity, query text
 * and document text; each query's scores are committed before the next query starts.
 *
 * Architecture stand-ins (random weights) are not scored: their quality means nothing.
 *
 * A remote model is only as stable as the server behind its URL. When the server does not pin its weights
 * (TEI's /info names the model and, when started with --revision <commit>, the commit; Cohere- and Jina-style
 * APIs say nothing), a few cached pairs are scored again before
 * the cache is trusted: any difference means another model now answers at that URL, so the cached scores of
 * that model are stale and are recomputed (or the run stops, with --no-refresh).
 */
import { docText } from '../../data/types.js';
import type { Run } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { identityKey } from '../../models/embedding-cache.js';
import { needsScoreCanary } from '../../models/identity.js';
import type { Reranker } from '../../models/types.js';
import type { Components } from '../components.js';
import type { RerankerVariant } from '../config.js';
import type { PreparedDataset, RunContext } from '../execute.js';
import type { FirstStage } from './first-stage.js';

/** Query id → document id → score. */
export type ScoreTable = Map<string, Map<string, number>>;

export interface Scores {
  /** Per model key (RerankerVariant.modelKey). */
  tables: Map<string, ScoreTable>;
  /** Model keys of architecture stand-ins (random weights): cost only, no quality pass. */
  standIns: Set<string>;
}

/** Cached pairs re-scored to check a remote model that does not describe itself. */
export const CANARY_PAIRS = 3;
/** Re-scored and cached scores agree when |a − b| ≤ ABS + REL·|a| (servers batch differently; floats wobble). */
const CANARY_ABS = 1e-4;
const CANARY_REL = 1e-3;

export async function scoreAllModels(data: PreparedDataset, first: FirstStage, components: Components, ctx: RunContext): Promise<Scores> {
  const byModel = new Map<string, RerankerVariant[]>();
  for (const rv of ctx.x.rerankers) {
    if (rv.modelKey && ctx.x.retrievers.some((v) => ctx.computes(data.label, v.name, rv))) byModel.set(rv.modelKey, [...(byModel.get(rv.modelKey) ?? []), rv]);
  }
  const out: Scores = { tables: new Map(), standIns: new Set() };
  for (const [modelKey, group] of byModel) {
    const rv0 = group[0];
    if (components.isStandIn(rv0) !== true) {
      const reranker = await components.reranker(rv0);
      if (reranker.identity.weights !== 'random') {
        // The union of what the model's variants need: deepest candidates, every retriever any applies to.
        const depth = Math.max(...group.flatMap((rv) => rv.candidates));
        const all = group.some((rv) => rv.retrievers === null);
        const pairs = candidatePairs(data, new Map([...first.runs].filter(([name]) => all || group.some((rv) => rv.retrievers?.includes(name)))), depth);
        const refresh = await cacheIsStale(reranker, pairs, data, ctx);
        out.tables.set(modelKey, await scorePairs(reranker, pairs, data, ctx, refresh, `${data.label}: rerank with ${rv0.spec?.model}`));
      }
      await components.release(rv0);
    }
    if (components.isStandIn(rv0) === true) {
      out.standIns.add(modelKey);
      ctx.progress.log(`${data.label}: ${rv0.spec?.model} has random weights (architecture stand-in): cost only, no quality pass`);
    }
  }
  return out;
}

/** Per query, the documents to score: the union of the retrievers' top `depth` that exist in the corpus. */
function candidatePairs(data: PreparedDataset, runs: ReadonlyMap<string, Run>, depth: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const q of data.queries) {
    const ids = new Set<string>();
    for (const run of runs.values()) for (const d of (run.get(q.id) ?? []).slice(0, depth)) ids.add(d.id);
    out.set(q.id, [...ids].filter((id) => data.docs.has(id)));
  }
  return out;
}

/**
 * Scores every pair once: cached pairs come from the store (unless `refresh`), the rest are scored query by
 * query and each query's scores are committed before the next query starts.
 */
async function scorePairs(reranker: Reranker, pairs: ReadonlyMap<string, string[]>, data: PreparedDataset, ctx: RunContext, refresh: boolean, label: string): Promise<ScoreTable> {
  const { store, work } = ctx;
  const model = identityKey(reranker.identity);
  const table: ScoreTable = new Map();
  const task = ctx.progress.task(label, data.queries.length);
  for (const q of data.queries) {
    const idList = pairs.get(q.id) ?? [];
    const texts = idList.map((id) => docText(data.docs.get(id)!));
    const scores = refresh ? new Float64Array(texts.length).fill(Number.NaN) : store.getScores(model, q.text, texts);
    const missing: number[] = [];
    scores.forEach((s, i) => (Number.isNaN(s) ? missing.push(i) : undefined));
    work.rerankPairsNeeded += idList.length;
    work.rerankPairsFromCache += idList.length - missing.length;
    if (missing.length > 0) {
      const fresh = await reranker.score(q.text, missing.map((i) => texts[i]));
      store.putScores(model, q.text, missing.map((i) => texts[i]), fresh);
      missing.forEach((i, j) => (scores[i] = fresh[j]));
      work.rerankPairsComputed += missing.length;
    }
    table.set(q.id, new Map(idList.map((id, i) => [id, scores[i]])));
    task.tick();
  }
  task.done();
  return table;
}

/**
 * For a remote model that does not describe its weights: re-scores up to CANARY_PAIRS cached pairs. True
 * when they differ (the cache is stale and must be recomputed); with --no-refresh that stops the run.
 */
async function cacheIsStale(reranker: Reranker, pairs: ReadonlyMap<string, string[]>, data: PreparedDataset, ctx: RunContext): Promise<boolean> {
  if (!needsScoreCanary(reranker.identity)) return false;
  const model = identityKey(reranker.identity);
  const canaries: { query: string; text: string; cached: number }[] = [];
  for (const q of data.queries) {
    const texts = (pairs.get(q.id) ?? []).map((id) => docText(data.docs.get(id)!));
    const cached = ctx.store.getScores(model, q.text, texts);
    cached.forEach((s, i) => {
      if (!Number.isNaN(s) && canaries.length < CANARY_PAIRS) canaries.push({ query: q.text, text: texts[i], cached: s });
    });
    if (canaries.length >= CANARY_PAIRS) break;
  }
  if (canaries.length === 0) return false;
  const differ: string[] = [];
  for (const c of canaries) {
    const [now] = await reranker.score(c.query, [c.text]);
    if (!(Math.abs(now - c.cached) <= CANARY_ABS + CANARY_REL * Math.abs(c.cached))) differ.push(`cached ${c.cached}, now ${now}`);
  }
  if (differ.length === 0) return false;
  const what = `${reranker.identity.name} (${reranker.identity.source})`;
  const detail = `${differ.length} of ${canaries.length} re-scored cached pairs differ (${differ.join('; ')}): another model now answers at that address`;
  if (ctx.noRefresh) {
    throw new UsageError(`cached scores of ${what} are stale: ${detail}.`, { hint: 'Run without --no-refresh to recompute them, or with --no-cache.' });
  }
  ctx.progress.notice(`${data.label}: cached scores of ${what} are stale: ${detail}; recomputing every pair of this model.`);
  return true;
}
