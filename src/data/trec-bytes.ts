/**
 * Byte-level building blocks of the TREC readers (`trec.ts`): chunked file input (plain or gzip, told
 * apart by the magic bytes `1f 8b`), C `isspace` field splitting, and the two number syntaxes.
 *
 * Written by hand rather than on top of a line reader (`src/data/io.ts`, `readline`) because rbench
 * scores TREC runs faster than trec_eval: a run of 20 million lines must not become 120 million
 * JavaScript strings. The parsers here walk the bytes of each chunk once and make a string only for
 * the fields that must be one (a query id when it changes, a document id).
 */
import { UsageError } from '../errors.js';
import { inputName, openSource, type ByteSource } from './io.js';

const CHUNK = 1 << 21;
export const LF = 0x0a;

/** C `isspace`: space, \t, \n, \v, \f, \r. trec_eval splits fields on exactly these bytes. */
export function isSpace(c: number): boolean {
  return c === 32 || (c <= 13 && c >= 9);
}

// The three scanning loops of the parsers, kept as tiny functions: V8 optimises each within
// microseconds, so the per-byte work runs compiled long before the parsers' own loops are.

/** First position ≥ p that is not a blank (whitespace other than LF), or `end`. */
export function skipBlanks(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = buf[p];
    if (c !== 32 && (c > 13 || c < 9 || c === LF)) return p;
    p++;
  }
  return p;
}

/** First position ≥ p that is whitespace (LF included), or `end`: the end of the field at p. */
export function fieldEnd(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = buf[p];
    if (c === 32 || (c <= 13 && c >= 9)) return p;
    p++;
  }
  return p;
}

/** Position of the first LF ≥ p, or `end`. */
export function lineEnd(buf: Uint8Array, p: number, end: number): number {
  while (p < end && buf[p] !== LF) p++;
  return p;
}

/**
 * Receives a file's bytes as ranges that end on line boundaries: `feed(buf, start, end)` gets whole lines
 * (each ending with LF, except possibly the file's last line). `buf` may be reused after `feed` returns.
 */
export interface LineConsumer {
  feed(buf: Buffer, start: number, end: number): void;
}

/** Thrown by a consumer to stop reading early; `forEachLineRange` then returns with `stopped: true`. */
export class StopReading extends Error {
  constructor() {
    super('stop reading');
  }
}

/**
 * Opens a TREC input for `forEachLineRange` (`-` is standard input; pipes and FIFOs are read as streams,
 * see `openSource`). Open it yourself and pass the source when the file will be read more than once
 * (`replay`: a stream is then copied aside as it is read), and close it when done.
 */
export function openTrecSource(file: string, replay = true): Promise<ByteSource> {
  return openSource(file, { chunkSize: CHUNK, reuse: true, replay });
}

/** How messages name `file` (`<stdin>` for `-`). */
export function sourceName(file: string | ByteSource): string {
  return typeof file === 'string' ? inputName(file) : file.name;
}

