/**
 * A report built from hostile text, for the escaping tests (xss.test.ts) and the real browser (browser.test.ts).
 *
 * A tiny BEIR dataset whose document ids, query ids, query text and document text carry `<script>`,
 * `</script><img …onerror=…>` and quotes runs through the real `rbench run` (BM25 only, two timed queries:
 * about a second). Ids cannot hold whitespace (TREC run files), so the ids use the whitespace-free form of the
 * image payload (`<img/src="x"/onerror="alert(1)">`, which an HTML parser reads as the same element). The
 * config cannot name a dataset or a retriever with `<`, but `rbench report` renders any results file: the
 * results are then rewritten so the dataset label and the retriever name carry the payloads too, and
 * re-rendered by `rbench report`. The run's own decisions are replaced by hand-made ones of the results.json
 * shapes, from the run's own per-query values, recommending k3 against the k5 baseline: the wins/losses chart,
 * the only place query ids appear, is drawn only for a recommendation other than the baseline, and the run's
 * own choice between k3 and k5 (equal cost, a few microseconds apart) is decided by timing noise.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'rbench.js');

export const SCRIPT = '<script>alert(1)</script>';
export const IMG = '</script><img src=x onerror=alert(1)>';
/** The image payload without whitespace (a valid id). */
export const IMG_ID = '</script><img/src="x"/onerror="alert(1)">';
export const QUOTES = `"double" 'single'`;
/** What the rewritten results call the dataset and the retriever. */
export const EVIL_LABEL = `data${SCRIPT}${IMG}"'`;
export const EVIL_RETRIEVER = `bm25${IMG}${SCRIPT}'"`;
/** Every raw string that must not reach a page, a Markdown file or an SVG unescaped. */
export const PAYLOADS = [SCRIPT, IMG, IMG_ID, '<img', '<script>alert'];

export interface XssReport {
  dir: string;
  results: string;
  html: string;
  summary: string;
  svg: string;
  /** The query ids of the dataset (some hostile). */
  queryIds: string[];
}

