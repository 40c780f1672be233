/**
 * A small hand-made results file for the report tests: two retrievers (BM25 and an HNSW vector index with
 * its ANN recall), candidates 5 and 10, rerankers none / a real cross-encoder / its interpolated variant /
 * an architecture stand-in, batch sizes 1 and 4. Names carry HTML metacharacters.
 *
 * The stand-in rows deliberately carry quality numbers (a real results file has null there): the report must
 * not show them anyway, and their values (STAND_IN_SENTINELS) are unique so a test can search the page for them.
 */
import type { ReportResults, ReportRow } from '../../src/report/input.js';

export const DATASET = 'web <b>"qa"</b> & co';
export const EVIL = '<script>alert("x")</script>';
export const STAND_IN_SENTINELS = [0.987654321, 0.876543219];

const lat = (p50: number) => ({ p50, p95: p50 * 1.5, p99: p50 * 2, mean: p50 * 1.1, n: 4 });

interface RowSpec {
  retriever: 'bm25' | 'dense';
  k: number;
  reranker: 'none' | 'ce' | 'ce-interp' | 'big-standin';
  b: number | null;
  ndcg: number;
  recall: number;
  firstNdcg: number;
  candRecall: number;
  retrieveMs: number;
  rerankMs: number | null;
}

function row(s: RowSpec): ReportRow {
  const retriever =
    s.retriever === 'bm25'
      ? { name: 'bm25', type: 'bm25', engine: 'lucene', k1: 0.9, b: 0.4 }
      : { name: 'dense', type: 'vector', embedder: 'e5', index: 'hnsw', hnsw: { M: 16, efConstruction: 200, efSearch: 50 } };
  const standIn = s.reranker === 'big-standin';
  const reranker =
    s.reranker === 'none'
      ? null
      : {
          name: standIn ? 'big-standin' : 'ce',
          backend: 'transformers',
          source: standIn ? 'rbench/standin-big' : 'Xenova/ce',
          weights: standIn ? 'random' : 'pretrained',
          sha256: standIn ? 'b'.repeat(64) : 'c'.repeat(64),
          dtype: 'fp32',
          settings: { maxLength: 512 },
          label: s.reranker,
          interpolate: s.reranker === 'ce-interp' ? 0.3 : null,
        };
  const total = s.retrieveMs + (s.rerankMs ?? 0);
  return {
    id: `${DATASET}/${s.retriever}/k${s.k}/${s.reranker}${s.b === null ? '' : `/b${s.b}`}`,
    dataset: DATASET,
    retriever,
    candidates: s.k,
    reranker,
    batchSize: s.b,
    metrics: standIn ? { 'ndcg@10': STAND_IN_SENTINELS[0], 'recall@10': STAND_IN_SENTINELS[1] } : { 'ndcg@10': s.ndcg, 'recall@10': s.recall },
    firstStage: s.reranker === 'none' ? null : { 'ndcg@10': s.firstNdcg, 'recall@10': s.recall },
    candidateRecall: s.candRecall,
    context: { topN: 5, meanDocs: 5, meanWords: 400, meanTokensEstimate: 640 },
    ...(s.retriever === 'dense' ? { annRecall: 0.987 } : {}),
    latencyMs: { retrieve: lat(s.retrieveMs), rerank: s.rerankMs === null ? null : lat(s.rerankMs), total: lat(total) },
    throughput: { queriesPerSec: 1000 / (total * 1.1), pairsPerSec: s.rerankMs === null ? null : (s.k * 1000) / (s.rerankMs * 1.1) },
    run: standIn ? null : `runs/x/${s.retriever}/k${s.k}/${s.reranker}.trec`,
  };
}

