/**
 * Stage 4, deriving rows: every configuration of the sweep from the shared work. A candidate count k is the
 * prefix of length k of the deepest first-stage list; its reranked order is a sort of scores already known;
 * batch sizes share quality (they change only speed). Each configuration's final ranking is scored with
 * trec_eval semantics and written as a TREC run (into the run's staging folder; stage 6 puts it in place).
 */
import fs from 'node:fs';
import path from 'node:path';
import { sortTrec } from '../../data/order.js';
import { writeRun } from '../../data/trec.js';
import type { Query, Run, ScoredDoc } from '../../data/types.js';
import { docText } from '../../data/types.js';
import { evaluate } from '../../metrics/index.js';
import type { RerankerVariant, RetrieverVariant } from '../config.js';
import type { PreparedDataset, RunContext } from '../execute.js';
import type { ResultRow } from '../results.js';
import { retrieverRecord } from '../retrievers/index.js';
import type { FirstStage } from './first-stage.js';
import type { Scores } from './score.js';

/** The rows of one (retriever, reranker, k): one per batch size, timed together in stage 5. */
export interface TimingTarget {
  v: RetrieverVariant;
  rv: RerankerVariant;
  k: number;
  rows: ResultRow[];
}

interface Quality {
  metrics: Record<string, number>;
  perQuery: Record<string, Record<string, number>>;
}

export async function deriveRows(data: PreparedDataset, first: FirstStage, scores: Scores, ctx: RunContext): Promise<{ rows: ResultRow[]; targets: TimingTarget[] }> {
  const { config } = ctx.x;
  const evalOpts = { metrics: config.metrics, complete: config.evaluation.complete, relLevel: config.evaluation.relLevel, judgedOnly: config.evaluation.judgedOnly };
  const firstStageMemo = new Map<string, Quality & { recall: number }>();
  /** Quality of a retriever's top k before reranking, and the recall of those k candidates. */
  const firstStageQuality = (v: RetrieverVariant, k: number) => {
    const key = `${v.name}:${k}`;
    let m = firstStageMemo.get(key);
    if (!m) {
      const cands = prefixRun(first.runs.get(v.name)!, k, data.queries);
      const r = evaluate(data.qrels, cands, evalOpts);
      const rec = evaluate(data.qrels, cands, { ...evalOpts, metrics: [`recall@${k}`] });
      m = { metrics: r.metrics, perQuery: r.perQuery, recall: rec.metrics[`recall@${k}`] };
      firstStageMemo.set(key, m);
    }
    return m;
  };
  const rows: ResultRow[] = [];
  const targets: TimingTarget[] = [];
  for (const v of ctx.x.retrievers) {
    for (const rv of ctx.x.rerankers) {
      if (!ctx.computes(data.label, v.name, rv)) continue;
      const standIn = rv.modelKey !== null && scores.standIns.has(rv.modelKey);
      for (const k of [...new Set(rv.candidates)].sort((a, b) => a - b)) {
        const fs1 = firstStageQuality(v, k);
        const cands = prefixRun(first.runs.get(v.name)!, k, data.queries);
        const table = rv.modelKey !== null && !standIn ? scores.tables.get(rv.modelKey) : undefined;
        const final: Run = table ? new Map([...cands].map(([q, docs]) => [q, rerankCandidates(docs, table.get(q) ?? new Map(), rv.interpolateWeight)])) : cands;
        const quality: Quality | null = standIn ? null : table ? evaluate(data.qrels, final, evalOpts) : fs1;
        const run = standIn ? null : await writeConfigurationRun(final, data.label, v, k, rv, ctx.stagingRuns);
        const group = configurationRows(data, v, rv, k, { quality, firstStage: rv.spec ? fs1.metrics : null, candidateRecall: fs1.recall, final, run }, first, ctx);
        rows.push(...group);
        targets.push({ v, rv, k, rows: group });
      }
    }
  }
  return { rows, targets };
}

/** The rows of one (retriever, reranker, k), one per batch size, and what they add to the work counters. */
function configurationRows(
  data: PreparedDataset,
  v: RetrieverVariant,
  rv: RerankerVariant,
  k: number,
  c: { quality: Quality | null; firstStage: Record<string, number> | null; candidateRecall: number; final: Run; run: string | null },
  first: FirstStage,
  ctx: RunContext,
): ResultRow[] {
  const { work } = ctx;
  const context = contextOf(c.final, ctx.x.config.topN, data.docs, data.queries);
  const annRecall = first.annRecall.get(v.name);
  const engine = first.engines.get(v.name);
  const batchSizes = rv.spec ? [...new Set(rv.batchSizes)] : [null];
  const qualityId = `${data.label}/${v.name}/k${k}/${rv.name}`;
  return batchSizes.map((b) => {
    work.configurations++;
    if (c.quality) work.qualityConfigurations++;
    work.retrievalPassesNaive++;
    if (rv.spec && c.quality) work.rerankPairsNaive += k * data.queries.length;
    return {
      id: b === null ? qualityId : `${qualityId}/b${b}`,
      qualityId,
      dataset: data.label,
      retriever: retrieverRecord(v),
      candidates: k,
      reranker: null, // filled in once the model's identity is known (after the timing pass)
      batchSize: b,
      metrics: c.quality?.metrics ?? null,
      perQuery: c.quality?.perQuery ?? null,
      firstStage: c.firstStage,
      candidateRecall: c.candidateRecall,
      context,
      ...(annRecall !== undefined ? { annRecall } : {}),
      ...(engine ? { engine } : {}),
      latencyMs: null,
      throughput: null,
      run: c.run,
    };
  });
}

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._=@,+-]+/g, '_');
}

/** Writes a configuration's final ranking under `staging`; returns its path relative to the results folder. */
async function writeConfigurationRun(final: Run, dataset: string, v: RetrieverVariant, k: number, rv: RerankerVariant, staging: string): Promise<string> {
  const rel = path.join('runs', safeSegment(dataset), safeSegment(v.name), `k${k}`, `${safeSegment(rv.name)}.trec`);
  const file = path.join(staging, path.relative('runs', rel));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeRun(file, final, `rbench-${safeSegment(v.name)}-k${k}-${safeSegment(rv.name)}`);
  return rel;
}

/** Min-max normalises a list of numbers (all equal → 1); NaN stays NaN and is ignored for the range. */
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

function words(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

/**
 * Average size of what the LLM receives: the top-N documents of the final ranking (`title + " " + text`),
 * averaged over all evaluated queries (a query with fewer documents counts what it has). Tokens are
 * estimated as characters / 4.
 */
export function contextOf(final: Run, topN: number, docs: ReadonlyMap<string, { title: string; text: string }>, queries: readonly Query[]): ResultRow['context'] {
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
