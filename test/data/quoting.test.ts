/**
 * Messages that quote input: at most about 120 characters of a line or value, control characters and
 * bytes that are not UTF-8 escaped, and the full length said when cut. Checked on hand-worked values
 * and through the real readers (TREC, BEIR JSONL and TSV, CSV), with a 5 MB line and binary garbage.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readBeirQrels, readJsonlCorpus } from '../../src/data/beir.js';
import { readCsvQrels } from '../../src/data/csv.js';
import { Diagnostics, excerpt, quoteExcerpt } from '../../src/data/diagnostics.js';
import { readLines, type TextLine } from '../../src/data/io.js';
import { readQrels, readRun } from '../../src/data/trec.js';
import { errorOf } from '../helpers/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rbench-quoting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

const FIVE_MB = 5 * 1024 * 1024;
const long = 'x'.repeat(FIVE_MB);
/** Random bytes without LF (one line), about 23 KB: what a binary file passed by mistake looks like. */
const garbage = Buffer.from(Array.from(randomBytes(23_000), (b) => (b === 0x0a ? 0x00 : b)));
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** A message quoting a 5 MB value or binary garbage: short, one line, no raw control characters. */
function expectShort(message: string): void {
  expect(message.length).toBeLessThan(600);
  expect(message).not.toMatch(CONTROL);
  expect(message).not.toContain('\n');
}

describe('quoteExcerpt / excerpt', () => {
  it('quotes short values as JSON would', () => {
    expect(quoteExcerpt('yes')).toBe('"yes"');
    expect(quoteExcerpt('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteExcerpt('a\tb\r\n')).toBe('"a\\tb\\r\\n"');
    expect(quoteExcerpt('é ü 日本')).toBe('"é ü 日本"');
  });

  it('escapes control characters, U+FFFD and bidirectional overrides visibly', () => {
    expect(quoteExcerpt('\u0000\u001b[31m\u007f\u0085')).toBe('"\\u0000\\u001b[31m\\u007f\\u0085"');
    expect(quoteExcerpt('a\ufffdb')).toBe('"a\\ufffdb"');
    expect(quoteExcerpt('abc\u202edef')).toBe('"abc\\u202edef"');
  });

  it('reads bytes as UTF-8 and shows each byte that is not UTF-8 as \\xNN', () => {
    expect(quoteExcerpt(Buffer.from('d\u00e9j\u00e0'))).toBe('"déjà"');
    expect(quoteExcerpt(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x61, 0xed, 0xa0, 0x80]))).toBe('"a\\xff\\xc3(\\xe2\\x82a\\xed\\xa0\\x80"');
    expect(quoteExcerpt(Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0x00]))).toBe('"😀\\u0000"');
  });

  it('cuts at max characters, escapes counted at full width, and says the full length', () => {
    expect(quoteExcerpt(long)).toBe(`"${'x'.repeat(120)}…" (5,242,880 characters)`);
    expect(quoteExcerpt(Buffer.from(long))).toBe(`"${'x'.repeat(120)}…" (5,242,880 bytes)`);
    expect(quoteExcerpt('abcdef', 4)).toBe('"abcd…" (6 characters)');
    expect(quoteExcerpt('\u0000\u0000\u0000', 13)).toBe('"\\u0000\\u0000…" (3 characters)');
    expect(quoteExcerpt('abcd', 4)).toBe('"abcd"');
    expect(excerpt('abcdef', 4)).toBe('abcd… (6 characters)');
    expect(excerpt('say "hi"')).toBe('say "hi"');
    const g = quoteExcerpt(garbage);
    expect(g.length).toBeLessThan(150);
    expect(g).toMatch(/…" \(23,000 bytes\)$/);
    expect(g).not.toMatch(CONTROL);
  });
});

