/**
 * BEIR reading on small hand-written fixtures (test/fixtures/data): every error names the file and the
 * line, every worked-around defect is counted, and collect mode (validate) reports them all.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectBeirFolder, loadBeir, readBeirQrels, readBeirQueries } from '../../src/data/beir.js';
import { readCorpus } from '../../src/data/corpus.js';
import { Diagnostics } from '../../src/data/diagnostics.js';
import type { Doc, ReadWarning } from '../../src/data/types.js';
import { errorOf } from '../helpers/errors.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data');
const E = (f: string): string => path.join(FIX, 'errors', f);

async function corpusOf(p: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const d of readCorpus(p)) out.push(d);
  return out;
}

const find = (ws: ReadWarning[], kind: string, file?: string): ReadWarning | undefined =>
  ws.find((w) => w.kind === kind && (file === undefined || w.file.endsWith(file)));

describe('line-level errors name the file and the line (strict loading)', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['corpus-invalid-json.jsonl', () => corpusOf(E('corpus-invalid-json.jsonl')), /corpus-invalid-json\.jsonl:3: invalid JSON \(.*\)\. Each line must hold one complete JSON object/],
    ['corpus-missing-id.jsonl', () => corpusOf(E('corpus-missing-id.jsonl')), /corpus-missing-id\.jsonl:2: the document has no `_id` \(it has `id`\)\. BEIR files name the id `_id`: rename `id` to `_id`\./],
    ['corpus-text-not-string.jsonl', () => corpusOf(E('corpus-text-not-string.jsonl')), /corpus-text-not-string\.jsonl:3: the document's `text` is null, not a string\./],
    ['corpus-latin1.jsonl', () => corpusOf(E('corpus-latin1.jsonl')), /corpus-latin1\.jsonl:2: this line is not valid UTF-8\. Convert the file to UTF-8/],
    ['corpus-id-whitespace.jsonl', () => corpusOf(E('corpus-id-whitespace.jsonl')), /corpus-id-whitespace\.jsonl:2: the document id "doc 2" contains whitespace/],
    ['queries-no-text.jsonl', () => readBeirQueries(E('queries-no-text.jsonl'), new Diagnostics()), /queries-no-text\.jsonl:3: the query has no `text`\./],
    ['qrels-no-header.tsv', () => readBeirQrels(E('qrels-no-header.tsv'), new Diagnostics()), /qrels-no-header\.tsv:1: line 1 is a judgment, not the header.*Add it as the first line\./],
    ['qrels-trec.tsv', () => readBeirQrels(E('qrels-trec.tsv'), new Diagnostics()), /qrels-trec\.tsv:1: line 1 looks like a TREC qrels line/],
    ['qrels-float-grade.tsv', () => readBeirQrels(E('qrels-float-grade.tsv'), new Diagnostics()), /qrels-float-grade\.tsv:3: the grade "0\.5" in `score` is not an integer\. Relevance grades must be integers/],
    ['qrels-duplicate.tsv', () => readBeirQrels(E('qrels-duplicate.tsv'), new Diagnostics()), /qrels-duplicate\.tsv:4: query q1 and document d1 are judged a second time \(first at line 2\)\. Keep one judgment per/],
    ['qrels-spaces.tsv', () => readBeirQrels(E('qrels-spaces.tsv'), new Diagnostics()), /qrels-spaces\.tsv:3: expected 3 tab-separated fields, found 1\. The fields must be separated by tabs, not spaces\./],
  ];
  for (const [name, run, pattern] of cases) {
    it(name, async () => {
      const e = await errorOf(run());
      expect(e.message).toMatch(pattern);
      expect(e.location.file).toBe(E(name));
      expect(e.location.line).toBeGreaterThan(0);
      expect(e.exitCode).toBe(2);
    });
  }

  it('empty files: no records is an error, not an empty dataset', async () => {
    expect((await errorOf(corpusOf(E('empty.jsonl')))).message).toMatch(/empty\.jsonl: holds no documents/);
    expect((await errorOf(corpusOf(E('blank-only.jsonl')))).message).toMatch(/blank-only\.jsonl: holds no documents/);
    expect((await errorOf(readBeirQrels(E('qrels-empty.tsv'), new Diagnostics()))).message).toMatch(/qrels-empty\.tsv: is empty; expected the header line/);
  });
});

describe('BEIR folder members', () => {
  it('a missing member is named, with what the folder holds', async () => {
    const e = await errorOf(loadBeir(path.join(FIX, 'no-queries')));
    expect(e.message).toBe(`${path.join(FIX, 'no-queries')}: the BEIR folder has no queries.jsonl; it holds corpus.jsonl, qrels/. A BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv (each may be .gz).`);
  });

  it('a BEIR folder one level down is pointed at', async () => {
    const e = await errorOf(loadBeir(path.join(FIX, 'nested')));
    expect(e.message).toContain(`use ${path.join(FIX, 'nested', 'inner')}`);
    const ds = await loadBeir(path.join(FIX, 'nested', 'inner'));
    expect(ds.counts?.qrels).toBe(1);
  });

  it('a missing split lists the splits there are', async () => {
    const e = await errorOf(loadBeir(path.join(FIX, 'messy-beir'), 'train'));
    expect(e.message).toContain('has no split `train` (no qrels/train.tsv); its splits are: dev, test.');
    expect(Object.keys(inspectBeirFolder(path.join(FIX, 'messy-beir')).qrels).sort()).toEqual(['dev', 'test']);
  });

  it('corpus.jsonl next to corpus.jsonl.gz is ambiguous', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rbench-ambiguous-'));
    try {
      cpSync(path.join(FIX, 'nested', 'inner'), dir, { recursive: true });
      writeFileSync(path.join(dir, 'corpus.jsonl.gz'), gzipSync(readFileSync(path.join(dir, 'corpus.jsonl'))));
      const e = await errorOf(loadBeir(dir));
      expect(e.message).toBe(`${dir}: holds both corpus.jsonl and corpus.jsonl.gz, so it is unclear which to read. Remove one of them.`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder that does not exist', async () => {
    const e = await errorOf(loadBeir(path.join(FIX, 'absent')));
    expect(e.message).toMatch(/absent: folder not found\./);
  });
});

describe('messy but loadable data: counted warnings, CRLF, BOM', () => {
  it('loads in strict mode and reports every workaround with counts and examples', async () => {
    const ds = await loadBeir(path.join(FIX, 'messy-beir'), 'test');
    // corpus: d1, d2, [d1 again: dropped], d3 (empty), 4 (numeric id), [blank line], d5 (title only), q1
    expect(ds.corpus.map((d) => d.id)).toEqual(['d1', 'd2', 'd3', '4', 'd5', 'q1']);
    expect(ds.corpus[0]).toEqual({ id: 'd1', title: 'Alpha', text: 'first document text' }); // first occurrence kept, BOM gone
    // queries of the split: judged ones in file order; q4 is only judged in dev; the repeated q2 is dropped
    expect(ds.queries.map((q) => [q.id, q.text])).toEqual([
      ['q1', 'what is alpha'],
      ['q2', 'second query'],
      ['q3', ''],
    ]);
    expect(ds.qrels.get('q1')).toEqual(
      new Map([
        ['d1', 1],
        ['d2', 0],
        ['q1', -1],
      ]),
    );
    expect(ds.qrels.get('q9')).toEqual(new Map([['d1', 1]])); // kept even though q9 is not in queries.jsonl
    expect(ds.counts).toEqual({ docs: 6, queries: 3, queriesInFile: 4, judgedQueries: 4, queriesWithRelevant: 4, qrels: 7, judgedDocs: 5 });

    const w = ds.warnings;
    expect(find(w, 'duplicate-doc-id')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 3: d1'] });
    expect(find(w, 'empty-document')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 4: d3'] });
    expect(find(w, 'numeric-id')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 5: _id 4'] });
    expect(find(w, 'blank-line', 'corpus.jsonl')).toMatchObject({ severity: 'info', count: 1, examples: ['line 6'] });
    expect(find(w, 'title-only-document')).toMatchObject({ severity: 'info', count: 1, examples: ['line 7: d5'] });
    expect(find(w, 'empty-query')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 3: q3'] });
    expect(find(w, 'duplicate-query-id')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 5: q2'] });
    expect(find(w, 'blank-line', 'test.tsv')).toMatchObject({ severity: 'warning', count: 1, examples: ['line 5'] });
    expect(find(w, 'judged-doc-missing')).toMatchObject({ severity: 'warning', count: 1, examples: ['query q2 -> document missing-doc'] });
    expect(find(w, 'judged-query-missing')).toMatchObject({ severity: 'warning', count: 1, examples: ['q9'] });
    expect(find(w, 'queries-without-judgments')).toMatchObject({ severity: 'info', count: 1, examples: ['q4'] });
    const self = find(w, 'query-id-in-corpus');
    expect(self).toMatchObject({ severity: 'info', count: 1, examples: ['q1'] });
    expect(self?.message).toContain('1 of them with the same text');
    expect(w.every((x) => x.message.startsWith(`${x.count} `))).toBe(true);
    // errors first, then warnings, then infos
    const order = w.map((x) => x.severity);
    expect(order).toEqual([...order].sort((a, b) => ['error', 'warning', 'info'].indexOf(a!) - ['error', 'warning', 'info'].indexOf(b!)));
  });

  it('the dev split of the same folder', async () => {
    const ds = await loadBeir(path.join(FIX, 'messy-beir'), 'dev');
    expect(ds.queries.map((q) => q.id)).toEqual(['q4']);
    expect(ds.counts?.queriesInFile).toBe(4);
  });

  it('readCorpus streams the same documents and reports the pass in summary()', async () => {
    const reader = readCorpus(path.join(FIX, 'messy-beir'));
    const docs: Doc[] = [];
    for await (const d of reader) docs.push(d);
    expect(docs.map((d) => d.id)).toEqual(['d1', 'd2', 'd3', '4', 'd5', 'q1']);
    const s = reader.summary();
    expect(s?.docs).toBe(6);
    expect(s?.file).toBe(path.join(FIX, 'messy-beir', 'corpus.jsonl'));
    expect(find(s!.warnings, 'duplicate-doc-id')?.count).toBe(1);
  });
});

describe('collect mode (validate): every defect, counted, lines skipped', () => {
  it('reports all error kinds of a broken folder at once', async () => {
    const ds = await loadBeir(path.join(FIX, 'errors-beir'), 'test', { mode: 'collect' });
    const errors = ds.warnings.filter((w) => w.severity === 'error');
    const byKind = Object.fromEntries(errors.map((e) => [`${path.basename(e.file)}:${e.kind}`, e.count]));
    expect(byKind).toEqual({
      'corpus.jsonl:invalid-json': 1,
      'corpus.jsonl:not-an-object': 1,
      'corpus.jsonl:missing-id': 1,
      'corpus.jsonl:bad-text': 1,
      'corpus.jsonl:id-whitespace': 1,
      'queries.jsonl:bad-text': 1,
      'test.tsv:bad-grade': 2,
      'test.tsv:duplicate-judgment': 1,
      'test.tsv:bad-columns': 1,
    });
    expect(find(errors, 'bad-grade')?.examples).toEqual(['line 3: the grade "1.0" in `score` is not an integer.', 'line 6: the grade "relevant" in `score` is not an integer.']);
    expect(find(errors, 'invalid-json')?.examples?.[0]).toMatch(/^line 2: invalid JSON/);
    // what survives: the good lines
    expect(ds.corpus.map((d) => d.id)).toEqual(['a', 'g']);
    expect([...ds.qrels.entries()].map(([q, m]) => [q, [...m.entries()]])).toEqual([
      ['q1', [['a', 1]]],
      ['q3', [['g', 1]]],
    ]);
  });

  it('the same folder fails at the first defect in strict mode', async () => {
    const e = await errorOf(loadBeir(path.join(FIX, 'errors-beir')));
    expect(e.message).toMatch(/errors-beir\/corpus\.jsonl:2: invalid JSON/);
  });
});