export function syntheticResults(): ReportResults {
  const rows: ReportRow[] = [];
  const base = { bm25: { ndcg: [0.6, 0.62], cand: [0.7, 0.8], ms: 0.1 }, dense: { ndcg: [0.55, 0.58], cand: [0.65, 0.85], ms: 0.5 } } as const;
  for (const retriever of ['bm25', 'dense'] as const) {
    [5, 10].forEach((k, ki) => {
      const first = base[retriever].ndcg[ki];
      const cand = base[retriever].cand[ki];
      const ms = base[retriever].ms;
      rows.push(row({ retriever, k, reranker: 'none', b: null, ndcg: first, recall: cand, firstNdcg: first, candRecall: cand, retrieveMs: ms, rerankMs: null }));
      for (const b of [1, 4]) {
        // Batch size changes speed, not quality: b4 is faster here.
        const rr = k * (b === 1 ? 2 : 1.5);
        rows.push(row({ retriever, k, reranker: 'ce', b, ndcg: first + 0.05 + 0.01 * ki, recall: cand, firstNdcg: first, candRecall: cand, retrieveMs: ms, rerankMs: rr }));
        rows.push(row({ retriever, k, reranker: 'ce-interp', b, ndcg: first + 0.03, recall: cand, firstNdcg: first, candRecall: cand, retrieveMs: ms, rerankMs: rr }));
        if (retriever === 'bm25') rows.push(row({ retriever, k, reranker: 'big-standin', b, ndcg: 0, recall: 0, firstNdcg: first, candRecall: cand, retrieveMs: ms, rerankMs: k * 40 }));
      }
    });
  }
  return {
    schemaVersion: 1,
    experiment: `exp ${EVIL}`,
    createdAt: '2026-11-25T21:00:00.000Z',
    durationSec: 75.5,
    environment: {
      rbench: '0.1.0',
      node: '20.20.2',
      os: 'linux',
      arch: 'x64',
      cpu: 'Test CPU <fast>',
      cores: 2,
      memoryGB: 23.5,
      onnxruntime: '1.30.0',
      transformers: '4.3.1',
      threads: { intraOp: 2, interOp: 1, allowSpinning: false },
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
      gitDirty: true,
    },
    config: { name: 'exp', description: `a description with ${EVIL}`, metrics: ['ndcg@10', 'recall@10'] },
    conventions: { metrics: 'trec_eval 10.0 semantics; grade >= 1 & <relevant>' },
    datasets: [
      {
        name: DATASET,
        path: '/data/web<qa>',
        split: 'test',
        docs: 1000,
        queries: 50,
        evaluatedQueries: 50,
        qrels: 120,
        sha256: 'a'.repeat(64),
        warnings: [`line 3: duplicate id ${EVIL}`],
      },
    ],
    work: {
      configurations: rows.length,
      qualityConfigurations: rows.filter((r) => r.reranker?.weights !== 'random').length,
      retrievalPasses: 2,
      retrievalPassesComputed: 1,
      retrievalPassesNaive: rows.length,
      rerankPairsNeeded: 1000,
      rerankPairsComputed: 400,
      rerankPairsFromCache: 600,
      rerankPairsNaive: 5000,
      embeddingsComputed: 0,
      embeddingsFromCache: 1000,
      timingBlocksMeasured: 20,
      timingBlocksResumed: 0,
    },
    results: rows,
  };
}

// ----- the statistics of a run: qualityId, intervals, tests against the baseline, selection, decisions -----

/** The quality configuration of a fixture row: its id without `/b<N>`. */
export const qid = (retriever: 'bm25' | 'dense', k: number, reranker: string): string => `${DATASET}/${retriever}/k${k}/${reranker}`;

export const BASELINE = qid('bm25', 10, 'none');
/** Recommended within 100 ms, 1000 ms and with no budget (the cheapest not significantly below the best). */
export const RECOMMENDED = qid('bm25', 5, 'ce');
/** The best with no budget (and within 100 and 1000 ms). */
export const BEST = qid('bm25', 10, 'ce');
/** A query id with HTML metacharacters: the wins/losses chart names queries. */
export const EVIL_QUERY = `q6 ${EVIL}`;

/**
 * nDCG@10 per query, worked by hand so each mean is the row's (fixture `row`): baseline 0.62 (sum 3.72),
 * bm25/k5/ce 0.65 (3.90), bm25/k10/ce 0.68 (4.08). Against the baseline, bm25/k5/ce wins q2 (+0.30),
 * loses q4 (−0.10) and q5 (−0.02), ties 3; bm25/k10/ce wins q2 (+0.40) and q3 (+0.08), loses q5 (−0.12),
 * ties 3.
 */
export const PER_QUERY_NDCG: Record<string, Record<string, number>> = {
  [BASELINE]: { q1: 1.0, q2: 0.5, q3: 0.72, q4: 0.3, q5: 0.7, [EVIL_QUERY]: 0.5 },
  [RECOMMENDED]: { q1: 1.0, q2: 0.8, q3: 0.72, q4: 0.2, q5: 0.68, [EVIL_QUERY]: 0.5 },
  [BEST]: { q1: 1.0, q2: 0.9, q3: 0.8, q4: 0.3, q5: 0.58, [EVIL_QUERY]: 0.5 },
};

/** Significant against the baseline on nDCG@10: bm25/k10/ce better (▲), dense/k5/none worse (▼); nothing else. */
export const SIGNIFICANT: Record<string, 'better' | 'worse'> = { [BEST]: 'better', [qid('dense', 5, 'none')]: 'worse' };

