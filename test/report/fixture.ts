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
