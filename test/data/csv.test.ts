import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../../src/data/corpus.js';
import { readCsvCorpus, readCsvQrels, readCsvQueries } from '../../src/data/csv.js';
import { loadDataset } from '../../src/data/datasets.js';
import { Diagnostics } from '../../src/data/diagnostics.js';
import type { Doc } from '../../src/data/types.js';
import { errorOf } from '../helpers/errors.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data');
const dir = mkdtempSync(path.join(tmpdir(), 'rbench-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function docsOf(reader: AsyncIterable<Doc>): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const d of reader) out.push(d);
  return out;
}

describe('CSV/TSV datasets with custom columns', () => {
  const spec = {
    path: path.join(FIX, 'csv-dataset'),
    format: 'csv' as const,
    corpus: { file: 'docs.csv', idColumn: 'doc_id', textColumn: 'body', titleColumn: 'heading' },
    queries: { file: 'questions.tsv', idColumn: 'qid', textColumn: 'question' },
    qrels: { file: 'labels.tsv', queryIdColumn: 'qid', docIdColumn: 'docid', gradeColumn: null },
  };

  it('reads quoted fields (commas, doubled quotes, CRLF inside quotes) and a grade-less qrels file', async () => {
    const ds = await loadDataset(spec);
    expect(ds.format).toBe('csv');
    expect(ds.name).toBe('csv-dataset');
    expect(ds.corpus).toEqual([
      { id: 'd1', title: 'Intro', text: 'Hello, world' },
      { id: 'd2', title: 'Quoted "title"', text: 'two\nlines' },
      { id: 'd3', title: '', text: 'plain' },
    ]);
    expect(ds.queries).toEqual([
      { id: 'q1', text: 'hello world' },
      { id: 'q2', text: 'two lines' },
    ]);
    expect(ds.qrels).toEqual(
      new Map([
        ['q1', new Map([['d1', 1]])],
        [
          'q2',
          new Map([
            ['d2', 1],
            ['d3', 1],
          ]),
        ],
      ]),
    );
    expect(ds.counts).toMatchObject({ docs: 3, queries: 2, queriesInFile: 3, qrels: 3 });
    expect(ds.warnings.find((w) => w.kind === 'queries-without-judgments')?.count).toBe(1);
    expect(ds.files?.map((f) => path.basename(f.path))).toEqual(['docs.csv', 'questions.tsv', 'labels.tsv']);
  });

  it('a missing column lists the header and names the option to set', async () => {
    const e = await errorOf(loadDataset({ ...spec, corpus: { file: 'docs.csv' } }));
    expect(e.message).toBe(`${path.join(FIX, 'csv-dataset', 'docs.csv')}:1: the header has no column \`_id\`; its columns are "doc_id", "heading", "body". Set \`corpus.idColumn\` to the column that holds it.`);
    const g = await errorOf(loadDataset({ ...spec, qrels: { file: 'labels.tsv', queryIdColumn: 'qid', docIdColumn: 'docid' } }));
    expect(g.message).toContain('labels.tsv:1: the header has no column `score`');
    expect(g.message).toContain('`gradeColumn: null` when every listed pair is relevant');
  });

  it('a tab-separated file read as comma-separated gets a hint', async () => {
    const p = path.join(dir, 'tabs.csv');
    writeFileSync(p, '_id\ttext\n1\ta\n');
    const e = await errorOf(docsOf(readCsvCorpus(p, {})));
    expect(e.message).toContain('tabs.csv:1: the header has no column `_id`');
    expect(e.message).toContain('The file looks tab-separated');
    const ok = await docsOf(readCsvCorpus(p, {}, { delimiter: '\t' }));
    expect(ok).toEqual([{ id: '1', title: '', text: 'a' }]);
  });

  it('auto delimiter on a file whose name does not tell (papaparse guesses), gzip detected by content', async () => {
    const p = path.join(dir, 'semi.txt');
    writeFileSync(p, gzipSync(Buffer.from('_id;title;text\n1;T;"a;b"\n2;;c\n')));
    expect(await docsOf(readCsvCorpus(p, {}, { delimiter: 'auto' }))).toEqual([
      { id: '1', title: 'T', text: 'a;b' },
      { id: '2', title: '', text: 'c' },
    ]);
  });
});

describe('CSV errors name the file and the line where the record starts', () => {
  it('broken quoting', async () => {
    const f = path.join(FIX, 'errors', 'csv-broken-quote.csv');
    const e = await errorOf(docsOf(readCsvCorpus(f, {})));
    // header = line 1, record 2 = line 2, record 3 = lines 3-4, the unclosed quote starts on line 5
    expect(e.message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: broken quoting \\(`));
    const collect = new Diagnostics('collect');
    const docs = await docsOf(readCsvCorpus(f, {}, { diagnostics: collect }));
    expect(docs.map((d) => d.id)).toEqual(['1', '2']);
    expect(collect.count('csv-quotes', f)).toBe(1);
  });

  it('wrong number of fields, after a record with a line break inside quotes', async () => {
    const f = path.join(FIX, 'errors', 'csv-field-count.csv');
    const e = await errorOf(docsOf(readCsvCorpus(f, {})));
    expect(e.message).toBe(`${f}:4: the record has 4 fields; the header has 3. Quote fields that contain the delimiter, or fix the row.`);
  });

  it('a non-integer grade', async () => {
    const f = path.join(FIX, 'errors', 'csv-bad-grade.tsv');
    const e = await errorOf(readCsvQrels(f, { queryIdColumn: 'qid', docIdColumn: 'docid', gradeColumn: 'label' }, {}, new Diagnostics()));
    expect(e.message).toMatch(/csv-bad-grade\.tsv:3: the grade "yes" in `label` is not an integer\./);
  });

  it('blank lines are skipped with a counted warning; a header-only file is an error', async () => {
    const p = path.join(dir, 'blank.csv');
    writeFileSync(p, '_id,text\n\nq1,a\n\nq2,b\n');
    const diag = new Diagnostics();
    const { queries } = await readCsvQueries(p, {}, {}, diag);
    expect(queries.map((q) => q.id)).toEqual(['q1', 'q2']);
    expect(diag.toWarnings().find((w) => w.kind === 'blank-line')).toMatchObject({ count: 2, examples: ['line 2', 'line 4'] });
    const h = path.join(dir, 'header-only.csv');
    writeFileSync(h, '_id,text\n');
    expect((await errorOf(readCsvQueries(h, {}, {}, new Diagnostics()))).message).toBe(`${h}: holds no queries (only a header, or blank lines). Check that the file was written completely.`);
  });
});

const shared = sharedCollections(['scifact']);
describeShared(shared, 'a real corpus through CSV', () => {
  it('scifact as gzipped CSV (quoted, multi-line abstracts) and as TSV equals corpus.jsonl', async () => {
    const jsonl = path.join(shared.path('scifact'), 'corpus.jsonl');
    const want = await docsOf(readCorpus(jsonl));
    const rows = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { _id: string; title: string; text: string })
      .map((d) => ({ doc_id: d._id, title: d.title, abstract: d.text }));
    expect(rows.filter((r) => r.abstract.includes('\n')).length).toBeGreaterThan(900); // SOURCE.md: 964 texts hold a newline
    const csv = path.join(dir, 'scifact.csv.gz');
    writeFileSync(csv, gzipSync(Buffer.from(Papa.unparse(rows, { newline: '\r\n', quotes: true }))));
    const fromCsv = await docsOf(readCorpus(csv, { columns: { idColumn: 'doc_id', textColumn: 'abstract' } }));
    expect(fromCsv).toEqual(want);
    const tsv = path.join(dir, 'scifact.tsv');
    writeFileSync(tsv, Papa.unparse(rows, { delimiter: '\t' }));
    const fromTsv = await docsOf(readCorpus(tsv, { columns: { idColumn: 'doc_id', textColumn: 'abstract' } }));
    expect(fromTsv).toEqual(want);
  });
});
