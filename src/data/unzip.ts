/**
 * Streaming extraction of a ZIP archive to a folder with fflate's `Unzip` (reads local headers as the
 * bytes stream by; stored and deflated entries; data descriptors and ZIP64 sizes). Nothing is buffered
 * whole: each entry is written as it inflates, with backpressure from the disk.
 *
 * Safety: every entry name is checked before anything is written. Absolute paths, drive letters,
 * backslashes and `..` segments (zip-slip) reject the whole archive, as do unsupported compression
 * methods and entries whose extracted size differs from the size the archive states.
 */
import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { UsageError } from '../errors.js';
import { quoteExcerpt } from './diagnostics.js';

interface Entry {
  name: string;
  stream: WriteStream;
  done: boolean;
  written: number;
  expected?: number;
  /** Set while the stream's buffer is full. */
  drain?: Promise<unknown>;
}

/** Resolves when the stream drains, closes or fails, whichever comes first; leaves no listener behind. */
function drained(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

export interface ExtractResult {
  /** Relative paths of the files written, in archive order. */
  files: string[];
  bytes: number;
}

/** The safe relative path of an entry, or a UsageError naming the archive and the entry. */
export function safeEntryPath(archive: string, name: string): string {
  const bad = (why: string): UsageError =>
    new UsageError(`the archive entry ${quoteExcerpt(name)} ${why}; nothing was extracted.`, {
      file: archive,
      hint: 'The archive is damaged or malicious: do not use it; fetch it again from a trusted source.',
    });
  if (name.includes('\0')) throw bad('contains a NUL byte');
  if (name.includes('\\')) throw bad('contains a backslash (a Windows path)');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw bad('is an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw bad('climbs out of the target folder with `..`');
  if (parts.length === 0) throw bad('has no name');
  return parts.join('/');
}

/** Extracts `archive` into `dest` (created if missing). */
export async function extractZip(archive: string, dest: string): Promise<ExtractResult> {
  const root = path.resolve(dest);
  await mkdir(root, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  let failure: unknown;
  const open = new Set<Entry>();
  const finishes: Promise<unknown>[] = [];

  const unzip = new Unzip((file: UnzipFile) => {
    if (failure !== undefined) return;
    let rel: string;
    try {
      rel = safeEntryPath(archive, file.name);
    } catch (e) {
      failure = e;
      return;
    }
    const target = path.join(root, rel);
    try {
      // Synchronous so that the entry can start at once, within fflate's callback (a few folders per archive).
      mkdirSync(file.name.endsWith('/') ? target : path.dirname(target), { recursive: true });
    } catch (e) {
      failure = new UsageError(`cannot create a folder for ${target}: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
      return;
    }
    if (file.name.endsWith('/')) return;
    if (file.compression !== 0 && file.compression !== 8) {
      failure = new UsageError(`the archive entry ${file.name} uses compression method ${file.compression}; only stored and deflate are supported.`, {
        file: archive,
        hint: 'Repack the archive with plain deflate (`zip -r`).',
      });
      return;
    }
    const stream = createWriteStream(target, { flags: 'wx' });
    const entry: Entry = { name: rel, stream, done: false, written: 0, expected: file.originalSize };
    open.add(entry);
    files.push(rel);
    finishes.push(
      once(stream, 'close').catch((e: unknown) => {
        failure ??= e;
      }),
    );
    stream.on('error', (e) => {
      failure ??= new UsageError(`cannot write ${target}: ${e.message}.`, { hint: 'Check free disk space and permissions.', cause: e });
    });
    file.ondata = (err, chunk, final) => {
      if (err) {
        failure ??= new UsageError(`the archive entry ${file.name} is corrupt (${err.message}).`, { file: archive, hint: 'Fetch the archive again.', cause: err });
        stream.destroy();
        return;
      }
      if (chunk.length > 0) {
        entry.written += chunk.length;
        bytes += chunk.length;
        // Copy: the decoder may hand out views of buffers it reuses.
        if (!stream.write(Buffer.from(chunk))) entry.drain ??= drained(stream).then(() => (entry.drain = undefined));
      }
      if (final) {
        entry.done = true;
        stream.end();
      }
    };
    try {
      file.start();
    } catch (e) {
      failure ??= new UsageError(`the archive entry ${file.name} cannot be read (${e instanceof Error ? e.message : String(e)}).`, { file: archive, cause: e });
    }
  });
  unzip.register(UnzipInflate);

  /** Waits until the streams written to in the last push have drained (or ended on an error). */
  const settle = async (): Promise<void> => {
    await Promise.all([...open].map((o) => o.drain));
  };

  try {
    for await (const chunk of createReadStream(archive, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
      if (failure !== undefined) break;
      try {
        unzip.push(chunk, false);
      } catch (e) {
        failure ??= new UsageError(`is not a readable ZIP archive (${e instanceof Error ? e.message : String(e)}).`, { file: archive, hint: 'Fetch it again.', cause: e });
      }
      await settle();
    }
    if (failure === undefined) {
      try {
        unzip.push(new Uint8Array(0), true);
      } catch (e) {
        failure ??= new UsageError(`is not a readable ZIP archive (${e instanceof Error ? e.message : String(e)}).`, { file: archive, hint: 'Fetch it again.', cause: e });
      }
      await settle();
    }
  } finally {
    for (const o of open) if (!o.done || failure !== undefined) o.stream.destroy();
    await Promise.all(finishes);
  }
  if (failure !== undefined) throw failure;
  for (const o of open) {
    if (!o.done) throw new UsageError(`is truncated: the entry ${o.name} ends early.`, { file: archive, hint: 'Fetch the archive again.' });
    if (o.expected !== undefined && o.expected !== o.written) {
      throw new UsageError(`the entry ${o.name} extracts to ${o.written} bytes but the archive says ${o.expected}.`, { file: archive, hint: 'The archive is corrupt: fetch it again.' });
    }
  }
  if (files.length === 0) throw new UsageError('holds no files (or is not a ZIP archive).', { file: archive, hint: 'Check that the URL serves a .zip.' });
  return { files, bytes };
}