const comparison = (delta: number, significant: boolean): NonNullable<ReportRow['vsBaseline']>[string] => ({
  baseline: BASELINE,
  delta,
  ci95: [delta - 0.04, delta + 0.04],
  p: significant ? 0.004 : 0.3,
  pExact: true,
  pTTest: significant ? 0.005 : 0.31,
  pAdjusted: significant ? 0.02 : 0.6,
  significant,
  wins: 2,
  losses: 1,
  ties: 3,
});

/** `syntheticResults` as a run with statistics writes it (every shape of src/experiment/results.ts). */
export function decidedResults(): ReportResults {
  const r = syntheticResults();
  const base = r.results.find((x) => x.id === BASELINE)!;
  for (const row of r.results) {
    const id = row.batchSize === null ? row.id : row.id.replace(/\/b\d+$/, '');
    row.qualityId = id;
    if (row.reranker?.weights === 'random') continue;
    const m = row.metrics!;
    row.ci95 = { 'ndcg@10': [m['ndcg@10'] - 0.05, m['ndcg@10'] + 0.05], 'recall@10': [m['recall@10'] - 0.05, m['recall@10'] + 0.05] };
    if (id !== BASELINE) {
      row.vsBaseline = {
        'ndcg@10': comparison(m['ndcg@10'] - base.metrics!['ndcg@10'], id in SIGNIFICANT),
        'recall@10': comparison(m['recall@10'] - base.metrics!['recall@10'], false),
      };
    }
    const ndcg = PER_QUERY_NDCG[id];
    row.perQuery = ndcg ? Object.fromEntries(Object.entries(ndcg).map(([q, v]) => [q, { 'ndcg@10': v, 'recall@10': m['recall@10'] }])) : null;
  }
  r.statistics = { test: 'randomization', correction: 'holm', alpha: 0.05, bootstrap: 1000, permutations: 1000, seed: 42, baselines: { [DATASET]: BASELINE } };
  r.selection = [
    { dataset: DATASET, metric: 'ndcg@10', method: 'cross-validation', folds: 3, queries: 6, naiveBest: { id: BEST, mean: 0.68 }, estimate: 0.655, gap: 0.025, chosen: { [BEST]: 2, [RECOMMENDED]: 1 } },
    { dataset: DATASET, metric: 'recall@10', method: 'cross-validation', folds: 3, queries: 6, naiveBest: { id: BEST, mean: 0.8 }, estimate: 0.79, gap: 0.01, chosen: { [BEST]: 3 } },
  ];
  // Total p95 at the fastest batch size (fixture `row`: p95 = 1.5 × p50): bm25 alone 0.15 ms, bm25/k5/ce
  // b4 11.4 ms, bm25/k10/ce b4 22.65 ms; stand-ins 300.15 ms (k5) and 600.15 ms (k10) at b1.
  const pick = (id: string, batchSize: number | null, mean: number, latencyMs: number) => ({
    id,
    batchSize,
    mean,
    ci95: [mean - 0.05, mean + 0.05] as [number, number],
    latencyMs,
    ...(id === BASELINE ? {} : { vsBaseline: { delta: mean - 0.62, pAdjusted: id in SIGNIFICANT ? 0.02 : 0.6, significant: id in SIGNIFICANT } }),
  });
  const standIn = (k: number) => ({ id: qid('bm25', k, 'big-standin'), batchSize: 1, latencyMs: 1.5 * (0.1 + 40 * k) });
  const decision = (budgetMs: number | null) => {
    const fast = budgetMs === 10;
    const standIns = budgetMs === null || budgetMs >= 1000 ? [standIn(5), standIn(10)] : [];
    return {
      dataset: DATASET,
      metric: 'ndcg@10',
      latency: 'p95' as const,
      budgetMs,
      best: fast ? pick(BASELINE, null, 0.62, 0.15) : pick(BEST, 4, 0.68, 22.65),
      recommended: fast ? { ...pick(BASELINE, null, 0.62, 0.15), vsBest: { delta: 0, pAdjusted: null } } : { ...pick(RECOMMENDED, 4, 0.65, 11.4), vsBest: { delta: -0.03, pAdjusted: 0.3 } },
      reason: fast ? `${BASELINE} has the best ndcg@10 within 10 ms p95 per query. It is the baseline.` : `${RECOMMENDED} is the cheapest configuration ${budgetMs === null ? 'with no latency budget' : `within ${budgetMs} ms p95 per query`} whose ndcg@10 is not significantly below the best there, ${BEST}.`,
      standIns,
    };
  };
  r.decisions = [decision(10), decision(100), decision(1000), decision(null)];
  return r;
}

/**
 * `decidedResults` with two sweeps: an HNSW retriever at efSearch 16, 32 and 64 (ANN recall 0.8, 0.9, 0.97;
 * first stage alone at k10) and bm25/k10 reranked by ce interpolated at w = 0.1 and 0.5 besides the 0.3 of
 * the fixture (nDCG@10 0.63 and 0.66), so the curve runs 0.62 (first stage), 0.63, 0.65, 0.66, 0.68 (ce alone).
 */