/** Runs `fn` on `file`'s source: the one given, or one opened (and closed) for the call. */
export async function withSource<T>(file: string | ByteSource, fn: (source: ByteSource) => Promise<T>): Promise<T> {
  if (typeof file !== 'string') return fn(file);
  const source = await openTrecSource(file);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

/**
 * Streams `file` (a path, `-` for standard input, or an open source) to `consumer` in ranges of whole
 * lines, never holding more than a chunk (2 MiB) plus one line. A UTF-8 byte-order mark at the very start is skipped (Windows editors write one; it would
 * otherwise become part of the first query id). Returns the number of (decompressed) bytes read and
 * whether the consumer stopped early by throwing `StopReading`.
 */
export async function forEachLineRange(file: string | ByteSource, consumer: LineConsumer): Promise<{ bytes: number; stopped: boolean }> {
  return withSource(file, (source) => forEachRange(source, consumer));
}

async function forEachRange(source: ByteSource, consumer: LineConsumer): Promise<{ bytes: number; stopped: boolean }> {
  const chunks = source.chunks();
  let carry: Buffer[] = [];
  let total = 0;
  let first = true;
  try {
    for await (let chunk of chunks) {
      total += chunk.length;
      if (first) {
        first = false;
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      }
      let start = 0;
      if (carry.length > 0) {
        const nl = chunk.indexOf(LF);
        if (nl === -1) {
          carry.push(Buffer.from(chunk));
          continue;
        }
        carry.push(chunk.subarray(0, nl + 1));
        const joined = Buffer.concat(carry);
        carry = [];
        consumer.feed(joined, 0, joined.length);
        start = nl + 1;
      }
      const last = chunk.lastIndexOf(LF);
      if (last >= start) {
        consumer.feed(chunk, start, last + 1);
        start = last + 1;
      }
      // Copied: plain-file chunks share one buffer that the next read overwrites.
      if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
    }
    if (carry.length > 0) {
      const joined = Buffer.concat(carry);
      consumer.feed(joined, 0, joined.length);
    }
  } catch (e) {
    // (Leaving the for-await early has already closed the file.)
    if (e instanceof StopReading) return { bytes: total, stopped: true };
    throw e;
  }
  return { bytes: total, stopped: false };
}

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A run score as C `strtod` reads it, correctly rounded to a double, or NaN when the field is not a
 * number. Accepted: `[+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?` (so `1`, `1.0`, `1e0`,
 * `10e-1`, `0.1e1` are the same score) and `inf` / `infinity` in any case with a sign (log-probabilities
 * can be -inf). Rejected, where `atof` would silently read 0 or a prefix: `abc`, `1.2.3`, `1e`, `0x1p3`,
 * and `nan` (a NaN score has no place in a ranking).
 *
 * With at most 15 significant digits and a decimal exponent within ±22 the value is one exact integer
 * times or divided by an exact power of ten: a single correctly rounded IEEE operation (Clinger's fast
 * path). Anything longer goes through `Number()`, which is correctly rounded too.
 */
export function parseScore(buf: Buffer, s: number, e: number): number {
  return parseScoreInto(buf, s, e, ONE, 0) ? ONE[0] : NaN;
}

const ONE = new Float64Array(1);

/**
 * `parseScore` that stores the value in `out[index]` and returns whether the field was a number. Storing
 * into a typed array instead of returning a double keeps the hot path free of allocations (a double
 * returned from a function that is not yet optimised is a heap object).
 */
export function parseScoreInto(buf: Buffer, s: number, e: number, out: Float64Array, index: number): boolean {
  let i = s;
  let neg = false;
  let c = buf[i];
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    i++;
  }
  let mant = 0;
  let sig = 0; // significant digits taken into mant
  let exp10 = 0;
  let digits = 0;
  let exact = true;
  while (i < e && (c = buf[i]) >= 48 && c <= 57) {
    if (mant !== 0 || c !== 48) {
      if (sig < 15) {
        mant = mant * 10 + (c - 48);
        sig++;
      } else {
        exact = false;
      }
    }
    digits++;
    i++;
  }
  if (i < e && buf[i] === 46 /* . */) {
    i++;
    while (i < e && (c = buf[i]) >= 48 && c <= 57) {
      if (mant !== 0 || c !== 48) {
        if (sig < 15) {
          mant = mant * 10 + (c - 48);
          sig++;
        } else {
          exact = false;
        }
      }
      exp10--;
      digits++;
      i++;
    }
  }
  if (digits === 0) {
    const special = parseSpecial(buf, s, e);
    out[index] = special;
    return special === special;
  }
  if (i < e && (buf[i] | 0x20) === 101 /* e */) {
    i++;
    let eneg = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    if (i >= e) return false;
    let ev = 0;
    while (i < e && (c = buf[i]) >= 48 && c <= 57) {
      if (ev < 100000) ev = ev * 10 + (c - 48);
      i++;
    }
    exp10 += eneg ? -ev : ev;
  }
  if (i !== e) return false;
  if (exact && exp10 >= -22 && exp10 <= 22) {
    const v = exp10 < 0 ? mant / POW10[-exp10] : mant * POW10[exp10];
    out[index] = neg ? -v : v;
  } else {
    out[index] = Number(buf.toString('latin1', s, e));
  }
  return true;
}

