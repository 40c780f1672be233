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
 *
 * Input that is not a regular file (`-` for standard input, a named pipe, `/dev/fd/N` from a shell's
 * process substitution `<(…)`) has no size and cannot be read at an offset, so it is read strictly in
 * order, gzip being recognised from its first bytes (`ByteSource`). Readers that must read it twice (to
 * name both lines of a duplicate, or to re-read a run whose queries are not grouped) open it with
 * `replay`: its bytes are then copied to a temporary file as they stream past, and later passes read that.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
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

/** The path that names standard input. */
export const STDIN = '-';

/** How an input is named in messages: `<stdin>` for `-`, else its path. */
export function inputName(file: string): string {
  return file === STDIN ? '<stdin>' : file;
}

/**
 * The bytes of one input, decompressed when they are gzip (told by the magic bytes `1f 8b`). A regular
 * file is read anew by every call of `chunks`; a stream (stdin, a pipe, a FIFO) is read by the first
 * call, and later calls replay it from a temporary copy when it was opened with `replay` (else they are
 * an error). `close` releases the input and the copy.
 */
export interface ByteSource {
  /** The path as given (`-` for stdin). */
  readonly file: string;
  /** How messages name it (`inputName`). */
  readonly name: string;
  /** A regular file (sized, read at offsets), as opposed to a stream. */
  readonly regular: boolean;
  /**
   * The decompressed bytes in chunks; `onRaw` sees each stored (compressed) byte first. Errors are
   * UsageErrors naming the input. With `reuse`, chunks of a plain regular file share one buffer that
   * the next read overwrites (the fast path of the TREC readers), so copy what you keep.
   */
  chunks(onRaw?: (raw: Buffer) => void): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

export interface SourceOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** See `ByteSource.chunks`. */
  reuse?: boolean;
  /** A stream may be read more than once (its bytes are copied to a temporary file as they pass). */
  replay?: boolean;
}

const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** Opens `file` (`-` = standard input) for reading; a missing file or a folder is a UsageError. */
export async function openSource(file: string, opts: SourceOptions = {}): Promise<ByteSource> {
  const name = inputName(file);
  if (file === STDIN) {
    if (process.stdin.isTTY) {
      throw new UsageError('`-` reads standard input, but it is a terminal.', { hint: 'Pipe the data in (`zcat run.gz | rbench eval --run - …`) or name a file.' });
    }
    return new StreamSource(file, name, process.stdin, opts);
  }
  let regular: boolean;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    regular = st.isFile();
  } catch (e) {
    throw fileError(name, e);
  }
  if (regular) return new FileSource(file, name, opts);
  return new StreamSource(file, name, createReadStream(file, { highWaterMark: opts.chunkSize ?? CHUNK }), opts);
}

/** A regular file: gzip is detected by reading its first two bytes; plain files are read with `read(2)`. */
class FileSource implements ByteSource {
  readonly regular = true;
  constructor(
    readonly file: string,
    readonly name: string,
    private readonly opts: SourceOptions,
  ) {}

  async *chunks(onRaw?: (raw: Buffer) => void): AsyncGenerator<Buffer> {
    const size = this.opts.chunkSize ?? CHUNK;
    let fh: FileHandle;
    try {
      fh = await open(this.file, 'r');
    } catch (e) {
      throw fileError(this.name, e);
    }
    let gzip: boolean;
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await fh.read(head, 0, 2, 0);
      gzip = isGzip(head.subarray(0, bytesRead));
    } catch (e) {
      await fh.close();
      throw fileError(this.name, e);
    }
    if (gzip) {
      await fh.close();
      yield* gunzipped(createReadStream(this.file, { highWaterMark: size }), this.name, size, onRaw);
      return;
    }
    try {
      let buf = Buffer.allocUnsafe(size);
      for (;;) {
        if (!this.opts.reuse) buf = Buffer.allocUnsafe(size);
        const { bytesRead } = await fh.read(buf, 0, size, null);
        if (bytesRead === 0) return;
        const chunk = bytesRead === size ? buf : buf.subarray(0, bytesRead);
        onRaw?.(chunk);
        yield chunk;
      }
    } catch (e) {
      throw fileError(this.name, e);
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {}
}

/** Decompresses `raw` (a stream or an iterable of stored chunks); `onRaw` sees the stored bytes. */
async function* gunzipped(raw: Readable | AsyncIterable<Buffer>, name: string, size: number, onRaw?: (raw: Buffer) => void): AsyncGenerator<Buffer> {
  const input = raw instanceof Readable ? raw : Readable.from(raw, { objectMode: false });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onRaw?.(chunk);
      done(null, chunk);
    },
  });
  // Errors of any stage destroy the last stream, so they surface in the `for await` below.
  const out = pipeline(input, tap, createGunzip({ chunkSize: size }), () => {});
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) yield chunk;
  } catch (e) {
    throw e instanceof UsageError ? e : fileError(name, e);
  } finally {
    out.destroy();
  }
}

