/**
 * MTEB parquet datasets (src/data/mteb.ts): the layouts a Hub dataset repository uses, the same checks
 * and counts as the BEIR reader, and errors that name the file and column.
 *
 * The parquet files are written in the test (hyparquet-writer, test/helpers/mteb-parquet.ts) from rows
 * parsed with JSON.parse, so a comparison with the BEIR reader compares two independent readings.
 * SciFact (shared collection) in three layouts must load exactly as its BEIR copy does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteFile, type ColumnSource } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetSpecSchema, loadDataset, resolveDataset } from '../../src/data/datasets.js';
import { isMtebFolder, listMtebSplits, mtebCounts, placeParquet } from '../../src/data/mteb.js';
import type { Dataset, ReadWarning } from '../../src/data/types.js';
import { errorOf } from '../helpers/errors.js';
import { readBeirRows, writeMteb, type BeirRows } from '../helpers/mteb-parquet.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';

const root = mkdtempSync(path.join(tmpdir(), 'rbench-mteb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const str = (name: string, data: Array<string | null>, nullable = false): ColumnSource => ({ name, data, type: 'STRING', nullable });

/** Writes one parquet file under `dir` at `rel`. */
function table(dir: string, rel: string, columns: ColumnSource[]): string {
  const file = path.join(dir, ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  parquetWriteFile({ filename: file, columnData: columns, rowGroupSize: 2 });
  return file;
}

/** A tiny valid dataset in the push_to_hub layout, to break one piece at a time. */
function tiny(name: string, over: { corpus?: ColumnSource[]; queries?: ColumnSource[]; qrels?: ColumnSource[] } = {}): string {
  const dir = path.join(root, name);
  table(dir, 'corpus/test-00000-of-00001.parquet', over.corpus ?? [str('_id', ['d1', 'd2', 'd3']), str('title', ['A', 'B', 'C']), str('text', ['alpha', 'beta', 'gamma'])]);
  table(dir, 'queries/test-00000-of-00001.parquet', over.queries ?? [str('_id', ['q1', 'q2']), str('text', ['find alpha', 'find beta'])]);
  table(dir, 'qrels/test-00000-of-00001.parquet', over.qrels ?? [str('query-id', ['q1', 'q2', 'q2']), str('corpus-id', ['d1', 'd2', 'd3']), { name: 'score', data: [1n, 2n, 0n], type: 'INT64', nullable: false }]);
  return dir;
}

describe('where a parquet file lies says its config and split', () => {
  it('the layouts of the Hub', () => {
    expect(placeParquet('corpus/test-00000-of-00001.parquet')).toEqual({ config: 'corpus', split: 'test' });
    expect(placeParquet('fr-qrels/dev-00001-of-00002.parquet')).toEqual({ config: 'fr-qrels', split: 'dev' });
    expect(placeParquet('corpus/corpus/0000.parquet')).toEqual({ config: 'corpus', split: 'corpus' });
    expect(placeParquet('default/test/0001.parquet')).toEqual({ config: 'default', split: 'test' });
    expect(placeParquet('data/queries-00000-of-00001.parquet')).toEqual({ config: 'default', split: 'queries' });
    expect(placeParquet('qrels/test.parquet')).toEqual({ config: 'qrels', split: 'test' });
    expect(placeParquet('corpus.parquet')).toEqual({ config: 'corpus', split: '' });
    expect(placeParquet('a/b/c/d.parquet')).toBeUndefined();
  });
});

describe('reading', () => {
  it('a tiny dataset: documents, queries and judgments as written, split and counts', async () => {
    const dir = tiny('ok');
    expect(isMtebFolder(dir)).toBe(true);
    expect(resolveDataset({ path: dir })).toMatchObject({ format: 'mteb', name: 'ok', split: 'test' });
    const ds = await loadDataset({ path: dir });
    expect(ds.format).toBe('mteb');
    expect(ds.corpus).toEqual([
      { id: 'd1', title: 'A', text: 'alpha' },
      { id: 'd2', title: 'B', text: 'beta' },
      { id: 'd3', title: 'C', text: 'gamma' },
    ]);
    expect(ds.queries).toEqual([
      { id: 'q1', text: 'find alpha' },
      { id: 'q2', text: 'find beta' },
    ]);
    expect(ds.qrels).toEqual(
      new Map([
        ['q1', new Map([['d1', 1]])],
        [
          'q2',
          new Map([
            ['d2', 2],
            ['d3', 0],
          ]),
        ],
      ]),
    );
    expect(ds.counts).toEqual({ docs: 3, queries: 2, queriesInFile: 2, judgedQueries: 2, queriesWithRelevant: 2, qrels: 3, judgedDocs: 3 });
    expect(ds.warnings).toEqual([]);
    // The content hash: SHA-256 over `role<TAB>sha256<LF>` of the three files (validate.ts's definition).
    const sha = (rel: string): string => createHash('sha256').update(readFileSync(path.join(dir, rel))).digest('hex');
    const lines = `corpus\t${sha('corpus/test-00000-of-00001.parquet')}\nqueries\t${sha('queries/test-00000-of-00001.parquet')}\nqrels\t${sha('qrels/test-00000-of-00001.parquet')}\n`;
    expect(ds.sha256).toBe(createHash('sha256').update(lines).digest('hex'));
    expect(await mtebCounts(dir)).toEqual({ docs: 3, queries: 2, qrels: { test: 3 } });
  });

  it('integer ids are read as decimal strings with a counted warning; a float score of whole numbers is an integer grade', async () => {
    const dir = tiny('ints', {
      corpus: [{ name: 'id', data: [1n, 2n], type: 'INT64', nullable: false }, str('text', ['one', 'two'])],
      queries: [{ name: 'id', data: [7, 8], type: 'INT32', nullable: false }, str('text', ['q seven', 'q eight'])],
      qrels: [{ name: 'query-id', data: [7n, 8n], type: 'INT64', nullable: false }, { name: 'corpus-id', data: [1n, 2n], type: 'INT64', nullable: false }, { name: 'score', data: [1, 2], type: 'DOUBLE', nullable: false }],
    });
    const ds = await loadDataset({ path: dir });
    expect(ds.corpus.map((d) => [d.id, d.title])).toEqual([
      ['1', ''],
      ['2', ''],
    ]);
    expect(ds.qrels.get('8')).toEqual(new Map([['2', 2]]));
    const numeric = ds.warnings.filter((w) => w.kind === 'numeric-id');
    expect(numeric.map((w) => [path.relative(dir, w.file), w.count])).toEqual([
      ['corpus/test-00000-of-00001.parquet', 2],
      ['queries/test-00000-of-00001.parquet', 2],
      ['qrels/test-00000-of-00001.parquet', 4],
    ]);
    expect(numeric[0].examples?.[0]).toBe('row 1: id 1');
  });

  it('a multilingual dataset needs its subset; `subset` reads that subset\'s configs', async () => {
    const dir = path.join(root, 'multi');
    for (const [lang, word] of [
      ['de', 'Hund'],
      ['fr', 'chien'],
    ]) {
      table(dir, `${lang}-corpus/test-00000-of-00001.parquet`, [str('_id', ['d1']), str('text', [word])]);
      table(dir, `${lang}-queries/test-00000-of-00001.parquet`, [str('_id', ['q1']), str('text', [word])]);
      table(dir, `${lang}-qrels/test-00000-of-00001.parquet`, [str('query-id', ['q1']), str('corpus-id', ['d1']), { name: 'score', data: [1n], type: 'INT64' }]);
    }
    expect(listMtebSplits(dir)).toEqual(['de:test', 'fr:test']);
    expect((await errorOf(loadDataset({ path: dir }))).message).toBe(
      `${dir}: is a multilingual dataset with subsets de, fr; say which to read. Add \`subset: de\` to the dataset entry (the configs de-corpus, de-queries, de-qrels).`,
    );
    expect((await loadDataset({ path: dir, subset: 'fr' })).corpus).toEqual([{ id: 'd1', title: '', text: 'chien' }]);
    expect((await errorOf(loadDataset({ path: dir, subset: 'es' }))).message).toContain('has no subset `es` (no es-corpus config); its subsets are de, fr.');
    expect((await errorOf(loadDataset({ path: tiny('ok2'), subset: 'fr' }))).message).toContain('has no subset `fr` (no fr-corpus config); it has no subsets.');
    expect(datasetSpecSchema.safeParse({ path: dir, format: 'mteb', subset: 'fr' }).success).toBe(true);
  });

  it('the same defects as the BEIR reader, with the same kinds, severities and counts, and rows for lines', async () => {
    // Every defect a BEIR folder can have that a parquet table can hold too.
    const rows: BeirRows = {
      corpus: [
        { _id: 'd1', title: 'Alpha', text: 'first document text' },
        { _id: 'd2', title: '', text: 'second document' },
        { _id: 'd1', title: 'Alpha again', text: 'a repeated id' },
        { _id: 'd3', title: '', text: '   ' },
        { _id: 'd5', title: 'Only a title', text: '' },
        { _id: 'q1', title: '', text: 'what is alpha' },
      ],
      queries: [
        { _id: 'q1', text: 'what is alpha' },
        { _id: 'q1', text: 'what is alpha' },
        { _id: 'q2', text: 'second query' },
        { _id: 'q3', text: '' },
        { _id: 'q4', text: 'a dev query' },
      ],
      qrels: {
        test: [
          { qid: 'q1', docid: 'd1', score: 1 },
          { qid: 'q1', docid: 'd2', score: 0 },
          { qid: 'q2', docid: 'd2', score: 2 },
          { qid: 'q2', docid: 'missing-doc', score: 1 },
          { qid: 'q9', docid: 'd1', score: 1 },
          { qid: 'q1', docid: 'q1', score: -1 },
          { qid: 'q1', docid: 'd1', score: 1 },
          { qid: 'q3', docid: 'd1', score: 0.5 },
        ],
      },
    };
    const beir = path.join(root, 'defects-beir');
    mkdirSync(path.join(beir, 'qrels'), { recursive: true });
    writeFileSync(path.join(beir, 'corpus.jsonl'), rows.corpus.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(path.join(beir, 'queries.jsonl'), rows.queries.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\n' + rows.qrels.test.map((r) => `${r.qid}\t${r.docid}\t${r.score}`).join('\n') + '\n');
    const pq = path.join(root, 'defects-parquet');
    writeMteb(rows, pq, { layout: 'convert', scoreType: 'DOUBLE' });

    const a = await loadDataset({ path: beir }, { mode: 'collect' });
    const b = await loadDataset({ path: pq }, { mode: 'collect' });
    const role = (ds: Dataset, w: ReadWarning): string => ds.files!.find((f) => f.path === w.file)?.role ?? '?';
    const shape = (ds: Dataset) => ds.warnings.map((w) => ({ role: role(ds, w), kind: w.kind, severity: w.severity, count: w.count }));
    expect(shape(b)).toEqual(shape(a));
    expect(shape(a).map((w) => w.kind)).toEqual([
      'duplicate-judgment',
      'bad-grade',
      'duplicate-doc-id',
      'empty-document',
      'duplicate-query-id',
      'empty-query',
      'judged-doc-missing',
      'judged-query-missing',
      'title-only-document',
      'queries-without-judgments',
      'query-id-in-corpus',
    ]);
    // Corpus and queries rows are the BEIR lines (no header); messages say `row`.
    const examples = (ds: Dataset, kind: string) => ds.warnings.find((w) => w.kind === kind)?.examples;
    for (const kind of ['duplicate-doc-id', 'empty-document', 'duplicate-query-id', 'empty-query', 'title-only-document']) {
      expect(examples(b, kind), kind).toEqual(examples(a, kind)?.map((e) => e.replace(/^line /, 'row ')));
    }
    expect(examples(b, 'duplicate-judgment')).toEqual(['row 7: query q1 and document d1 are judged a second time (first at row 1).']);
    expect(b.warnings.find((w) => w.kind === 'duplicate-doc-id')?.message).toBe('1 documents whose _id was already used by an earlier row; the first occurrence was kept (BEIR keeps the last)');
    expect(b.counts).toEqual(a.counts);
    expect(b.qrels).toEqual(a.qrels);
    expect(b.corpus).toEqual(a.corpus);

    // Loading for a run stops at the first defect, naming the file and the row.
    expect((await errorOf(loadDataset({ path: pq }))).message).toBe(
      `${path.join(pq, 'default', 'test', '0000.parquet')}: row 7: query q1 and document d1 are judged a second time (first at row 1). Keep one judgment per (query, document) pair; trec_eval rejects repeated pairs.`,
    );
  });

  it('null cells: an empty title is fine, a null text is a defect at its row', async () => {
    const dir = tiny('nulls', { corpus: [str('_id', ['d1', 'd2', 'd3']), str('title', [null, 'B', 'C'], true), str('text', ['alpha', 'beta', null], true)] });
    const file = path.join(dir, 'corpus', 'test-00000-of-00001.parquet');
    expect((await errorOf(loadDataset({ path: dir }))).message).toBe(`${file}: row 3: the document's \`text\` is null. Give every document a string \`text\` (use "" for none).`);
    const ds = await loadDataset({ path: dir }, { mode: 'collect' });
    expect(ds.corpus.map((d) => [d.id, d.title])).toEqual([
      ['d1', ''],
      ['d2', 'B'],
    ]);
    expect(ds.warnings[0]).toMatchObject({ kind: 'bad-text', severity: 'error', count: 1, examples: ["row 3: the document's `text` is null."] });
  });
});

describe('errors name the file, the column and what to do', () => {
  it('a missing column lists the columns there are', async () => {
    const dir = tiny('no-text', { corpus: [str('_id', ['d1']), str('body', ['alpha'])] });
    expect((await errorOf(loadDataset({ path: dir }))).message).toBe(
      `${path.join(dir, 'corpus', 'test-00000-of-00001.parquet')}: has no \`text\` column (the document text); its columns are _id (string), body (string). An MTEB corpus has the columns \`_id\` (or \`id\`), \`title\` and \`text\`.`,
    );
    const noId = tiny('no-qid', { qrels: [str('qid', ['q1']), str('corpus-id', ['d1']), { name: 'score', data: [1n], type: 'INT64' }] });
    expect((await errorOf(loadDataset({ path: noId }))).message).toContain('has no `query-id` column (the query id); its columns are qid (string), corpus-id (string), score (integer).');
  });

  it('a column of the wrong type', async () => {
    const dir = tiny('int-text', { queries: [str('_id', ['q1']), { name: 'text', data: [5n], type: 'INT64' }] });
    expect((await errorOf(loadDataset({ path: dir }))).message).toBe(
      `${path.join(dir, 'queries', 'test-00000-of-00001.parquet')}: column \`text\` holds INT64 values; the query text must be strings. MTEB queries have the columns \`_id\` (or \`id\`) and \`text\`.`,
    );
    const boolScore = tiny('bool-score', { qrels: [str('query-id', ['q1']), str('corpus-id', ['d1']), { name: 'score', data: [true], type: 'BOOLEAN' }] });
    expect((await errorOf(loadDataset({ path: boolScore }))).message).toContain('column `score` holds BOOLEAN values; the grade must be integers or floats or strings.');
  });

  it('a file that is not parquet', async () => {
    const dir = tiny('garbage');
    const file = path.join(dir, 'queries', 'test-00000-of-00001.parquet');
    writeFileSync(file, 'query-id\tcorpus-id\tscore\n');
    expect((await errorOf(loadDataset({ path: dir }))).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not a readable parquet file \\(.+\\)\\. It may be cut short \\(an interrupted download\\) or be another kind of file: fetch it again\\.$`),
    );
  });

  it('a missing split lists the splits; a partial conversion is refused; ambiguous corpus splits; no parquet at all', async () => {
    const dir = tiny('splits');
    expect((await errorOf(loadDataset({ path: dir, split: 'dev' }))).message).toBe(
      `${dir}: has no split \`dev\` in its judgments (config \`qrels\`); its splits are: test. Set \`split\` to one of them (MTEB reports use test).`,
    );
    const partial = path.join(root, 'partial');
    table(partial, 'corpus/partial-corpus/0000.parquet', [str('_id', ['d1']), str('text', ['a'])]);
    table(partial, 'queries/queries/0000.parquet', [str('_id', ['q1']), str('text', ['a'])]);
    table(partial, 'default/test/0000.parquet', [str('query-id', ['q1']), str('corpus-id', ['d1']), { name: 'score', data: [1n], type: 'INT64' }]);
    expect((await errorOf(loadDataset({ path: partial }))).message).toContain("holds only part of config `corpus` (split `partial-corpus`): the Hub's parquet conversion stops after 5 GB of a dataset.");
    const two = tiny('two-corpus-splits');
    table(two, 'corpus/dev-00000-of-00001.parquet', [str('_id', ['d9']), str('text', ['z'])]);
    table(two, 'qrels/train-00000-of-00001.parquet', [str('query-id', ['q1']), str('corpus-id', ['d1']), { name: 'score', data: [1n], type: 'INT64' }]);
    expect((await loadDataset({ path: two })).corpus.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']); // the split named test
    expect((await errorOf(loadDataset({ path: two, split: 'train' }))).message).toBe(
      `${two}: config \`corpus\` has splits dev, test, none of them \`train\`, so it is unclear which holds the corpus. Set \`split\` to one of them, or remove the files of the others.`,
    );
    const none = path.join(root, 'none');
    mkdirSync(none);
    writeFileSync(path.join(none, 'README.md'), '# nothing\n');
    expect((await errorOf(loadDataset({ path: none, format: 'mteb' }))).message).toBe(
      `${none}: holds no parquet file (it holds README.md). An MTEB retrieval dataset holds parquet files in configs \`corpus\`, \`queries\` and \`default\` (or \`qrels\`), e.g. corpus/test-00000-of-00001.parquet or corpus/corpus/0000.parquet (the Hub's refs/convert/parquet); see \`rbench datasets fetch --hub\`.`,
    );
    const noQrels = path.join(root, 'no-qrels');
    table(noQrels, 'corpus/test-00000-of-00001.parquet', [str('_id', ['d1']), str('text', ['a'])]);
    table(noQrels, 'queries/test-00000-of-00001.parquet', [str('_id', ['q1']), str('text', ['a'])]);
    expect((await errorOf(loadDataset({ path: noQrels }))).message).toContain('has no judgments: no qrels or default config; it holds configs/splits corpus/test, queries/test.');
  });

  it('`subset` on a BEIR dataset is refused', async () => {
    const beir = path.join(root, 'defects-beir-2');
    mkdirSync(path.join(beir, 'qrels'), { recursive: true });
    writeFileSync(path.join(beir, 'corpus.jsonl'), '{"_id": "d1", "text": "a"}\n');
    writeFileSync(path.join(beir, 'queries.jsonl'), '{"_id": "q1", "text": "a"}\n');
    writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    expect(() => resolveDataset({ path: beir, subset: 'fr' })).toThrow('`subset` applies to MTEB parquet datasets; defects-beir-2 is a beir dataset.');
  });
});

const shared = sharedCollections(['scifact']);

describeShared(shared, 'SciFact from parquet is SciFact', () => {
  const rows = readBeirRows(shared.path('scifact'));
  const layouts = {
    // The Hub's conversion of mteb/scifact: float scores, Snappy, one corpus file of six row groups.
    convert: writeMteb(rows, path.join(root, 'sf-convert'), { layout: 'convert', scoreType: 'DOUBLE' }),
    // push_to_hub with `id` columns, the corpus in three shards, GZIP pages (hyparquet-compressors).
    hub: writeMteb(rows, path.join(root, 'sf-hub'), { layout: 'hub', idColumn: 'id', shards: 3, codec: 'GZIP', rowGroupSize: 700 }),
    data: writeMteb(rows, path.join(root, 'sf-data'), { layout: 'data' }),
  };

  it('the files are where the layouts put them', () => {
    expect(layouts.convert).toEqual(['corpus/corpus/0000.parquet', 'default/test/0000.parquet', 'default/train/0000.parquet', 'queries/queries/0000.parquet']);
    expect(layouts.hub).toEqual([
      'corpus/test-00000-of-00003.parquet',
      'corpus/test-00001-of-00003.parquet',
      'corpus/test-00002-of-00003.parquet',
      'qrels/test-00000-of-00001.parquet',
      'qrels/train-00000-of-00001.parquet',
      'queries/test-00000-of-00001.parquet',
    ]);
  });

  for (const layout of ['convert', 'hub', 'data'] as const) {
    for (const split of ['test', 'train']) {
      it(`${layout} layout, split ${split}: the same documents, queries, judgments, counts and findings as the BEIR copy`, async () => {
        const beir = await loadDataset({ path: shared.path('scifact'), split });
        const pq = await loadDataset({ path: path.join(root, `sf-${layout}`), split });
        expect(pq.format).toBe('mteb');
        expect(pq.counts).toEqual(beir.counts);
        expect(pq.counts).toMatchObject(split === 'test' ? { docs: 5183, queries: 300, qrels: 339 } : { docs: 5183, queries: 809, qrels: 919 });
        expect(pq.corpus).toEqual(beir.corpus);
        expect(pq.queries).toEqual(beir.queries);
        expect(pq.qrels).toEqual(beir.qrels);
        expect(pq.warnings.map((w) => [w.kind, w.count])).toEqual(beir.warnings.map((w) => [w.kind, w.count]));
      }, 60_000);
    }
  }

  it('cheap counts and splits from the parquet footers', async () => {
    expect(await mtebCounts(path.join(root, 'sf-convert'))).toEqual({ docs: 5183, queries: 1109, qrels: { test: 339, train: 919 } });
    expect(listMtebSplits(path.join(root, 'sf-data'))).toEqual(['test', 'train']);
  });
});
