/**
 * Tokenizers for BM25 analysis. Both call `emit(text, start, end)` for each token span, in text order,
 * so that callers can look a token up without building intermediate arrays.
 *
 * `standardTokenize` reproduces Lucene's `StandardTokenizer` (UAX#29 word boundaries, Unicode 12.1 grammar in
 * current Lucene): tokens are the word-like segments of UAX#29. Two paths give the same segmentation:
 * - text between ASCII white space that is pure ASCII goes through a hand-written scanner of the UAX#29
 *   rules restricted to ASCII (about 20 times faster than `Intl.Segmenter`, which allocates an object
 *   per segment). UAX#29 never joins across ASCII white space, so chunks can be segmented independently;
 * - any other chunk goes through `Intl.Segmenter('en', {granularity: 'word'})` (ICU), keeping `isWordLike`
 *   segments. On the shared collections this matched Lucene token for token (docs/MACHINE-NOTES.md).
 * Where ICU and Lucene's grammar differ we follow Lucene:
 * - segments made only of connector punctuation (`__`) are not tokens (Lucene needs a letter or digit);
 * - Han ideographs and Hiragana are one token per character (ICU groups them with a dictionary);
 * - adjacent Thai, Lao, Myanmar, Khmer... words are one token per run (Lucene's SOUTHEAST_ASIAN type);
 * - a token longer than 255 UTF-16 units is cut into pieces of at most 255 (Lucene's `maxTokenLength`
 *   buffer; Lucene ≥ 7 splits, Lucene 4.x dropped such tokens). The cut moves back so a piece does not end
 *   inside a surrogate pair or on a joining punctuation mark, and the rest is tokenized again.
 * U+202F (narrow no-break space) joins numbers as in ICU and current Lucene (Lucene 4.10 split there).
 *
 * `simpleTokenize` is the "simple" analyzer's tokenizer of docs/BM25-REFERENCE.md: maximal runs of Unicode
 * letters and digits (Python's `[^\W_]+`), everything else separates.
 */

export type SpanSink = (text: string, start: number, end: number) => void;

export const MAX_TOKEN_LENGTH = 255;

// ASCII classes for the fast path: 1 letter, 2 digit, 3 underscore (ExtendNumLet), 0 other.
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0x41; c <= 0x5a; c++) ASCII_CLASS[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ASCII_CLASS[c] = 1;
for (let c = 0x30; c <= 0x39; c++) ASCII_CLASS[c] = 2;
ASCII_CLASS[0x5f] = 3;

const COLON = 0x3a; // MidLetter
const PERIOD = 0x2e; // MidNumLet
const APOSTROPHE = 0x27; // Single_Quote (joins like MidNumLet)
const COMMA = 0x2c; // MidNum
const SEMICOLON = 0x3b; // MidNum

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

let segmenter: Intl.Segmenter | undefined;
function icuSegmenter(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'word' });
  return segmenter;
}

const ONLY_CONNECTORS = /^[\p{Pc}\u202F]+$/u;
const HAN_OR_HIRAGANA = /[\p{Script=Han}\p{Script=Hiragana}]/u;
const HAN_OR_HIRAGANA_CHAR = /^[\p{Script=Han}\p{Script=Hiragana}]$/u;
const SOUTHEAST_ASIAN = /^[\p{Script=Thai}\p{Script=Lao}\p{Script=Myanmar}\p{Script=Khmer}\p{Script=Tai_Le}\p{Script=New_Tai_Lue}\p{Script=Tai_Tham}\p{Script=Tai_Viet}\p{M}]+$/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Lucene `StandardTokenizer` token spans of `text`. */
export function standardTokenize(text: string, emit: SpanSink): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    // Skip ASCII white space, then find the chunk up to the next one and whether it is pure ASCII.
    while (i < n && isAsciiSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let ascii = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (isAsciiSpace(c)) break;
      } else ascii = false;
      i++;
    }
    if (ascii) scanAscii(text, start, i, emit);
    else scanIcu(text, start, i, emit);
  }
}

/**
 * UAX#29 on ASCII: runs of letters, digits and `_` never break inside (WB5, WB8-10, WB13a/b); a letter-letter
 * pair joins across `:`, `.` or `'` (WB6/7) and a digit-digit pair across `,`, `;`, `.` or `'` (WB11/12).
 * A segment is a token when it holds a letter or digit.
 */