/**
 * Standard input or a pipe: read in order, never at an offset. The first pass looks at the first bytes
 * for the gzip magic; with `replay` every stored byte is also appended to a temporary file, and a later
 * pass first copies whatever the first one left unread, then reads that file.
 */
class StreamSource implements ByteSource {
  readonly regular = false;
  private readonly it: AsyncIterator<Buffer>;
  private passes = 0;
  private spool: { dir: string; file: string; fd: number } | undefined;
  private ended = false;

  constructor(
    readonly file: string,
    readonly name: string,
    private readonly stream: Readable,
    private readonly opts: SourceOptions,
  ) {
    // Not destroyed when a pass stops early: a later pass (replay) goes on from there.
    this.it = stream.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
  }

  /** The next stored chunk (copied to the spool), or undefined at the end. */
  private async next(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    let r: IteratorResult<Buffer>;
    try {
      r = await this.it.next();
    } catch (e) {
      throw fileError(this.name, e);
    }
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    if (this.spool && this.spool.fd >= 0) writeSync(this.spool.fd, chunk);
    return chunk;
  }

  async *chunks(onRaw?: (raw: Buffer) => void): AsyncGenerator<Buffer> {
    this.passes += 1;
    if (this.passes > 1) {
      if (!this.spool) throw new UsageError('is a stream (standard input or a pipe) and was already read.', { file: this.name, hint: 'Pass a regular file.' });
      if (this.spool.fd >= 0) {
        while ((await this.next()) !== undefined);
        closeSync(this.spool.fd);
        this.spool.fd = -1;
      }
      yield* new FileSource(this.spool.file, this.name, this.opts).chunks(onRaw);
      return;
    }
    if (this.opts.replay) {
      const dir = mkdtempSync(path.join(tmpdir(), 'rbench-input-'));
      const file = path.join(dir, 'input');
      this.spool = { dir, file, fd: openSync(file, 'w') };
    }
    // Enough of the start to see the gzip magic (a pipe may deliver a single byte first).
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < 2) {
      const c = await this.next();
      if (c === undefined) break;
      head.push(c);
      headBytes += c.length;
    }
    const self = this;
    async function* stored(): AsyncGenerator<Buffer> {
      for (const c of head) yield c;
      for (let c = await self.next(); c !== undefined; c = await self.next()) yield c;
    }
    if (isGzip(Buffer.concat(head))) {
      yield* gunzipped(stored(), this.name, this.opts.chunkSize ?? CHUNK, onRaw);
      return;
    }
    for await (const c of stored()) {
      onRaw?.(c);
      yield c;
    }
  }

  async close(): Promise<void> {
    if (!this.ended) this.stream.destroy();
    if (this.spool) {
      if (this.spool.fd >= 0) closeSync(this.spool.fd);
      rmSync(this.spool.dir, { recursive: true, force: true });
      this.spool = undefined;
    }
  }
}

/**
 * Reads `file` (plain or gzip; `-` for standard input; or an open source, which stays open) as
 * numbered lines. `file` of the reader is the name messages use.
 */
export function readLines(file: string | ByteSource): LineReader {
  let lastDigest: FileDigest | undefined;
  return {
    file: typeof file === 'string' ? inputName(file) : file.name,
    digest: () => lastDigest,
    [Symbol.asyncIterator]: () => iterateLines(file, (d) => (lastDigest = d)),
  };
}

async function* iterateLines(file: string | ByteSource, onDigest: (d: FileDigest) => void): AsyncGenerator<TextLine> {
  const hash = createHash('sha256');
  let bytes = 0;
  const source = typeof file === 'string' ? await openSource(file, { chunkSize: CHUNK }) : file;
  const stream = source.chunks((chunk) => {
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
      // Copied: a source may reuse the chunk's buffer for its next read.
      if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    }
  } finally {
    if (source !== file) await source.close();
  }
  if (pending.length > 0) {
    const last = Buffer.concat(pending);
    if (last.length > 0) yield decode(last);
  }
  onDigest({ path: source.file, bytes, sha256: hash.digest('hex') });
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