describe('the readers quote at most an excerpt', () => {
  it('TREC run: a 5 MB line, a 5 MB score, binary garbage', async () => {
    const e1 = await errorOf(readRun(file('long.run', `q1 Q0 d1 1 1 t\n${long}\n`)));
    expect(e1.message).toContain(`:2: malformed run line: expected 6 fields \`qid Q0 docno rank score tag\`, found 1: "${'x'.repeat(120)}…" (5,242,880 bytes).`);
    expectShort(e1.message);
    const e2 = await errorOf(readRun(file('score.run', `q1 Q0 d1 1 ${long} t\n`)));
    expect(e2.message).toContain(`:1: the score "${'x'.repeat(120)}…" (5,242,880 bytes) (column 5) is not a number.`);
    expectShort(e2.message);
    const e3 = await errorOf(readRun(file('garbage.run', Buffer.concat([Buffer.from('q1 Q0 d1 1 1 t\n'), garbage]))));
    expect(e3.message).toMatch(/:2: (malformed run line|the score|the id)/);
    expectShort(e3.message);
  });

  it('TREC qrels: a 5 MB grade and binary garbage, plain and gzip', async () => {
    const e1 = await errorOf(readQrels(file('grade.qrels', gzipSync(`q1 0 d1 ${long}\n`))));
    expect(e1.message).toContain(`:1: the grade "${'x'.repeat(120)}…" (5,242,880 bytes) (column 4) is not an integer.`);
    expectShort(e1.message);
    const e2 = await errorOf(readQrels(file('garbage.qrels', Buffer.concat([Buffer.from('q1 0 d1 1\n'), garbage]))));
    expect(e2.message).toMatch(/:2: (malformed qrels line|the grade)/);
    expectShort(e2.message);
  });

  it('BEIR qrels TSV: a 5 MB first line, a 5 MB grade', async () => {
    const e1 = await errorOf(readBeirQrels(file('header.tsv', `${long}\nq1\td1\t1\n`), new Diagnostics()));
    expect(e1.message).toContain(`:1: line 1 is not a header of 3 tab-separated column names (found "${'x'.repeat(120)}…" (5,242,880 characters)).`);
    expectShort(e1.message);
    const e2 = await errorOf(readBeirQrels(file('grade.tsv', `query-id\tcorpus-id\tscore\nq1\td1\t${long}\n`), new Diagnostics()));
    expect(e2.message).toContain(`:2: the grade "${'x'.repeat(120)}…" (5,242,880 characters) in \`score\` is not an integer.`);
    expectShort(e2.message);
  });

  it('BEIR corpus JSONL: a 5 MB id with a space, a 5 MB line that is not JSON, binary garbage', async () => {
    const docs = async (p: string): Promise<void> => {
      for await (const d of readJsonlCorpus(p)) void d;
    };
    const e1 = await errorOf(docs(file('id.jsonl', `${JSON.stringify({ _id: `a ${long}`, title: '', text: 't' })}\n`)));
    expect(e1.message).toContain(`:1: the document id "a ${'x'.repeat(118)}…" (5,242,882 characters) contains whitespace`);
    expectShort(e1.message);
    const e2 = await errorOf(docs(file('json.jsonl', `{"_id": "d1", "text": "${long}\n`)));
    expect(e2.message).toMatch(/:1: invalid JSON \(/);
    expectShort(e2.message);
    const e3 = await errorOf(docs(file('garbage.jsonl', Buffer.concat([Buffer.from('{\u0000\u001b[2J'), garbage]))));
    expectShort(e3.message);
  });

  it('CSV: a 5 MB header cell, a 5 MB grade; examples in collect mode are cut too', async () => {
    const e1 = await errorOf(readCsvQrels(file('header.csv', `${long},corpus-id,score\nq1,d1,1\n`), {}, {}, new Diagnostics()));
    expect(e1.message).toContain(`:1: the header has no column \`query-id\`; its columns are "${'x'.repeat(60)}…" (5,242,880 characters), "corpus-id", "score".`);
    expectShort(e1.message);
    const diag = new Diagnostics('collect');
    const csv = file('grades.csv', `query-id,corpus-id,score\nq1,d1,${long}\nq1,d2,1\n`);
    await readCsvQrels(csv, {}, {}, diag);
    const bad = diag.toWarnings().find((w) => w.kind === 'bad-grade');
    expect(bad?.count).toBe(1);
    expect(bad?.examples?.[0]).toBe(`line 2: the grade "${'x'.repeat(120)}…" (5,242,880 characters) in \`score\` is not an integer.`);
  });
});

describe('readers on pipes (no positional reads)', () => {
  it('readLines reads a named pipe, plain or gzip, with the same lines and digest as the file', async () => {
    const text = 'a\r\nb b\n\nd';
    const all = async (p: string): Promise<TextLine[]> => {
      const out: TextLine[] = [];
      for await (const l of readLines(p)) out.push(l);
      return out;
    };
    const expected = await all(file('plain.txt', text));
    for (const data of [Buffer.from(text), gzipSync(text)]) {
      const fifo = path.join(dir, `lines-${data[0]}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const [lines] = await Promise.all([all(fifo), writeFile(fifo, data)]);
      expect(lines).toEqual(expected);
    }
  });
});
