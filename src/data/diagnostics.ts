/**
 * What the readers found wrong or worth knowing, counted per (file, kind) with a few examples, never
 * dropped silently. Two modes:
 * - `strict` (loading for an experiment): a line-level defect throws a UsageError naming the file and
 *   line, what is wrong and what to do, at the first occurrence;
 * - `collect` (`rbench datasets validate`): every defect is counted, the offending line is skipped, and
 *   reading goes on, so one pass lists all of them.
 * Warnings (a defect worked around, e.g. a repeated document id whose first occurrence was kept) and
 * infos (normal facts, e.g. queries of other splits) are counted in both modes.
 *
 * Positions are text lines (`file:12`) unless a file was declared as a table with `rowsIn` (a parquet
 * file): then messages say `row 12`, counted from 1 over the whole file.
 */
import { UsageError } from '../errors.js';
import type { ReadWarning } from './types.js';

export type Severity = 'error' | 'warning' | 'info';
export type DiagnosticsMode = 'strict' | 'collect';

interface Entry {
  file: string;
  kind: string;
  severity: Severity;
  /** Plural noun phrase completed by the count: `${count} ${summary}`. */
  summary: string;
  count: number;
  examples: string[];
}

export class Diagnostics {
  private readonly entries = new Map<string, Entry>();
  private readonly rowFiles = new Set<string>();

  constructor(
    readonly mode: DiagnosticsMode = 'strict',
    readonly maxExamples = 5,
  ) {}

  /** Declares `file` a table whose positions are rows (a parquet file), not lines. */
  rowsIn(file: string): void {
    this.rowFiles.add(file);
  }

  /** What a position in `file` is called: `line`, or `row` for a file declared with `rowsIn`. */
  unit(file: string): 'line' | 'row' {
    return this.rowFiles.has(file) ? 'row' : 'line';
  }

  /** `line 12`, or `row 12` in a table. */
  at(file: string, n: number): string {
    return `${this.unit(file)} ${n}`;
  }

  /**
   * A defect on one line (or row) that makes it unusable. Strict mode throws `file:line: problem hint`
   * (`file: row N: problem hint` for a table); collect mode counts it and the caller skips the line.
   */
  defect(kind: string, file: string, line: number, problem: string, hint: string, summary: string): void {
    const rows = this.rowFiles.has(file);
    if (this.mode === 'strict') throw rows ? new UsageError(`row ${line}: ${problem}`, { file, hint }) : new UsageError(problem, { file, line, hint });
    this.add('error', kind, file, summary, `${this.at(file, line)}: ${problem}`);
  }

  /** A defect that was worked around; counted in both modes. */
  warn(kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    this.add('warning', kind, file, summary, examples, count);
  }

  /** A fact worth reporting that is not a defect. */
  info(kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    this.add('info', kind, file, summary, examples, count);
  }

