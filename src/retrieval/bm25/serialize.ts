/**
 * Saving and restoring a lucene-engine index, so the experiment cache can skip re-indexing.
 *
 * File layout (little-endian): the 8 bytes `RBM25IX1`, a uint32 header length, the header as UTF-8 JSON
 * ({version, analyzer, fields, ids, terms, fieldMeta}), zero padding to a multiple of 8, then for each field
 * its `lengths` (int32 × N), `offsets` (int32 × (V + 1)), `docs` (int32 × P) and `tfs` (uint16 or uint32 × P),
 * each padded to 8 bytes. Only what indexing produced is stored; k1, b, norms and field weights are applied at
 * load time, so one saved index serves every BM25 parameter setting with the same analyzer and field layout.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { AnalyzerName } from '../analysis/index.js';
import type { FieldPostings, InvertedIndexData } from './inverted-index.js';
import type { Bm25Fields } from './types.js';

const MAGIC = 'RBM25IX1';
const VERSION = 1;

interface FieldMeta {
  docCount: number;
  sumTotalTermFreq: number;
  postings: number;
  tfBytes: 2 | 4;
}

interface Header {
  version: number;
  analyzer: AnalyzerName;
  fields: Bm25Fields;
  ids: string[];
  terms: string[];
  fieldMeta: FieldMeta[];
}

export interface SavedIndex {
  analyzer: AnalyzerName;
  fields: Bm25Fields;
  data: InvertedIndexData;
}

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

function bytesOf(a: Int32Array | Uint16Array | Uint32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export async function saveIndex(file: string, saved: SavedIndex): Promise<void> {
  const { data } = saved;
  const header: Header = {
    version: VERSION,
    analyzer: saved.analyzer,
    fields: saved.fields,
    ids: data.ids,
    terms: data.terms,
    fieldMeta: data.fields.map((f) => ({
      docCount: f.docCount,
      sumTotalTermFreq: f.sumTotalTermFreq,
      postings: f.docs.length,
      tfBytes: f.tfs.BYTES_PER_ELEMENT === 2 ? 2 : 4,
    })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1'), len, json, Buffer.alloc(pad8(12 + json.length))];
  for (const f of data.fields) {
    for (const a of [f.lengths, f.offsets, f.docs, f.tfs]) {
      const b = bytesOf(a);
      parts.push(b, Buffer.alloc(pad8(b.length)));
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, Buffer.concat(parts));
  await rename(tmp, file);
}

export async function loadIndex(file: string): Promise<SavedIndex> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read the BM25 index file.`, { file, cause: e, hint: 'Delete it to rebuild the index.' });
  }
  const bad = (why: string): never => {
    throw new UsageError(`not a valid rbench BM25 index (${why}).`, { file, hint: 'Delete it so the index is rebuilt.' });
  };
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) bad('wrong magic bytes');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) bad('truncated header');
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  } catch {
    return bad('unreadable header');
  }
  if (header.version !== VERSION) bad(`version ${header.version}, this rbench reads ${VERSION}`);
  let at = 12 + hlen + pad8(12 + hlen);
  // Copy into fresh, aligned typed arrays (the file buffer's offset need not be aligned).
  const take = <T extends Int32Array | Uint16Array | Uint32Array>(ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, n: number): T => {
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    if (at + bytes > buf.length) bad('truncated data');
    const out = new ctor(n);
    Buffer.from(out.buffer).set(buf.subarray(at, at + bytes));
    at += bytes + pad8(bytes);
    return out;
  };
  const N = header.ids.length;
  const V = header.terms.length;
  const fields: FieldPostings[] = header.fieldMeta.map((m) => ({
    lengths: take(Int32Array, N),
    offsets: take(Int32Array, V + 1),
    docs: take(Int32Array, m.postings),
    tfs: m.tfBytes === 2 ? take(Uint16Array, m.postings) : take(Uint32Array, m.postings),
    docCount: m.docCount,
    sumTotalTermFreq: m.sumTotalTermFreq,
  }));
  if (at !== buf.length) bad('unexpected trailing bytes');
  return { analyzer: header.analyzer, fields: header.fields, data: { ids: header.ids, terms: header.terms, fields } };
}
