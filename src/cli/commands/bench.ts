import { defineCommand } from '../command.js';

export const benchCommand = defineCommand({
  command: 'bench',
  describe: 'component micro-benchmarks (tinybench): BM25, vector search, embedding, fusion, reranking, evaluation',
  builder: (y) =>
    y
      .option('dataset', { type: 'string', default: 'tech-qa', describe: 'dataset name or BEIR folder to benchmark on' })
      .option('reranker', { type: 'string', default: 'glove-maxsim', describe: 'reranker alias, Hub id or folder' })
      .option('embedder', { type: 'string', default: 'glove-sif', describe: 'embedder alias, Hub id or folder' })
      .option('candidates', { type: 'number', default: 20, describe: 'candidates retrieved and reranked per query' })
      .option('batch-size', { type: 'number', default: 16, describe: 'reranker batch size' })
      .option('time', { type: 'number', default: 2000, describe: 'time budget per task (ms)' })
      .option('only', { type: 'string', describe: 'comma-separated task filters (bm25, embed, exact, hnsw, fusion, rerank, evaluate)' })
      .option('cache', { type: 'string', describe: 'cache folder holding models (default .rbench-cache)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
  handler: async (argv) => {
    const { runBench, formatBenchTable } = await import('../../experiment/bench.js');
    const { rows, environment } = await runBench({
      dataset: argv.dataset,
      reranker: argv.reranker,
      embedder: argv.embedder,
      candidates: argv.candidates,
      batchSize: argv.batchSize,
      timeMs: argv.time,
      cache: argv.cache,
      only: argv.only?.split(',').map((s) => s.trim()),
      quiet: argv.format === 'json',
    });
    if (argv.format === 'json') process.stdout.write(`${JSON.stringify({ bench: 'components', environment, rows })}\n`);
    else process.stdout.write(`${formatBenchTable(rows)}\n(${environment.cpu}, ${environment.cores} cores, Node ${environment.node}, onnxruntime ${environment.onnxruntime})\n`);
    return 0;
  },
});