function rbench(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`rbench ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stderr;
}

/** Writes the hostile dataset (BEIR layout) into `dir`. */
function writeDataset(dir: string): string[] {
  const docs = [
    { _id: `d${SCRIPT}`, title: `title ${SCRIPT}`, text: `postgres vacuum ${IMG} ${QUOTES}` },
    { _id: `d${IMG_ID}`, title: `title ${IMG}`, text: `postgres replication lag ${SCRIPT}` },
    { _id: `d'quote"`, title: 'quotes', text: `postgres connections ${QUOTES}` },
    ...Array.from({ length: 9 }, (_, i) => ({ _id: `doc${i}`, title: `doc ${i}`, text: `postgres topic ${i} index ${i % 3 === 0 ? 'vacuum' : 'connections'} table ${i}` })),
  ];
  const queries = [
    { _id: `q${SCRIPT}`, text: `postgres vacuum ${SCRIPT}` },
    { _id: `q${IMG_ID}`, text: `replication lag ${IMG}` },
    { _id: `q'quote"`, text: `connections ${QUOTES}` },
    ...Array.from({ length: 5 }, (_, i) => ({ _id: `query${i}`, text: `postgres topic ${i} index` })),
  ];
  const qrels: [string, string, number][] = [
    [queries[0]._id, docs[0]._id, 2],
    [queries[0]._id, 'doc3', 1],
    [queries[1]._id, docs[1]._id, 1],
    [queries[2]._id, docs[2]._id, 1],
    [queries[2]._id, 'doc1', 1],
    ...queries.slice(3).map((q, i): [string, string, number] => [q._id, `doc${i}`, 1]),
  ];
  fs.mkdirSync(path.join(dir, 'qrels'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${qrels.map((r) => r.join('\t')).join('\n')}\n`);
  return queries.map((q) => q._id);
}

interface Row {
  id: string;
  qualityId: string;
  candidates: number;
  metrics: Record<string, number> | null;
  perQuery: Record<string, Record<string, number>> | null;
  latencyMs: { total: { p95: number } } | null;
  batchSize: number | null;
}

/** Hand-made statistics of the results.json shapes: baseline k5, recommended k3 in every budget (no test run). */
function addDecisions(results: { results: Row[]; statistics?: unknown; decisions?: unknown; selection?: unknown }, label: string): void {
  const base = results.results.find((r) => r.candidates === 5)!;
  const rec = results.results.find((r) => r.candidates === 3)!;
  const mean = (r: Row) => r.metrics!['ndcg@10'];
  const pick = (r: Row, vs: boolean) => ({
    id: r.qualityId,
    batchSize: null,
    mean: mean(r),
    ci95: [mean(r) - 0.1, mean(r) + 0.1],
    latencyMs: r.latencyMs!.total.p95,
    ...(vs ? { vsBaseline: { delta: mean(r) - mean(base), pAdjusted: 0.5, significant: false } } : {}),
  });
  results.statistics = { test: 'randomization', correction: 'holm', alpha: 0.05, bootstrap: 100, permutations: 100, seed: 1, baselines: { [label]: base.qualityId } };
  results.decisions = [10, 100, 1000, null].map((budgetMs) => ({
    dataset: label,
    metric: 'ndcg@10',
    latency: 'p95',
    budgetMs,
    best: pick(base, false),
    recommended: { ...pick(rec, true), vsBest: { delta: mean(rec) - mean(base), pAdjusted: 0.5 } },
    reason: `${rec.qualityId} is the cheapest; the best is ${base.qualityId}.`,
    standIns: [],
  }));
  results.selection = [{ dataset: label, metric: 'ndcg@10', method: 'cross-validation', folds: 2, queries: Object.keys(base.perQuery!).length, naiveBest: { id: base.qualityId, mean: mean(base) }, estimate: mean(base), gap: 0, chosen: { [base.qualityId]: 2 } }];
}

/** Runs the hostile experiment in `dir` and renders its rewritten results with `rbench report`. */
export function buildXssReport(dir: string): XssReport {
  const data = path.join(dir, 'xssdata');
  const queryIds = writeDataset(data);
  const config = path.join(dir, 'xss.yaml');
  fs.writeFileSync(
    config,
    `name: xss
description: ${JSON.stringify(`description ${SCRIPT} ${IMG} ${QUOTES}`)}
datasets:
  - path: ${JSON.stringify(data)}
    label: xssdata
retrievers:
  - name: xssretr
    type: bm25
candidates: [3, 5]
rerankers: [none]
metrics: [ndcg@10, recall@10]
latency: { warmupQueries: 1, sampleQueries: 2, repetitions: 1 }
`,
  );
  const out = path.join(dir, 'run');
  rbench(['run', config, '--out', out, '--cache', path.join(dir, 'cache'), '--quiet']);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { results: Row[]; decisions?: unknown };
  addDecisions(results, 'xssdata');
  const rewritten = JSON.stringify(results)
    .split('xssdata')
    .join(JSON.stringify(EVIL_LABEL).slice(1, -1))
    .split('xssretr')
    .join(JSON.stringify(EVIL_RETRIEVER).slice(1, -1));
  const report = path.join(dir, 'report');
  fs.mkdirSync(report, { recursive: true });
  const resultsFile = path.join(report, 'results.json');
  fs.writeFileSync(resultsFile, rewritten);
  rbench(['report', resultsFile]);
  return {
    dir: report,
    results: resultsFile,
    html: fs.readFileSync(path.join(report, 'index.html'), 'utf8'),
    summary: fs.readFileSync(path.join(report, 'summary.md'), 'utf8'),
    svg: fs.readFileSync(path.join(report, 'summary.svg'), 'utf8'),
    queryIds,
  };
}
