/**
 * Selection on another split (`selectOn: dev`): the configuration is chosen on the dev queries and reported
 * on the test queries; and the config checks of the decision keys.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/execute.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TECH_QA = path.join(ROOT, 'datasets', 'tech-qa');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-select-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('selectOn: dev', () => {
  it('chooses on the dev split, reports the chosen pipeline on test, and keeps the dev rows as their own dataset', async () => {
    // tech-qa with its judgments split by query: the first 40 judged queries are dev, the rest test.
    const folder = path.join(tmp, 'techqa');
    fs.mkdirSync(path.join(folder, 'qrels'), { recursive: true });
    for (const f of ['corpus.jsonl', 'queries.jsonl']) fs.copyFileSync(path.join(TECH_QA, f), path.join(folder, f));
    const [header, ...lines] = fs.readFileSync(path.join(TECH_QA, 'qrels', 'test.tsv'), 'utf8').trim().split('\n');
    const queries = [...new Set(lines.map((l) => l.split('\t')[0]))];
    const dev = new Set(queries.slice(0, 40));
    fs.writeFileSync(path.join(folder, 'qrels', 'dev.tsv'), [header, ...lines.filter((l) => dev.has(l.split('\t')[0]))].join('\n') + '\n');
    fs.writeFileSync(path.join(folder, 'qrels', 'test.tsv'), [header, ...lines.filter((l) => !dev.has(l.split('\t')[0]))].join('\n') + '\n');
    const text = `name: sel\ndatasets:\n  - path: ${folder}\nselectOn: dev\nretrievers:\n  - type: bm25\n    sweep: { k1: [0.3, 0.9, 1.5], b: [0.2, 0.75] }\ncandidates: [10]\nmetrics: [ndcg@10]\nlatency: { skip: true }\n`;
    const file = path.join(tmp, 'sel.yaml');
    fs.writeFileSync(file, text);
    const { results } = await runExperiment(parseConfig(text, file), { outDir: path.join(tmp, 'out'), cache: path.join(tmp, 'cache'), quiet: true });
    expect(results.datasets.map((d) => [d.name, d.split, d.evaluatedQueries, d.selectionFor])).toEqual([
      ['techqa', 'test', queries.length - 40, undefined],
      ['techqa@dev', 'dev', 40, 'techqa'],
    ]);
    const mean = (ds: string, pipeline: string) => results.results.find((r) => r.id === `${ds}/${pipeline}`)!.metrics!['ndcg@10'];
    const pipelines = results.results.filter((r) => r.dataset === 'techqa').map((r) => r.id.slice('techqa/'.length));
    expect(pipelines).toHaveLength(6);
    const onDev = [...pipelines].sort((a, b) => mean('techqa@dev', b) - mean('techqa@dev', a))[0];
    const onTest = [...pipelines].sort((a, b) => mean('techqa', b) - mean('techqa', a))[0];
    expect(results.selection).toEqual([
      {
        dataset: 'techqa',
        metric: 'ndcg@10',
        method: 'split',
        selectedOn: 'dev',
        queries: queries.length - 40,
        naiveBest: { id: `techqa/${onTest}`, mean: mean('techqa', onTest) },
        estimate: mean('techqa', onDev),
        gap: mean('techqa', onTest) - mean('techqa', onDev),
        chosen: { [`techqa/${onDev}`]: 1 },
      },
    ]);
    // Decisions are made for the reported dataset only.
    expect(new Set(results.decisions!.map((d) => d.dataset))).toEqual(new Set(['techqa']));
  });
});

describe('decision keys are checked', () => {
  const base = 'name: x\ndatasets: [{name: tech-qa}]\nretrievers: [{type: bm25}]\ncandidates: [5, 10]\nmetrics: [ndcg@10]\n';
  it('names a baseline that is not a configuration of the sweep, and a decision metric not measured', () => {
    expect(() => parseConfig(`${base}baseline: {retriever: bm26}\ndecision: {metric: map}\n`, 'x.yaml')).toThrow(
      [
        'x.yaml: 2 problems in the config:',
        '  x.yaml:6, config key `baseline.retriever`: the baseline retriever "bm26" is not a retriever of this experiment. Names: bm25.',
        '  x.yaml:7, config key `decision.metric`: the decision metric map is not one of `metrics` (ndcg@10). Add it to `metrics` or choose one of them.',
      ].join('\n'),
    );
    expect(() => parseConfig(`${base}baseline: {retriever: bm25, candidates: 20}\n`, 'x.yaml')).toThrow("the baseline candidate count 20 is not one of none's (5, 10).");
  });

  it('refuses to select on the split it reports on', () => {
    expect(() => parseConfig(`${base}selectOn: test\n`, 'x.yaml')).toThrow(/selectOn is the split this dataset reports on \(test\)/);
  });
});
