/**
 * TREC run and qrels files: parsing exactly as trec_eval (whitespace, CRLF, blank lines, comments, `#`
 * inside ids), the errors with file and line, gzip by content, and the writers (full-precision scores,
 * trec_eval rank order, round trip).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScore } from '../../src/data/trec-bytes.js';
import { formatQrels, formatRun, readQrels, readQrelsFile, readRun, writeQrels, writeRun } from '../../src/data/trec.js';
import type { Run } from '../../src/data/types.js';
import { UsageError } from '../../src/errors.js';
import { evaluateFiles } from '../../src/metrics/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rbench-trec-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function file(content: string | Buffer, name = `f${counter++}.txt`): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UsageError);
  return e as UsageError;
}

function docs(run: Run, qid: string): [string, number][] {
  return (run.get(qid) ?? []).map((d) => [d.id, d.score]);
}

describe('reading runs', () => {
  it('splits on any whitespace, skips blank and whitespace-only lines, accepts CRLF and extra columns', async () => {
    const p = file('1 Q0 a 1 0.5 tag\r\n\r\n  \t \n1\tQ0\tb\t2\t0.25\ttag\n  1   Q0  c  3  -1e-3  tag   \n1 Q0 d 4 7 my run tag\n');
    const run = await readRun(p);
    expect(docs(run, '1')).toEqual([['a', 0.5], ['b', 0.25], ['c', -0.001], ['d', 7]]);
  });

  it('keeps # inside ids (MS MARCO) and skips lines that start with #', async () => {
    const p = file('# written by hand\n q1 Q0 D1#2 1 3 t\n  # indented comment\nq1 Q0 #D3 2 2 t\n');
    const run = await readRun(p);
    expect(docs(run, 'q1')).toEqual([['D1#2', 3], ['#D3', 2]]);
  });

  it('reads scores as C doubles: 1, 1.0, 1e0, 10e-1 and 0.1e1 tie; inf is accepted', async () => {
    const p = file('q Q0 a 1 1 t\nq Q0 b 1 1.0 t\nq Q0 c 1 1e0 t\nq Q0 d 1 10e-1 t\nq Q0 e 1 0.1e1 t\nq Q0 f 1 -inf t\nq Q0 g 1 +Infinity t\n');
    const run = await readRun(p);
    expect(docs(run, 'q').map(([, s]) => s)).toEqual([1, 1, 1, 1, 1, -Infinity, Infinity]);
  });

  it('keeps query ids exactly: 1, 01 and 001 are three queries', async () => {
    const run = await readRun(file('1 Q0 a 1 1 t\n01 Q0 a 1 1 t\n001 Q0 a 1 1 t\n'));
    expect([...run.keys()]).toEqual(['1', '01', '001']);
  });

  it('ignores a UTF-8 byte-order mark and reads UTF-8 ids', async () => {
    const run = await readRun(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('q1 Q0 café 1 1 t\n')])));
    expect(docs(run, 'q1')).toEqual([['café', 1]]);
  });

  it('reads a gzip file, recognised by content whatever its name', async () => {
    const text = 'q1 Q0 a 1 2 t\nq1 Q0 b 2 1 t\n';
    const plain = await readRun(file(text));
    expect(await readRun(file(gzipSync(text), 'run.txt'))).toEqual(plain);
    expect(await readRun(file(gzipSync(text), 'run.trec.gz'))).toEqual(plain);
  });

  it('merges the lines of a query that are not consecutive', async () => {
    const run = await readRun(file('q1 Q0 a 1 2 t\nq2 Q0 x 1 1 t\nq1 Q0 b 2 1 t\n'));
    expect(docs(run, 'q1')).toEqual([['a', 2], ['b', 1]]);
  });
});

describe('run errors name the file and the line', () => {
  it('a line with too few fields', async () => {
    const p = file('q1 Q0 a 1 2 t\nq1 Q0 b 2 1\n');
    const e = await usageError(readRun(p));
    expect(e.message).toContain(`${p}:2: malformed run line: expected 6 fields`);
    expect(e.message).toContain('found 5');
    expect(e.exitCode).toBe(2);
  });

  it('a qrels file passed as a run', async () => {
    const e = await usageError(readRun(file('q1 0 a 1\n')));
    expect(e.message).toMatch(/:1: malformed run line.*found 4.*qrels file passed as --run/);
  });

  for (const bad of ['abc', '1.2.3', 'NaN', 'nan', '1e', '0x10', '--1', '1,5']) {
    it(`a score that is not a number: ${bad}`, async () => {
      const p = file(`q1 Q0 a 1 2 t\n\nq1 Q0 b 2 ${bad} t\n`);
      const e = await usageError(readRun(p));
      expect(e.message).toContain(`${p}:3: the score "${bad}" (column 5) is not a number.`);
    });
  }

  it('a document listed twice for a query, naming both lines', async () => {
    const p = file('q1 Q0 a 1 2 t\nq1 Q0 b 2 1 t\nq2 Q0 a 1 1 t\nq1 Q0 a 3 0.5 t\n');
    const e = await usageError(readRun(p));
    expect(e.message).toContain(`${p}:4: the run lists document "a" twice for query "q1" (lines 1 and 4).`);
    const e2 = await usageError(evaluateFiles(file('q1 0 a 1\n'), p, { metrics: ['map'] }));
    expect(e2.message).toContain('(lines 1 and 4)');
  });

  it('an empty file, a file of blank lines and comments, a missing file', async () => {
    expect((await usageError(readRun(file('')))).message).toMatch(/is empty: it has no run lines/);
    expect((await usageError(readRun(file('\n  \n# only a comment\n')))).message).toMatch(/is empty/);
    const missing = path.join(dir, 'nope.trec');
    const e = await usageError(readRun(missing));
    expect(e.message).toBe(`${missing}: file not found. Check the path.`);
  });

  it('a corrupt gzip file', async () => {
    const gz = gzipSync('q1 Q0 a 1 1 t\n'.repeat(1000));
    const e = await usageError(readRun(file(gz.subarray(0, gz.length >> 1))));
    expect(e.message).toMatch(/not a valid gzip file|cannot be read/);
  });

  it('an id that is not UTF-8 (in-memory reader)', async () => {
    const e = await usageError(readRun(file(Buffer.concat([Buffer.from('q1 Q0 a'), Buffer.from([0xff]), Buffer.from(' 1 1 t\n')]))));
    expect(e.message).toMatch(/:1: the id .* is not valid UTF-8/);
  });
});

describe('reading qrels', () => {
  it('reads grades (negative ones too), ignores the iter column, accepts CRLF and tabs', async () => {
    const qrels = await readQrels(file('q1 0 a 2\r\nq1\tX\tb\t-1\nq2 0 a 0   \n'));
    expect([...qrels].map(([q, m]) => [q, [...m]])).toEqual([
      ['q1', [['a', 2], ['b', -1]]],
      ['q2', [['a', 0]]],
    ]);
  });

  it('skips and counts comment lines', async () => {
    const r = await readQrelsFile(file('# judged by NIST\nq1 0 D#1 1\n'));
    expect(r.commentLines).toBe(1);
    expect(r.qrels.get('q1')?.get('D#1')).toBe(1);
  });

  it('rejects a blank line (trec_eval does), but not the final newline', async () => {
    const p = file('q1 0 a 1\n\nq1 0 b 0\n');
    const e = await usageError(readQrels(p));
    expect(e.message).toContain(`${p}:2: blank line in a qrels file.`);
    expect((await usageError(readQrels(file('q1 0 a 1\n \t\r\n')))).message).toMatch(/:2: blank line/);
    expect((await readQrels(file('q1 0 a 1\n'))).get('q1')?.size).toBe(1);
  });

  it('rejects lines with 3 or 5 fields, and a run passed as qrels', async () => {
    expect((await usageError(readQrels(file('q1 0 a\n')))).message).toMatch(/:1: malformed qrels line: expected 4 fields.*found 3/);
    expect((await usageError(readQrels(file('q1 0 a 1 x\n')))).message).toMatch(/found 5/);
    expect((await usageError(readQrels(file('q1 Q0 a 1 0.5 run\n')))).message).toMatch(/found 6.*run file passed as --qrels/);
  });

  for (const bad of ['1.5', 'x', '1e3', '99999999999']) {
    it(`rejects the non-integer grade ${bad}`, async () => {
      const p = file(`q1 0 a 1\nq1 0 b ${bad}\n`);
      expect((await usageError(readQrels(p))).message).toContain(`${p}:2: the grade "${bad}" (column 4) is not an integer.`);
    });
  }

  it('rejects a judgment given twice, naming both lines', async () => {
    const p = file('q1 0 a 1\nq2 0 a 1\nq1 0 a 0\n');
    const e = await usageError(readQrels(p));
    expect(e.message).toContain(`${p}:3: the judgments list document "a" twice for query "q1" (lines 1 and 3).`);
    const e2 = await usageError(evaluateFiles(p, file('q1 Q0 a 1 1 t\n'), { metrics: ['map'] }));
    expect(e2.message).toContain('(lines 1 and 3)');
  });

  it('rejects an empty qrels file', async () => {
    expect((await usageError(readQrels(file('')))).message).toMatch(/is empty: it has no judgment lines/);
  });
});

describe('parseScore', () => {
  it('rounds exactly like Number() (correctly rounded), on the fast path and off it', () => {
    const samples = ['0.1', '0.30000000000000004', '12.345678', '-0.0', '1e-300', '4.9e-324', '1.7976931348623157e308', '123456789012345678901234567890', '0.000000000000000000000001', '9007199254740993', '2.2250738585072011e-308', '1.5', '.5', '5.', '+3e+2'];
    for (const s of samples) expect(Object.is(parseScore(Buffer.from(s), 0, s.length), Number(s))).toBe(true);
    let seed = 1;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 16807) % 2147483647;
      const v = (seed / 2147483647) * 10 ** ((seed % 40) - 20);
      for (const s of [String(v), v.toFixed(6), v.toExponential(9)]) expect(parseScore(Buffer.from(s), 0, s.length)).toBe(Number(s));
    }
  });
});

describe('writers', () => {
  const run: Run = new Map([
    ['q2', [{ id: '10', score: 1 }, { id: '9', score: 1 }, { id: 'x', score: 0.1 + 0.2 }, { id: '100', score: 1 }]],
    ['q1', [{ id: 'a', score: -1e-7 }]],
  ]);

  it('writes trec_eval order (score, then docno descending), ranks from 1 and full-precision scores', () => {
    expect(formatRun(run, 'myrun')).toBe(
      ['q2 Q0 9 1 1 myrun', 'q2 Q0 100 2 1 myrun', 'q2 Q0 10 3 1 myrun', 'q2 Q0 x 4 0.30000000000000004 myrun', 'q1 Q0 a 1 -1e-7 myrun', ''].join('\n'),
    );
  });

  it('round-trips through writeRun / readRun with identical scores, and leaves no temporary file', async () => {
    const p = path.join(dir, 'roundtrip.trec');
    await writeRun(p, run, 'myrun');
    const back = await readRun(p);
    for (const [q, list] of run) {
      const want = new Map(list.map((d) => [d.id, d.score]));
      expect(new Map(docs(back, q))).toEqual(want);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes and reads back qrels', async () => {
    const qrels = new Map([['q1', new Map([['a', 2], ['b', -1]])]]);
    expect(formatQrels(qrels)).toBe('q1 0 a 2\nq1 0 b -1\n');
    const p = path.join(dir, 'q.txt');
    await writeQrels(p, qrels);
    expect(await readQrels(p)).toEqual(qrels);
  });

  it('refuses what cannot be written faithfully: whitespace in ids or tag, NaN scores', async () => {
    expect(() => formatRun(new Map([['q 1', [{ id: 'a', score: 1 }]]]), 't')).toThrow(/no whitespace/);
    expect(() => formatRun(run, 'my run')).toThrow(/run tag/);
    expect(() => formatRun(new Map([['q', [{ id: 'a', score: Number.NaN }]]]), 't')).toThrow(/NaN/);
    const p = path.join(dir, 'never.trec');
    await expect(writeRun(p, new Map([['q', [{ id: 'a b', score: 1 }]]]), 't')).rejects.toThrow(UsageError);
    expect(existsSync(p)).toBe(false);
  });
});