function scanAscii(text: string, from: number, to: number, emit: SpanSink): void {
  let i = from;
  while (i < to) {
    const cls = ASCII_CLASS[text.charCodeAt(i)];
    if (cls === 0) {
      i++;
      continue;
    }
    const start = i;
    let alnum = false;
    for (;;) {
      let c = 0;
      while (i < to && (c = ASCII_CLASS[text.charCodeAt(i)]) !== 0) {
        if (c !== 3) alnum = true;
        i++;
      }
      if (i + 1 < to) {
        const mid = text.charCodeAt(i);
        const prev = ASCII_CLASS[text.charCodeAt(i - 1)];
        const next = ASCII_CLASS[text.charCodeAt(i + 1)];
        if (prev === 1 && next === 1 && (mid === COLON || mid === PERIOD || mid === APOSTROPHE)) {
          i++;
          continue;
        }
        if (prev === 2 && next === 2 && (mid === COMMA || mid === SEMICOLON || mid === PERIOD || mid === APOSTROPHE)) {
          i++;
          continue;
        }
      }
      break;
    }
    if (alnum) emitSpan(text, start, i, emit);
  }
}

/** ICU word segmentation of one chunk, adjusted to Lucene's grammar (see the file header). */
function scanIcu(text: string, from: number, to: number, emit: SpanSink): void {
  const chunk = text.slice(from, to);
  // A pending run of South-East Asian words, merged while they are adjacent.
  let seaStart = -1;
  let seaEnd = -1;
  for (const seg of icuSegmenter().segment(chunk)) {
    if (!seg.isWordLike) continue;
    const s = seg.segment;
    const start = from + seg.index;
    const end = start + s.length;
    if (SOUTHEAST_ASIAN.test(s)) {
      if (seaStart >= 0 && seaEnd === start) {
        seaEnd = end;
        continue;
      }
      if (seaStart >= 0) emitSpan(text, seaStart, seaEnd, emit);
      seaStart = start;
      seaEnd = end;
      continue;
    }
    if (seaStart >= 0) {
      emitSpan(text, seaStart, seaEnd, emit);
      seaStart = -1;
    }
    if (ONLY_CONNECTORS.test(s)) continue;
    if (HAN_OR_HIRAGANA.test(s)) {
      splitIdeographs(text, start, end, emit);
      continue;
    }
    emitSpan(text, start, end, emit);
  }
  if (seaStart >= 0) emitSpan(text, seaStart, seaEnd, emit);
}

/** One token per Han or Hiragana code point; the runs between them stay whole. */
function splitIdeographs(text: string, start: number, end: number, emit: SpanSink): void {
  let runStart = start;
  let i = start;
  while (i < end) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (HAN_OR_HIRAGANA_CHAR.test(String.fromCodePoint(cp))) {
      if (runStart < i && LETTER_OR_DIGIT.test(text.slice(runStart, i))) emitSpan(text, runStart, i, emit);
      emit(text, i, i + w);
      runStart = i + w;
    }
    i += w;
  }
  if (runStart < end && LETTER_OR_DIGIT.test(text.slice(runStart, end))) emitSpan(text, runStart, end, emit);
}

/** Emits a token, cut at 255 UTF-16 units like Lucene's token buffer. */
function emitSpan(text: string, start: number, end: number, emit: SpanSink): void {
  if (end - start <= MAX_TOKEN_LENGTH) {
    emit(text, start, end);
    return;
  }
  let cut = start + MAX_TOKEN_LENGTH;
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  // The longest match inside the buffer cannot end on joining punctuation (`.`, `'`, `:`, `,` ...).
  while (cut > start + 1 && !canEndToken(text, cut - 1)) cut--;
  emit(text, start, cut);
  standardTokenize(text.slice(cut, end), (_sub, s, e) => emit(text, cut + s, cut + e));
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

const TOKEN_END = /[\p{L}\p{N}\p{M}\p{Pc}]/u;

/** Whether a token may end with the UTF-16 unit at i: a letter, digit, mark, connector or low surrogate. */
function canEndToken(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c >= 0xdc00 && c <= 0xdfff) return true;
  return TOKEN_END.test(text[i]);
}

// Letters and digits for the simple tokenizer: a table for the BMP, a regex for the rest.
let bmpAlnum: Uint8Array | undefined;
function bmpAlnumTable(): Uint8Array {
  if (bmpAlnum) return bmpAlnum;
  const t = new Uint8Array(0x10000);
  const re = /^[\p{L}\p{N}]$/u;
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (re.test(String.fromCharCode(c))) t[c] = 1;
  }
  bmpAlnum = t;
  return t;
}
const ASTRAL_ALNUM = /^[\p{L}\p{N}]$/u;

/**
 * The "simple" analyzer's tokens: maximal runs of Unicode letters and digits (Python `[^\W_]+` on str).
 * Underscores, apostrophes, hyphens, periods and combining marks all separate tokens. Spans are not cut.
 */
export function simpleTokenize(text: string, emit: SpanSink): void {
  const table = bmpAlnumTable();
  const n = text.length;
  let start = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let w = 1;
    let alnum: boolean;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      w = 2;
      alnum = ASTRAL_ALNUM.test(text.slice(i, i + 2));
    } else alnum = table[c] === 1;
    if (alnum) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      emit(text, start, i);
      start = -1;
    }
    i += w;
  }
  if (start >= 0) emit(text, start, n);
}
