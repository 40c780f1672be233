/**
 * What the offline GloVe models are worth, measured on the shared collections (run by hand):
 *
 *   npm run build && node dist/scripts/glove-eval.js [--datasets adi,cisi,...] [--models-dir DIR]
 *                                    [--top-words 100000] [--threads 2] [--max-length 8192]
 *
 * Per collection (BEIR layout under `sharedDatasetsDir()/<name>/beir`, split `test`), with trec_eval
 * semantics and `-c` (every judged query counts; src/metrics):
 * - BM25, the "simple analyzer" run of BM25-REFERENCE.md (k1 0.9, b 0.4, exact lengths), top 100;
 * - glove-sif: exact inner-product search over all documents, top 100;
 * - glove-maxsim reranking BM25's top 100 alone, and interpolated with BM25 (min-max per query, weight
 *   0.3 on MaxSim), which leaves Recall@100 equal to BM25's;
 * both models built by `buildGloveModels` and run through the project's transformers backend
 * (`createEmbedder` / `createReranker`) with maxLength 8192 (the models' `model_max_length`) so that no
 * document of these collections is cut; `--max-length 512` shows what the backend's default costs.
 * Prints a markdown table (nDCG@10 / Recall@100) with the means next to OFFLINE-MODELS.md's figures, then
 * one JSON line.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBeir } from '../src/data/beir.js';
import { docText, type Run, type ScoredDoc } from '../src/data/types.js';
import { evaluate } from '../src/metrics/index.js';
import { buildGloveModels } from '../src/models/glove/build.js';
import { loadGloveBase } from '../src/models/glove/vectors.js';
import { createEmbedder, createReranker } from '../src/models/registry.js';
import { modelsDir as defaultModelsDir, sharedDatasetsDir } from '../src/paths.js';
import { createBm25Retriever } from '../src/retrieval/bm25/index.js';
import { weightedFusion } from '../src/retrieval/fusion.js';
import { ExactIndex } from '../src/retrieval/vector/exact.js';

const COLLECTIONS = ['adi', 'cisi', 'cacm', 'lisa', 'time', 'npl', 'scifact'];
const METRICS = ['ndcg@10', 'recall@100'];
const DEPTH = 100;
const MAXSIM_WEIGHT = 0.3;

/** OFFLINE-MODELS.md, means over the seven collections. */
const DOCUMENTED = { bm25: [0.506, 0.744], sif: [0.287, 0.567], maxsim: [0.439, 0.744], interpolated: [0.511, 0.744] } as const;

type Method = keyof typeof DOCUMENTED;
const METHODS: Method[] = ['bm25', 'sif', 'maxsim', 'interpolated'];

