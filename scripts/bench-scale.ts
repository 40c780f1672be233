/**
 * Scale benchmark (`npm run bench:scale`): a sweep on the largest shared collection (NPL, 11,429 documents,
 * 93 judged queries) with every retriever kind (BM25, GloVe exact, GloVe HNSW, hybrid), candidates up to 50,
 * two rerankers (GloVe MaxSim for quality, the MiniLM-L6 stand-in for cost) and three batch sizes.
 * Prints total wall time, peak memory (max RSS), and how much work the planner saved against running every
 * configuration separately, then one JSON line of the figures.
 *
 *   npm run build && npm run bench:scale [-- --cache DIR] [-- --fresh]
 *
 * `--fresh` uses an empty cache (everything computed); the default reuses the cache, so a second run shows
 * what a warm cache saves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/execute.js';
import { sharedDatasetsDir } from '../src/paths.js';

const args = process.argv.slice(2);
const fresh = args.includes('--fresh');
const cacheArg = args.indexOf('--cache');
const npl = path.join(sharedDatasetsDir(), 'npl', 'beir');
if (!fs.existsSync(npl)) {
  process.stderr.write(`bench:scale needs the shared NPL collection at ${npl}; set RBENCH_SHARED_DATASETS to the folder holding npl/beir.\n`);
  process.exit(2);
}
// Models are not sweep work: keep them in the usual place even when the cache is fresh.
process.env.RBENCH_MODELS ??= path.resolve('.rbench-cache', 'models');
const cache = cacheArg >= 0 ? path.resolve(args[cacheArg + 1]) : fresh ? fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-scale-')) : path.resolve('.rbench-cache');

const config = `name: bench-scale
datasets:
  - path: ${JSON.stringify(npl)}
    name: npl
retrievers:
  - name: bm25
    type: bm25
  - name: glove
    type: vector
    embedder: glove-sif
  - name: glove-hnsw
    type: vector
    embedder: glove-sif
    index: hnsw
    hnsw: { M: 16, efConstruction: 200, efSearch: 100 }
  - name: hybrid
    type: hybrid
    of: [bm25, glove]
    fusion: weighted
    weight: 0.2
candidates: [5, 10, 20, 30, 50]
rerankers:
  - none
  - glove-maxsim
  - name: minilm-standin
    model: minilm-standin
    retrievers: [bm25, hybrid]
    candidates: [10, 50]
    latency: { sampleQueries: 4, repetitions: 1, warmupQueries: 1 }
batchSizes: [1, 8, 32]
metrics: [ndcg@10, mrr@10, recall@10, map]
latency: { warmupQueries: 2, sampleQueries: 10, repetitions: 1 }
`;

const started = Date.now();
const file = path.join(os.tmpdir(), 'rbench-bench-scale.yaml');
fs.writeFileSync(file, config);
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-scale-out-'));
const { results } = await runExperiment(parseConfig(config, file), { outDir, cache, quiet: false });
const wallSec = (Date.now() - started) / 1000;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
const w = results.work;
const pairRatio = w.rerankPairsNeeded > 0 ? w.rerankPairsNaive / w.rerankPairsNeeded : null;
const retrievalRatio = w.retrievalPasses > 0 ? w.retrievalPassesNaive / w.retrievalPasses : null;
const lines = [
  '',
  `bench:scale on NPL (${results.datasets[0].docs} documents, ${results.datasets[0].evaluatedQueries} queries), ${fresh ? 'empty' : 'existing'} cache`,
  `  configurations:   ${w.configurations} (${w.qualityConfigurations} with quality; stand-in rows are cost only)`,
  `  wall time:        ${wallSec.toFixed(1)} s`,
  `  peak memory:      ${peakRssMB.toFixed(0)} MB (max RSS)`,
  `  retrieval passes: ${w.retrievalPasses} instead of ${w.retrievalPassesNaive} (${retrievalRatio?.toFixed(1)}x fewer)`,
  `  reranked pairs:   ${w.rerankPairsNeeded} instead of ${w.rerankPairsNaive} (${pairRatio?.toFixed(1)}x fewer); computed ${w.rerankPairsComputed}, from cache ${w.rerankPairsFromCache}`,
  `  timing blocks:    ${w.timingBlocksMeasured} measured`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: 'scale', dataset: 'npl', docs: results.datasets[0].docs, queries: results.datasets[0].evaluatedQueries, configurations: w.configurations, wallSec, peakRssMB, retrievalPasses: w.retrievalPasses, retrievalPassesNaive: w.retrievalPassesNaive, rerankPairs: w.rerankPairsNeeded, rerankPairsNaive: w.rerankPairsNaive, workRatio: pairRatio, rerankPairsComputed: w.rerankPairsComputed, fresh })}\n`,
);
fs.rmSync(outDir, { recursive: true, force: true });
if (fresh && cacheArg < 0) fs.rmSync(cache, { recursive: true, force: true });
