/**
 * Splitting one call's texts into requests, and putting the answers back in place.
 *
 * Servers cap the texts per request (TEI `--max-client-batch-size`, default 32) and answer 413 above it.
 * `forEachChunk` sends requests of at most `min(requested, known limit)` texts; on a 413 it halves the
 * refused chunk, lowers the limit it remembers for later calls, and resends the halves. A single text that
 * still gets 413 fails with the server's message.
 *
 * `placeByIndex` is the only way answers are written back: every result carries the index of the text it
 * belongs to (TEI and Cohere sort results by score), and a missing, duplicated or out-of-range index, or a
 * non-finite score, is a protocol error, never a score attached to some other document.
 */
import { isTooLarge, linkSignals, ProtocolError } from './client.js';

/** The largest request size known to work; shared by all calls of one backend instance. */
export class BatchLimit {
  constructor(private current: number) {}
  get value(): number {
    return this.current;
  }
  /** Remembers that requests above `n` texts are refused. */
  lowerTo(n: number): void {
    this.current = Math.max(1, Math.min(this.current, n));
  }
}

/** [start, end) ranges covering [from, to) in steps of `size`. */
export function ranges(from: number, to: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = from; s < to; s += size) out.push([s, Math.min(to, s + size)]);
  return out;
}

/**
 * Calls `send(start, end, signal)` for consecutive ranges covering [0, total), all started at once (the
 * client's limiter bounds how many are in flight). Resolves when every range was sent successfully; on the
 * first failure aborts the others (through `signal`) and rejects with that failure.
 */
export async function forEachChunk(
  total: number,
  requested: number,
  limit: BatchLimit,
  send: (start: number, end: number, signal: AbortSignal) => Promise<void>,
  callerSignal?: AbortSignal,
): Promise<void> {
  if (total === 0) return;
  const stop = new AbortController();
  const linked = linkSignals([callerSignal, stop.signal]);
  const signal = linked.signal;

  const sendSplitting = async (start: number, end: number): Promise<void> => {
    try {
      await send(start, end, signal);
    } catch (e) {
      const n = end - start;
      if (!isTooLarge(e) || n <= 1 || signal.aborted) throw e;
      limit.lowerTo(Math.floor(n / 2));
      await Promise.all(ranges(start, end, limit.value).map(([s, t]) => sendSplitting(s, t)));
    }
  };

  const size = Math.max(1, Math.min(requested, limit.value));
  try {
    await Promise.all(ranges(0, total, size).map(([s, e]) => sendSplitting(s, e)));
  } catch (e) {
    stop.abort(e);
    throw e;
  } finally {
    linked.release();
  }
}

/**
 * Checks `results` against a request of `n` texts and returns the values in text order: each index must be
 * an integer in [0, n), appear once, and together they must cover every text. `what` names the value in
 * messages (`score`, `embedding`).
 */
export function placeByIndex<V>(results: ReadonlyArray<{ index: unknown; value: V }>, n: number, what: string): V[] {
  const out: Array<V | undefined> = new Array<V | undefined>(n).fill(undefined);
  const seen = new Uint8Array(n);
  for (const r of results) {
    const i = r.index;
    if (typeof i !== 'number' || !Number.isInteger(i)) {
      throw new ProtocolError(`a result has index ${JSON.stringify(i)}, not an integer`);
    }
    if (i < 0 || i >= n) throw new ProtocolError(`a result has index ${i}, outside 0..${n - 1} for the ${n} texts sent`);
    if (seen[i]) throw new ProtocolError(`index ${i} appears twice in the results`);
    seen[i] = 1;
    out[i] = r.value;
  }
  const missing: number[] = [];
  for (let i = 0; i < n && missing.length < 10; i++) if (!seen[i]) missing.push(i);
  if (missing.length > 0) {
    const count = n - results.length;
    throw new ProtocolError(`no ${what} for ${count} of the ${n} texts sent (missing index ${missing.join(', ')}${count > missing.length ? ', …' : ''})`);
  }
  return out as V[];
}

/** A finite number, or a protocol error naming the field. */
export function finiteNumber(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`\`${field}\` is ${JSON.stringify(v)}, not a finite number`);
  return v;
}