interface Row {
  collection: string;
  docs: number;
  queries: number;
  vocab: number;
  coverage: number;
  results: Record<Method, { ndcg10: number; recall100: number }>;
  seconds: { build: number; embed: number; rerank: number };
  rerankMsPerQuery: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      datasets: { type: 'string', default: COLLECTIONS.join(',') },
      'models-dir': { type: 'string' },
      'top-words': { type: 'string', default: '100000' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
      'max-length': { type: 'string', default: '8192' },
    },
  });
  const names = values.datasets.split(',').filter(Boolean);
  const modelsDir = path.resolve(values['models-dir'] ?? defaultModelsDir());
  const topWords = Number(values['top-words']);
  const threads = Number(values.threads);
  const maxLength = Number(values['max-length']);
  const ctx = { modelsDir, threads };

  const t0 = performance.now();
  const base = await loadGloveBase(modelsDir, { log: (m) => console.error(m) });
  console.error(`GloVe base loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rows: Row[] = [];
  for (const name of names) {
    const folder = path.join(sharedDatasetsDir(), name, 'beir');
    const ds = await loadBeir(folder, 'test');
    const queries = ds.queries.filter((q) => ds.qrels.has(q.id));
    const texts = new Map(ds.corpus.map((d) => [d.id, docText(d)]));

    let t = performance.now();
    const built = await buildGloveModels({ corpus: ds.corpus, corpusId: name, modelsDir, base, recipe: { topWords } });
    const buildSeconds = (performance.now() - t) / 1000;

    // BM25 (simple analyzer, exact lengths) top 100.
    const bm25 = createBm25Retriever({ analyzer: 'simple', norms: 'exact' });
    await bm25.index(ds.corpus);
    const bm25Run: Run = new Map();
    for (const q of queries) bm25Run.set(q.id, await bm25.search(q, DEPTH));

    // SIF dense retrieval, exact search.
    t = performance.now();
    const embedder = await createEmbedder({ model: built.embedderDir, pooling: 'none', maxLength, batchSize: 64 }, ctx);
    const docVectors = await embedder.embedDocuments(ds.corpus.map(docText));
    const queryVectors = await embedder.embedQueries(queries.map((q) => q.text));
    const embedSeconds = (performance.now() - t) / 1000;
    await embedder.dispose();
    const index = new ExactIndex();
    await index.build(
      ds.corpus.map((d) => d.id),
      docVectors,
    );
    const sifRun: Run = new Map(queries.map((q, i) => [q.id, index.search(queryVectors[i], DEPTH)]));

    // MaxSim reranking of BM25's top 100, alone and interpolated.
    t = performance.now();
    const reranker = await createReranker({ model: built.rerankerDir, maxLength, batchSize: 32 }, ctx);
    const maxsimRun: Run = new Map();
    const interpolatedRun: Run = new Map();
    for (const q of queries) {
      const candidates = bm25Run.get(q.id) ?? [];
      const scores = await reranker.score(
        q.text,
        candidates.map((c) => texts.get(c.id) ?? ''),
      );
      const reranked: ScoredDoc[] = candidates.map((c, i) => ({ id: c.id, score: scores[i] }));
      maxsimRun.set(q.id, reranked);
      interpolatedRun.set(q.id, weightedFusion([candidates, reranked], [1 - MAXSIM_WEIGHT, MAXSIM_WEIGHT]));
    }
    const rerankSeconds = (performance.now() - t) / 1000;
    await reranker.dispose();

    const runs: Record<Method, Run> = { bm25: bm25Run, sif: sifRun, maxsim: maxsimRun, interpolated: interpolatedRun };
    const results = {} as Row['results'];
    for (const m of METHODS) {
      const r = evaluate(ds.qrels, runs[m], { metrics: METRICS, complete: true });
      results[m] = { ndcg10: r.metrics['ndcg@10'], recall100: r.metrics['recall@100'] };
    }
    const row: Row = {
      collection: name,
      docs: ds.corpus.length,
      queries: queries.length,
      vocab: built.recipe.vocabSize,
      coverage: built.recipe.tokenCoverage,
      results,
      seconds: { build: buildSeconds, embed: embedSeconds, rerank: rerankSeconds },
      rerankMsPerQuery: (rerankSeconds * 1000) / Math.max(1, queries.length),
    };
    rows.push(row);
    console.error(
      `${name}: ${METHODS.map((m) => `${m} ${results[m].ndcg10.toFixed(4)}/${results[m].recall100.toFixed(4)}`).join('  ')}` +
        `  (build ${buildSeconds.toFixed(1)} s, embed ${embedSeconds.toFixed(1)} s, rerank ${row.rerankMsPerQuery.toFixed(1)} ms/query)`,
    );
  }

  const f = (x: number): string => x.toFixed(3);
  const mean = (m: Method, k: 'ndcg10' | 'recall100'): number => rows.reduce((s, r) => s + r.results[m][k], 0) / rows.length;
  console.log('| collection | docs | judged queries | token coverage | BM25 simple | glove-sif exact | BM25 → glove-maxsim | BM25 + 0.3 maxsim |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const cells = METHODS.map((m) => (m === 'maxsim' || m === 'interpolated' ? f(r.results[m].ndcg10) : `${f(r.results[m].ndcg10)} / ${f(r.results[m].recall100)}`));
    console.log(`| ${r.collection} | ${r.docs} | ${r.queries} | ${(100 * r.coverage).toFixed(1)} % | ${cells.join(' | ')} |`);
  }
  const meanCells = METHODS.map((m) => (m === 'maxsim' || m === 'interpolated' ? f(mean(m, 'ndcg10')) : `${f(mean(m, 'ndcg10'))} / ${f(mean(m, 'recall100'))}`));
  console.log(`| **mean** (${rows.length}) | | | | ${meanCells.join(' | ')} |`);
  const docCells = METHODS.map((m) => (m === 'maxsim' || m === 'interpolated' ? f(DOCUMENTED[m][0]) : `${f(DOCUMENTED[m][0])} / ${f(DOCUMENTED[m][1])}`));
  console.log(`| OFFLINE-MODELS.md (7) | | | | ${docCells.join(' | ')} |`);
  console.log('(nDCG@10 / Recall@100, trec_eval -c; the reranked rows keep BM25\'s Recall@100.)');
  console.log(
    JSON.stringify({
      bench: 'glove-eval',
      topWords,
      maxLength,
      collections: rows,
      mean: Object.fromEntries(METHODS.map((m) => [m, { ndcg10: mean(m, 'ndcg10'), recall100: mean(m, 'recall100') }])),
      documented: DOCUMENTED,
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
