import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cheapCounts, datasetSpecSchema, listDatasets, loadDataset, resolveDataset } from '../../src/data/datasets.js';
import { datasetStats, distribution, wordCount } from '../../src/data/validate.js';
import { packageRoot } from '../../src/paths.js';
import { itShared, sharedCollections } from '../helpers/shared.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data');
const root = mkdtempSync(path.join(tmpdir(), 'rbench-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A registry laid out in temp folders: bundled (BEIR folder directly and in beir/), fetched, shared.
const bundled = path.join(root, 'bundled');
const cache = path.join(root, 'cache');
const shared = path.join(root, 'shared');
const small = path.join(FIX, 'nested', 'inner');
cpSync(small, path.join(bundled, 'tech-qa'), { recursive: true });
cpSync(small, path.join(bundled, 'other', 'beir'), { recursive: true });
cpSync(path.join(FIX, 'messy-beir'), path.join(cache, 'datasets', 'fetched-one'), { recursive: true });
cpSync(small, path.join(cache, 'datasets', 'tech-qa'), { recursive: true }); // shadowed by the bundled one
mkdirSync(path.join(cache, 'datasets', '.half.tmp-1'), { recursive: true }); // temp folders are never listed
cpSync(small, path.join(shared, 'fetched-one', 'beir'), { recursive: true }); // shadowed by the fetched one
cpSync(small, path.join(shared, 'coll', 'beir'), { recursive: true });
const locate = { bundledDir: bundled, cacheDir: cache, sharedDir: shared };

describe('resolveDataset', () => {
  it('resolves names: bundled first, then fetched, then shared', () => {
    expect(resolveDataset({ name: 'tech-qa' }, locate)).toEqual({ name: 'tech-qa', path: path.join(bundled, 'tech-qa'), format: 'beir', split: 'test', source: 'bundled' });
    expect(resolveDataset({ name: 'other', split: 'dev' }, locate)).toMatchObject({ path: path.join(bundled, 'other', 'beir'), split: 'dev', source: 'bundled' });
    expect(resolveDataset({ name: 'fetched-one' }, locate)).toMatchObject({ path: path.join(cache, 'datasets', 'fetched-one'), source: 'fetched' });
    expect(resolveDataset('coll', locate)).toMatchObject({ name: 'coll', path: path.join(shared, 'coll', 'beir'), source: 'shared' });
  });

  it('resolves paths relative to baseDir, steps into a beir/ subfolder, and names the dataset after its folder', () => {
    expect(resolveDataset({ path: 'coll/beir' }, { ...locate, baseDir: shared })).toMatchObject({ name: 'coll', path: path.join(shared, 'coll', 'beir'), source: 'path' });
    expect(resolveDataset({ path: 'coll' }, { ...locate, baseDir: shared })).toMatchObject({ name: 'coll', path: path.join(shared, 'coll', 'beir') });
    expect(resolveDataset(`${shared}/coll`, locate)).toMatchObject({ name: 'coll', source: 'path' });
    expect(resolveDataset({ path: path.join(FIX, 'csv-dataset'), format: 'csv' }, locate)).toMatchObject({ format: 'csv', name: 'csv-dataset' });
  });

  it('an unknown name lists what exists, and suggests fetch for a public BEIR name', () => {
    expect(() => resolveDataset({ name: 'nfcorpus' }, locate)).toThrow(
      `dataset \`nfcorpus\` not found (looked in ${bundled}, ${path.join(cache, 'datasets')} and ${shared}). Available: other, tech-qa, fetched-one, coll. It is a public BEIR dataset: \`rbench datasets fetch nfcorpus\` downloads it. Or give the folder as \`path:\`.`,
    );
    expect(() => resolveDataset({ name: 'mine' }, locate)).toThrow(/not found .* Available: other, tech-qa, fetched-one, coll\. Or give the folder as `path:`\.$/);
    expect(() => resolveDataset({ path: 'nope' }, { ...locate, baseDir: root })).toThrow(`${path.join(root, 'nope')}: dataset folder not found.`);
  });

  it('listDatasets lists each source once per name, never temp folders', () => {
    const infos = listDatasets(locate);
    expect(infos.map((i) => `${i.source}:${i.name}`)).toEqual(['bundled:other', 'bundled:tech-qa', 'fetched:fetched-one', 'fetched:tech-qa', 'shared:coll', 'shared:fetched-one']);
    expect(infos.find((i) => i.name === 'fetched-one' && i.source === 'fetched')?.splits).toEqual(['dev', 'test']);
  });
});

describe('loadDataset', () => {
  it('the content hash depends on the bytes, not on where the files are', async () => {
    const a = await loadDataset({ name: 'tech-qa' }, locate);
    const b = await loadDataset({ name: 'coll' }, locate);
    expect(a.sha256).toBe(b.sha256);
    const changed = path.join(root, 'changed');
    cpSync(small, changed, { recursive: true });
    writeFileSync(path.join(changed, 'queries.jsonl'), '{"_id": "q", "text": "b"}\n');
    const c = await loadDataset({ path: changed });
    expect(c.sha256).not.toBe(a.sha256);
    expect(c.files?.map((f) => f.role)).toEqual(['corpus', 'queries', 'qrels']);
  });

  it('a CSV folder with default file and column names', async () => {
    const dir = path.join(root, 'csv-defaults');
    mkdirSync(path.join(dir, 'qrels'), { recursive: true });
    writeFileSync(path.join(dir, 'corpus.csv'), '_id,title,text\nd1,T,"a, b"\nd2,,c\n');
    writeFileSync(path.join(dir, 'queries.tsv'), '_id\ttext\nq1\tfind a\n');
    writeFileSync(path.join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n');
    const ds = await loadDataset({ path: dir });
    expect(ds.format).toBe('csv');
    expect(ds.corpus).toEqual([
      { id: 'd1', title: 'T', text: 'a, b' },
      { id: 'd2', title: '', text: 'c' },
    ]);
    expect(ds.qrels.get('q1')).toEqual(
      new Map([
        ['d1', 2],
        ['d2', 0],
      ]),
    );
    await expect(loadDataset({ path: dir, split: 'dev' })).rejects.toThrow('has no qrels (split dev) file (looked for qrels/dev.csv/.tsv, qrels.csv/.tsv). Name the file with `qrels.file`.');
  });

  it('datasetSpecSchema accepts the documented shapes and rejects unknown keys', () => {
    expect(datasetSpecSchema.safeParse({ name: 'tech-qa' }).success).toBe(true);
    expect(datasetSpecSchema.safeParse({ path: '../shared/datasets/scifact/beir', split: 'test' }).success).toBe(true);
    expect(datasetSpecSchema.safeParse({ path: 'x', format: 'csv', corpus: { file: 'd.csv', idColumn: 'id', titleColumn: null }, qrels: { gradeColumn: null } }).success).toBe(true);
    const bad = datasetSpecSchema.safeParse({ name: 'x', splt: 'test' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('splt');
    expect(datasetSpecSchema.safeParse({ split: 'test' }).success).toBe(false);
  });
});

describe('statistics', () => {
  it('word counts and distributions', () => {
    expect(wordCount('  two\nlines\t and\u00a0more ')).toBe(4);
    expect(wordCount('')).toBe(0);
    expect(distribution([4, 1, 3])).toEqual({ mean: 8 / 3, median: 3, min: 1, max: 4 });
    expect(distribution([1, 2])).toEqual({ mean: 1.5, median: 1.5, min: 1, max: 2 });
    expect(distribution([])).toEqual({ mean: 0, median: 0, min: 0, max: 0 });
  });

  it('stats of the CSV fixture, computed by hand', async () => {
    const ds = await loadDataset({
      path: path.join(FIX, 'csv-dataset'),
      corpus: { file: 'docs.csv', idColumn: 'doc_id', textColumn: 'body', titleColumn: 'heading' },
      queries: { file: 'questions.tsv', idColumn: 'qid', textColumn: 'question' },
      qrels: { file: 'labels.tsv', queryIdColumn: 'qid', docIdColumn: 'docid', gradeColumn: null },
    });
    const s = datasetStats(ds);
    // docs: "Intro Hello, world" (3), 'Quoted "title" two\nlines' (4), "plain" (1)
    expect(s.docWords).toEqual({ mean: 8 / 3, median: 3, min: 1, max: 4 });
    expect(s.queryWords).toEqual({ mean: 2, median: 2, min: 2, max: 2 });
    expect(s.judgmentsPerQuery).toEqual({ mean: 1.5, median: 1.5, min: 1, max: 2 });
    expect(s.grades).toEqual([{ grade: 1, count: 3 }]);
    expect(s).toMatchObject({ docs: 3, queries: 2, queriesInFile: 3, judgedQueries: 2, qrels: 3, judgedDocs: 3 });
  });

  it('grade histogram in numeric order, negative grades included', async () => {
    const s = datasetStats(await loadDataset({ path: path.join(FIX, 'messy-beir') }));
    expect(s.grades).toEqual([
      { grade: -1, count: 1 },
      { grade: 0, count: 1 },
      { grade: 1, count: 4 },
      { grade: 2, count: 1 },
    ]);
    expect(s.queriesWithRelevant).toBe(4);
  });
});

const techQa = path.join(packageRoot(), 'datasets', 'tech-qa');
describe('the bundled dataset', () => {
  // The figures are those of datasets/tech-qa/README.md ("Counts"), written when the collection was made.
  it('tech-qa resolves by name from the package and loads with the counts its README states', async () => {
    expect(resolveDataset('tech-qa', { cacheDir: path.join(root, 'empty-cache') })).toMatchObject({ source: 'bundled', path: techQa, format: 'beir' });
    const ds = await loadDataset({ name: 'tech-qa' }, { cacheDir: path.join(root, 'empty-cache') });
    expect(ds.counts).toEqual({ docs: 343, queries: 84, queriesInFile: 84, judgedQueries: 84, queriesWithRelevant: 84, qrels: 360, judgedDocs: 255 });
    const s = datasetStats(ds);
    expect(s.grades).toEqual([
      { grade: 0, count: 142 },
      { grade: 1, count: 85 },
      { grade: 2, count: 48 },
      { grade: 3, count: 85 },
    ]);
    // Relevant passages per query: 1 for 9 queries, 2 for 32, 3 for 31, 4 for 8, 5 for 4 (218 in all).
    expect(s.relevantPerQuery).toEqual({ mean: 218 / 84, median: 3, min: 1, max: 5 });
    const infos = listDatasets({ cacheDir: path.join(root, 'empty-cache') }).filter((i) => i.source === 'bundled' && i.name === 'tech-qa');
    expect(infos).toHaveLength(1);
    expect(await cheapCounts(infos[0])).toEqual({ docs: 343, queries: 84, qrels: { test: 360 } }); // `datasets list` line counts
  });
});

describe('rbench datasets validate / stats exit codes', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    try {
      return { code: await main(args), stdout, stderr };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('0 when clean (notes do not count), 1 with defects, 2 when unreadable', async () => {
    const clean = await cli(['datasets', 'validate', small]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('verdict: clean');
    const messy = await cli(['datasets', 'validate', path.join(FIX, 'messy-beir')]);
    expect(messy.code).toBe(1);
    expect(messy.stdout).toContain('! corpus.jsonl: 1 documents whose _id was already used by an earlier line');
    expect(messy.stdout).toContain('e.g. line 3: d1');
    const broken = await cli(['datasets', 'validate', path.join(FIX, 'errors-beir'), '--format', 'json']);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout) as { clean: boolean; errors: { kind: string; count: number }[]; exitCode: number };
    expect(report.clean).toBe(false);
    expect(report.errors.map((e) => e.kind)).toContain('duplicate-judgment');
    const missing = await cli(['datasets', 'validate', path.join(FIX, 'no-queries')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^rbench: .*no-queries: the BEIR folder has no queries\.jsonl; it holds corpus\.jsonl, qrels\/\./);
    expect(missing.stdout).toBe('');
    const noTarget = await cli(['datasets', 'stats']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('`rbench datasets stats` needs a dataset');
  });

  itShared(sharedCollections(['scifact']), 'validates and describes a shared collection by name', async () => {
    const v = await cli(['datasets', 'validate', 'scifact', '--cache', path.join(root, 'empty-cache')]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('809 queries without any judgment in split `test`');
    const s = await cli(['datasets', 'stats', 'scifact', '--split', 'train', '--format', 'json', '--cache', path.join(root, 'empty-cache')]);
    expect(JSON.parse(s.stdout)).toMatchObject({ name: 'scifact', split: 'train', docs: 5183, queries: 809, qrels: 919 });
  });
});