function parseSpecial(buf: Buffer, s: number, e: number): number {
  const text = buf.toString('latin1', s, e).toLowerCase();
  const m = /^([+-]?)(inf|infinity)$/.exec(text);
  if (!m) return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** A qrels grade: `[+-]? digits` within ±2^31−1, or undefined (trec_eval's `atol` would read `1.5` as 1). */
export function parseGrade(buf: Buffer, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  if (buf[i] === 45 || buf[i] === 43) {
    neg = buf[i] === 45;
    i++;
  }
  if (i >= e) return undefined;
  let v = 0;
  for (; i < e; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
    if (v > 2147483647) return undefined;
  }
  return neg ? -v : v;
}

/** The whitespace-separated fields of one line (error paths and slow paths only). */
export function splitFields(line: string): string[] {
  return line.split(/[ \t\n\v\f\r]+/).filter((f) => f.length > 0);
}

/**
 * Re-reads `file` to find the lines whose fields at `qidField` and `docField` equal `qid` and `doc`
 * (byte strings, one char per byte). Used only to name both lines of a duplicate in an error message,
 * so that the fast path need not remember a line number per document.
 */
export async function locateLines(file: string | ByteSource, qidField: number, docField: number, qid: string, doc: string): Promise<number[]> {
  const found: number[] = [];
  let lineNo = 0;
  await forEachLineRange(file, {
    feed(buf, start, end) {
      let p = start;
      while (p < end) {
        let nl = buf.indexOf(LF, p);
        if (nl === -1 || nl >= end) nl = end;
        lineNo++;
        const fields = splitFields(buf.toString('latin1', p, nl));
        if (fields[qidField] === qid && fields[docField] === doc && !fields[0].startsWith('#')) found.push(lineNo);
        p = nl + 1;
      }
    },
  });
  return found;
}

/** A byte string (one char per byte) as the UTF-8 text it encodes, for messages and result keys. */
export function bytesToText(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.from(s, 'latin1').toString('utf8');
  return s;
}

/** The byte string (one char per byte) of a JavaScript string's UTF-8 encoding. */
export function textToBytes(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** The UsageError for a file that has no data lines. */
export function emptyFileError(file: string, what: 'run' | 'qrels'): UsageError {
  return new UsageError(`is empty: it has no ${what === 'run' ? 'run lines (`qid Q0 docno rank score tag`)' : 'judgment lines (`qid 0 docno grade`)'}.`, {
    file,
    hint: 'Check that the path points at the file you meant and that it was written completely.',
  });
}

/** FNV-1a, 32 bits, of bytes [s, e) of `buf`. */
export function hashBytes(buf: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h;
}

/** FNV-1a, 32 bits, of a byte string (one char per byte); equals `hashBytes` of its bytes. */
export function hashByteString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * A set of byte strings (one char per byte), numbered in insertion order, that can be probed with a
 * slice of a Buffer without making a string: open addressing on the FNV-1a hash, verified byte by byte.
 * The streaming evaluator keeps one per judged query to find its judged documents among the run's lines.
 */
export class ByteStringTable {
  readonly keys: string[] = [];
  private mask = 7;
  private hashes = new Int32Array(8);
  /** key index + 1 per slot; 0 = empty. */
  private slots = new Int32Array(8);

  constructor(keys: Iterable<string> = []) {
    for (const k of keys) this.addString(k);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Index of the key equal to bytes [s, e) of `buf` whose FNV-1a hash is `h`, or -1. */
  find(buf: Uint8Array, s: number, e: number, h: number): number {
    const len = e - s;
    let slot = h & this.mask;
    for (;;) {
      const k = this.slots[slot];
      if (k === 0) return -1;
      if (this.hashes[slot] === h) {
        const key = this.keys[k - 1];
        if (key.length === len) {
          let i = 0;
          while (i < len && key.charCodeAt(i) === buf[s + i]) i++;
          if (i === len) return k - 1;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds bytes [s, e) of `buf` (as the byte string `key`, hash `h`); returns its index, or -1 if present. */
  add(buf: Uint8Array, s: number, e: number, h: number, key: string): number {
    if (this.find(buf, s, e, h) >= 0) return -1;
    return this.insert(key, h);
  }

  /** Adds a byte string; returns its index, or -1 if present. */
  addString(key: string): number {
    const bytes = Buffer.from(key, 'latin1');
    return this.add(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length), key);
  }

  private insert(key: string, h: number): number {
    if ((this.keys.length + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    let slot = h & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.keys.push(key);
    this.hashes[slot] = h;
    this.slots[slot] = this.keys.length;
    return this.keys.length - 1;
  }

  private rehash(size: number): void {
    const oldHashes = this.hashes;
    const oldSlots = this.slots;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const k = oldSlots[i];
      if (k === 0) continue;
      let slot = oldHashes[i] & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = oldHashes[i];
      this.slots[slot] = k;
    }
  }
}
