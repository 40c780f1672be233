/**
 * Streaming text input for every reader in `src/data`: a file, plain or gzip-compressed (told apart by
 * its magic bytes `1f 8b`, not by its name), read as numbered lines without ever holding the file in memory.
 *
 * Lines are split on LF only and a trailing CR is removed, so CRLF and LF files give the same lines and
 * the same line numbers as `wc -l`, editors and trec_eval. Node's `readline` is not used because it also
 * breaks lines at a lone CR, which would shift line numbers and split a TSV field that contains one.
 * A UTF-8 byte-order mark at the start of the file is removed. Each line is decoded on its own, so bytes
 * that are not UTF-8 are pinned to their line (`invalidUtf8`) instead of failing the whole file.
 *
 * While the lines stream, the raw bytes (compressed bytes for a .gz file) are hashed: `digest()` gives
 * their SHA-256 and size once the file has been read to the end.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../errors.js';

/** One line of a text file, without its line terminator. */
export interface TextLine {
  text: string;
  /** 1-based line number. */
  line: number;
  /** The line held bytes that are not UTF-8; `text` has U+FFFD in their place. */
  invalidUtf8?: boolean;
}

/** SHA-256 and size of a file's bytes as stored on disk. */
export interface FileDigest {
  path: string;
  bytes: number;
  sha256: string;
}

/** Lines of one file. Each iteration reads the file anew; `digest()` is set after a complete pass. */
export interface LineReader extends AsyncIterable<TextLine> {
  readonly file: string;
  digest(): FileDigest | undefined;
}

const CHUNK = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;

/** Whether the file starts with the gzip magic bytes. A missing file is a UsageError. */
export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await openForReading(file);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function openForReading(file: string) {
  try {
    return await open(file, 'r');
  } catch (e) {
    throw fileError(file, e);
  }
}

/** Turns a file-system error into a UsageError that names the file and says what to do. */
export function fileError(file: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new UsageError('file not found.', { file, hint: 'Check the path.', cause: e });
  if (code === 'EACCES' || code === 'EPERM') {
    return new UsageError('permission denied.', { file, hint: 'Make the file readable for this user.', cause: e });
  }
  if (code === 'EISDIR') return new UsageError('is a folder, not a file.', { file, hint: 'Pass the path of a file.', cause: e });
  const message = e instanceof Error ? e.message : String(e);
  if ((typeof code === 'string' && code.startsWith('Z_')) || /unexpected end of file|incorrect header check/i.test(message)) {
    return new UsageError(`is not a valid gzip file (${message}).`, {
      file,
      hint: 'The file is probably truncated or corrupt: fetch or compress it again (`gzip -t FILE` checks it).',
      cause: e,
    });
  }
  return new UsageError(`cannot be read: ${message}`, { file, cause: e });
}

/** The file's decompressed bytes as a stream; `onRaw` sees every stored byte first (for hashing). */
async function openBytes(file: string, onRaw: (chunk: Buffer) => void): Promise<Readable> {
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: CHUNK });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onRaw(chunk);
      done(null, chunk);
    },
  });
  // Errors of any stage destroy the last stream, so they surface in the consumer's `for await`.
  const ignore = (): void => {};
  return gzip ? pipeline(raw, tap, createGunzip({ chunkSize: CHUNK }), ignore) : pipeline(raw, tap, ignore);
}

/** Reads `file` (plain or gzip) as numbered lines. */
export function readLines(file: string): LineReader {
  let lastDigest: FileDigest | undefined;
  return {
    file,
    digest: () => lastDigest,
    [Symbol.asyncIterator]: () => iterateLines(file, (d) => (lastDigest = d)),
  };
}

async function* iterateLines(file: string, onDigest: (d: FileDigest) => void): AsyncGenerator<TextLine> {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = await openBytes(file, (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let lineNo = 0;
  const decode = (buf: Buffer): TextLine => {
    lineNo += 1;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === CR) end -= 1;
    let start = 0;
    if (lineNo === 1 && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    const body = buf.subarray(start, end);
    try {
      return { text: strict.decode(body), line: lineNo };
    } catch {
      return { text: lenient.decode(body), line: lineNo, invalidUtf8: true };
    }
  };

  // Parts of a line that spans chunks; joined once its LF arrives (no quadratic re-copying of long lines).
  let pending: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let nl = chunk.indexOf(LF, start);
      while (nl !== -1) {
        const piece = chunk.subarray(start, nl);
        if (pending.length > 0) {
          pending.push(piece);
          yield decode(Buffer.concat(pending));
          pending = [];
        } else {
          yield decode(piece);
        }
        start = nl + 1;
        nl = chunk.indexOf(LF, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw fileError(file, e);
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) {
    const last = Buffer.concat(pending);
    if (last.length > 0) yield decode(last);
  }
  onDigest({ path: file, bytes, sha256: hash.digest('hex') });
}

/** Size, SHA-256 and MD5 of a file's stored bytes, streamed (MD5 only because BEIR publishes its archives' MD5). */
export async function hashFile(file: string): Promise<FileDigest & { md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
      sha.update(chunk);
      md5.update(chunk);
      bytes += chunk.length;
    }
  } catch (e) {
    throw fileError(file, e);
  }
  return { path: file, bytes, sha256: sha.digest('hex'), md5: md5.digest('hex') };
}
