import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { hashFile, isGzipFile, readLines, type TextLine } from '../../src/data/io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rbench-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

async function all(p: string): Promise<TextLine[]> {
  const out: TextLine[] = [];
  for await (const l of readLines(p)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('gives the same numbered lines for LF, CRLF, a BOM and a missing final newline', async () => {
    const lf = await all(file('lf.txt', 'a\nb b\n\nd\n'));
    const crlf = await all(file('crlf.txt', '\ufeffa\r\nb b\r\n\r\nd'));
    const expected = [
      { text: 'a', line: 1 },
      { text: 'b b', line: 2 },
      { text: '', line: 3 },
      { text: 'd', line: 4 },
    ];
    expect(lf).toEqual(expected);
    expect(crlf).toEqual(expected);
  });

  it('keeps a lone CR inside a line (only LF ends a line) and a BOM that is not at the start', async () => {
    const lines = await all(file('cr.txt', 'x\ry\n\ufeffz\n'));
    expect(lines.map((l) => l.text)).toEqual(['x\ry', '\ufeffz']);
  });

  it('detects gzip by its magic bytes, whatever the name, and hashes the stored (compressed) bytes', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i + 1} ${'é'.repeat(i % 7)}`).join('\n') + '\n';
    const gz = gzipSync(Buffer.from(text));
    const p = file('disguised.jsonl', gz);
    expect(await isGzipFile(p)).toBe(true);
    expect(await isGzipFile(file('plain.jsonl', text))).toBe(false);
    const reader = readLines(p);
    const lines: TextLine[] = [];
    for await (const l of reader) lines.push(l);
    expect(lines).toHaveLength(5000);
    expect(lines[4999]).toEqual({ text: `line 5000 ${'é'.repeat(4999 % 7)}`, line: 5000 });
    expect(reader.digest()).toEqual({ path: p, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') });
  });

  it('reads lines longer than the read buffer and multi-byte characters split across chunks', async () => {
    const long = 'ü'.repeat(1_500_000); // 3 MB of 2-byte characters: spans several 1 MiB chunks at odd offsets
    const lines = await all(file('long.txt', `short\n${long}\nend`));
    expect(lines.map((l) => l.text.length)).toEqual([5, 1_500_000, 3]);
    expect(lines[1].text === long).toBe(true);
    expect(lines.some((l) => l.invalidUtf8)).toBe(false);
  });

  it('pins bytes that are not UTF-8 to their line', async () => {
    const lines = await all(file('latin1.txt', Buffer.from([0x61, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a, 0x62, 0x0a])));
    expect(lines).toEqual([
      { text: 'a', line: 1 },
      { text: 'caf\ufffd', line: 2, invalidUtf8: true },
      { text: 'b', line: 3 },
    ]);
  });

  it('reports a truncated gzip file and a missing file as UsageErrors naming the file', async () => {
    const gz = gzipSync(Buffer.from('a\n'.repeat(100_000)));
    const cut = file('cut.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const err = await all(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(`${cut}: is not a valid gzip file`);
    const missing = path.join(dir, 'nope.jsonl');
    await expect(all(missing)).rejects.toThrow(`${missing}: file not found.`);
  });

  it('an empty file has no lines, and a digest', async () => {
    const p = file('empty.txt', '');
    const reader = readLines(p);
    for await (const l of reader) throw new Error(`unexpected line ${l.text}`);
    expect(reader.digest()?.bytes).toBe(0);
  });

  it('hashFile gives SHA-256 and MD5 of the bytes', async () => {
    const p = file('h.bin', 'abc');
    const h = await hashFile(p);
    // RFC 1321 / FIPS 180-2 test vectors for "abc".
    expect(h.md5).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(h.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(h.bytes).toBe(readFileSync(p).length);
  });
});