export function sweptResults(): ReportResults {
  const r = decidedResults();
  const template = r.results.find((x) => x.id === qid('dense', 10, 'none'))!;
  [16, 32, 64].forEach((ef, i) => {
    const name = `dense-hnsw@efSearch=${ef}`;
    const id = `${DATASET}/${name}/k10/none`;
    r.results.push({
      ...structuredClone(template),
      id,
      qualityId: id,
      retriever: { name, type: 'vector', embedder: 'e5', index: 'hnsw', hnsw: { M: 16, efConstruction: 200, efSearch: ef }, swept: { efSearch: ef } },
      annRecall: [0.8, 0.9, 0.97][i],
      metrics: { 'ndcg@10': 0.5 + 0.02 * i, 'recall@10': 0.7 + 0.05 * i },
      ci95: { 'ndcg@10': [0.45 + 0.02 * i, 0.55 + 0.02 * i], 'recall@10': [0.65 + 0.05 * i, 0.75 + 0.05 * i] },
      vsBaseline: undefined,
      perQuery: null,
    });
  });
  const interp = r.results.find((x) => x.id === `${qid('bm25', 10, 'ce-interp')}/b1`)!;
  for (const [w, ndcg] of [[0.1, 0.63], [0.5, 0.66]] as const) {
    const label = `ce+interp@w=${w}`;
    const id = qid('bm25', 10, label);
    r.results.push({ ...structuredClone(interp), id: `${id}/b1`, qualityId: id, reranker: { ...interp.reranker!, label, interpolate: w }, metrics: { ...interp.metrics!, 'ndcg@10': ndcg }, ci95: { ...interp.ci95!, 'ndcg@10': [ndcg - 0.05, ndcg + 0.05] }, vsBaseline: undefined, perQuery: null });
  }
  return r;
}

/** A second dataset label for cross-dataset tables. */
export const DATASET_B = 'other-set';

/**
 * `decidedResults` plus a second dataset whose rows are the first's with nDCG@10 lowered by 0.1, without
 * the dense retriever (so dense pipelines have no mean over datasets), and with decisions of its own.
 */
export function twoDatasetResults(): ReportResults {
  const r = decidedResults();
  const rename = (s: string) => (s.startsWith(`${DATASET}/`) ? `${DATASET_B}/${s.slice(DATASET.length + 1)}` : s);
  const copy = r.results
    .filter((x) => x.retriever.name === 'bm25')
    .map((x) => {
      const y = structuredClone(x);
      y.id = rename(y.id);
      y.qualityId = rename(y.qualityId!);
      y.dataset = DATASET_B;
      if (y.metrics && y.reranker?.weights !== 'random') y.metrics['ndcg@10'] -= 0.1;
      if (y.ci95) y.ci95['ndcg@10'] = [y.ci95['ndcg@10'][0] - 0.1, y.ci95['ndcg@10'][1] - 0.1];
      if (y.perQuery) y.perQuery = Object.fromEntries(Object.entries(y.perQuery).map(([q, v]) => [q, { ...v, 'ndcg@10': v['ndcg@10'] - 0.1 }]));
      if (y.vsBaseline) for (const c of Object.values(y.vsBaseline)) c.baseline = rename(c.baseline);
      return y;
    });
  r.results.push(...copy);
  r.datasets.push({ ...r.datasets[0], name: DATASET_B, path: '/data/other' });
  r.statistics!.baselines[DATASET_B] = rename(BASELINE);
  r.selection!.push(...r.selection!.map((s) => ({ ...s, dataset: DATASET_B, naiveBest: { id: rename(s.naiveBest.id), mean: s.naiveBest.mean - 0.1 }, estimate: s.estimate - 0.1, chosen: Object.fromEntries(Object.entries(s.chosen).map(([k, v]) => [rename(k), v])) })));
  r.decisions!.push(
    ...r.decisions!.map((d) => ({
      ...d,
      dataset: DATASET_B,
      best: d.best && { ...d.best, id: rename(d.best.id), mean: d.best.mean - 0.1, ci95: [d.best.ci95[0] - 0.1, d.best.ci95[1] - 0.1] as [number, number] },
      recommended: d.recommended && { ...d.recommended, id: rename(d.recommended.id), mean: d.recommended.mean - 0.1, ci95: [d.recommended.ci95[0] - 0.1, d.recommended.ci95[1] - 0.1] as [number, number] },
      reason: d.reason.split(`${DATASET}/`).join(`${DATASET_B}/`),
      standIns: d.standIns.map((x) => ({ ...x, id: rename(x.id) })),
    })),
  );
  return r;
}