  /** Counts `count` occurrences of (file, kind) and keeps the first few examples. */
  add(severity: Severity, kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    if (count <= 0) return;
    const key = `${file}\u0000${kind}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { file, kind, severity, summary, count: 0, examples: [] };
      this.entries.set(key, e);
    }
    e.count += count;
    for (const ex of examples === undefined ? [] : Array.isArray(examples) ? examples : [examples]) {
      if (e.examples.length >= this.maxExamples) break;
      // An example may hold an id or value read from the input: keep it to a readable length.
      e.examples.push(ex.length > 2 * EXCERPT_CHARS ? excerpt(ex, 2 * EXCERPT_CHARS) : ex);
    }
  }

  count(kind: string, file?: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.kind === kind && (file === undefined || e.file === file)) n += e.count;
    return n;
  }

  /** Line-level defects recorded for `file` (collect mode). */
  errorCount(file: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.severity === 'error' && e.file === file) n += e.count;
    return n;
  }

  /** Whether any error or warning was recorded (infos are not defects). */
  hasDefects(): boolean {
    for (const e of this.entries.values()) if (e.severity !== 'info') return true;
    return false;
  }

  /** Everything recorded, errors first, then warnings, then infos, each in the order first seen. */
  toWarnings(): ReadWarning[] {
    const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
    return [...this.entries.values()]
      .map((e, i) => ({ e, i }))
      .sort((a, b) => rank[a.e.severity] - rank[b.e.severity] || a.i - b.i)
      .map(({ e }) => ({
        file: e.file,
        kind: e.kind,
        severity: e.severity,
        count: e.count,
        message: `${e.count} ${e.summary}`,
        ...(e.examples.length > 0 ? { examples: [...e.examples] } : {}),
      }));
  }
}

/** The most characters of an input line or value that a message quotes (see `quoteExcerpt`). */
export const EXCERPT_CHARS = 120;

/** 5242880 → `5,242,880` (by hand: an Intl formatter costs milliseconds of start-up for every command). */
function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Escape for one code point in a message, or undefined when it is shown as itself. */
function escapeCodePoint(cp: number, quoted: boolean): string | undefined {
  if (quoted && cp === 0x22) return '\\"';
  if (quoted && cp === 0x5c) return '\\\\';
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp === 0x09) return '\\t';
  // C0 and C1 controls, DEL, U+FFFD (an undecodable byte in decoded text), lone surrogates, line and
  // paragraph separators and the bidirectional controls (which would reorder the rest of the message).
  if (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0xfffd ||
    (cp >= 0xd800 && cp <= 0xdfff) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff
  ) {
    return `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return undefined;
}

/**
 * The code point of the UTF-8 sequence at `bytes[i]` and its length, or undefined when the bytes there
 * are not well-formed UTF-8 (a stray continuation byte, a truncated, overlong or surrogate sequence).
 */
function utf8At(bytes: Uint8Array, i: number): { cp: number; len: number } | undefined {
  const b = bytes[i];
  if (b < 0x80) return { cp: b, len: 1 };
  let len: number;
  let cp: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) [len, cp] = [2, b & 0x1f];
  else if (b >= 0xe0 && b <= 0xef) {
    [len, cp] = [3, b & 0x0f];
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    [len, cp] = [4, b & 0x07];
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return undefined;
  if (i + len > bytes.length) return undefined;
  for (let k = 1; k < len; k++) {
    const c = bytes[i + k];
    if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  return { cp, len };
}

/** The escaped text of at most `max` characters of `value`, and the length note when it was cut. */
function cutEscaped(value: string | Uint8Array, max: number, quoted: boolean): { text: string; note?: string } {
  let out = '';
  let i = 0;
  const n = value.length;
  while (i < n) {
    let piece: string;
    let step: number;
    if (typeof value === 'string') {
      const cp = value.codePointAt(i)!;
      step = cp > 0xffff ? 2 : 1;
      piece = escapeCodePoint(cp, quoted) ?? String.fromCodePoint(cp);
    } else {
      const u = utf8At(value, i);
      if (u === undefined) {
        step = 1;
        piece = `\\x${value[i].toString(16).padStart(2, '0')}`;
      } else {
        step = u.len;
        piece = escapeCodePoint(u.cp, quoted) ?? String.fromCodePoint(u.cp);
      }
    }
    if (out.length + piece.length > max) return { text: out, note: `(${withCommas(n)} ${typeof value === 'string' ? 'characters' : 'bytes'})` };
    out += piece;
    i += step;
  }
  return { text: out };
}

/**
 * At most `max` characters of `value` (a string, or raw bytes read as UTF-8) for a message, escaped so
 * that nothing in it can garble a terminal or a log: control
 * characters as `\n`, `\t`, `\u0000`, bytes that are not UTF-8 as `\xff`. When it had to be cut, `…`
 * and its full length follow: `abc… (5,242,880 characters)` (`bytes` for raw bytes). Escapes count
 * with their full width, so a line of binary garbage gives a message as short as a line of text.
 */
export function excerpt(value: string | Uint8Array, max = EXCERPT_CHARS): string {
  const { text, note } = cutEscaped(value, max, false);
  return note ? `${text}… ${note}` : text;
}

/**
 * `value` in double quotes for a message (see `excerpt`; quotes and backslashes inside are escaped as
 * in JSON): `"yes"`, `"a\tb"`, or for a 5 MB line
 * `"xxxx…" (5,242,880 characters)`: never much more than `max` characters.
 */
export function quoteExcerpt(value: string | Uint8Array, max = EXCERPT_CHARS): string {
  const { text, note } = cutEscaped(value, max, true);
  return note ? `"${text}…" ${note}` : `"${text}"`;
}
