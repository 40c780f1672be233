/**
 * Text analysis for BM25: text → index terms.
 *
 * - `english` reproduces Lucene's `EnglishAnalyzer` (what Anserini and Pyserini index BEIR with):
 *   StandardTokenizer (UAX#29) → EnglishPossessiveFilter (drops a trailing `'s`, `’s`, `＇s`, also `S`) →
 *   LowerCaseFilter (per code point, Java's simple case mapping) → StopFilter (33 English stop words) →
 *   PorterStemFilter.
 * - `simple` is the analyzer of docs/BM25-REFERENCE.md's main table: lower-case the text (Python
 *   `str.lower()`, which JavaScript's `toLowerCase` matches), tokens = maximal letter/digit runs, same stop
 *   words, same Porter stemmer. No possessive filter.
 *
 * Whole corpora go through here, so the per-token path is a cache lookup: every distinct raw token is
 * analyzed once (possessive, lower case, stop, stem) and the result, or `null` for a dropped token, is
 * remembered. Tokens are reported through a callback to avoid building arrays.
 */
import { porterStem } from './porter.js';
import { ENGLISH_STOP_WORDS } from './stopwords.js';
import { simpleTokenize, standardTokenize, type SpanSink } from './tokenizer.js';

/** `english`: Lucene's EnglishAnalyzer (Anserini's default); `simple`: the reference note's simple analyzer. */
export type AnalyzerName = 'english' | 'simple';
export const ANALYZER_NAMES: readonly AnalyzerName[] = ['english', 'simple'];

export type TermSink = (term: string) => void;

export interface Analyzer {
  readonly name: AnalyzerName;
  /** Calls `emit` with each index term of `text`, in text order (repeats included). */
  forEachTerm(text: string, emit: TermSink): void;
  /** The index terms of `text` as an array. */
  analyze(text: string): string[];
}

/** Drops the cache when it grows past this many distinct raw tokens (bounds memory on huge corpora). */
const MAX_CACHE = 2_000_000;

/**
 * Lower case per code point as Lucene's LowerCaseFilter (`Character.toLowerCase(int)`): no context rules, so
 * `Σ` is always `σ`, and `İ` (U+0130) becomes `i` rather than JavaScript's two-code-point `i̇`.
 */
export function lowerCasePerCodePoint(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch.toLowerCase();
    else if (cp === 0x130) out += 'i';
    else {
      const l = ch.toLowerCase();
      // Only U+0130 has a multi-character lower case; keep the character if anything else ever does.
      out += [...l].length === 1 ? l : ch;
    }
  }
  return out;
}

/** Lucene's EnglishPossessiveFilter: the token without a trailing `'s` / `’s` / `＇s` (s or S). */
export function stripPossessive(token: string): string {
  const n = token.length;
  if (n < 2) return token;
  const last = token.charCodeAt(n - 1);
  if (last !== 0x73 && last !== 0x53) return token;
  const q = token.charCodeAt(n - 2);
  return q === 0x27 || q === 0x2019 || q === 0xff07 ? token.slice(0, n - 2) : token;
}

/** A new string with the same content, so that a cache key does not keep a whole document alive. */
function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/**
 * raw token → analyzed term (or null), looked up by span so that a token seen before costs no string
 * allocation: an open-addressing hash table over the UTF-16 units of the span (FNV-1a), with the keys
 * compared unit by unit, instead of `Map.get(text.slice(start, end))`, which allocates and hashes a new string
 * for every token of a corpus.
 */
class SpanCache {
  private slots = new Int32Array(1 << 16).fill(-1);
  private mask = (1 << 16) - 1;
  private keys: string[] = [];
  private values: (string | null)[] = [];
  private hashes: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  clear(): void {
    this.slots.fill(-1);
    this.keys = [];
    this.values = [];
    this.hashes = [];
  }

  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }

  /** Entry number of the span, or -1. */
  find(text: string, start: number, end: number, h: number): number {
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e < 0) return -1;
      if (this.hashes[e] === h) {
        const key = this.keys[e];
        if (key.length === len) {
          let i = 0;
          while (i < len && key.charCodeAt(i) === text.charCodeAt(start + i)) i++;
          if (i === len) return e;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }

  value(entry: number): string | null {
    return this.values[entry];
  }

  add(key: string, h: number, value: string | null): void {
    const e = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    this.hashes.push(h);
    if (e * 2 >= this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e, h);
  }

  private place(e: number, h: number): void {
    let slot = h & this.mask;
    while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = e;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let e = 0; e < this.keys.length; e++) this.place(e, this.hashes[e]);
  }
}

class CachedAnalyzer implements Analyzer {
  private readonly cache = new SpanCache();
  private sink: TermSink = () => {};
  private readonly onSpan: SpanSink;

  constructor(
    readonly name: AnalyzerName,
    private readonly tokenize: (text: string, emit: SpanSink) => void,
    /** raw token → term, or null when the token is dropped. */
    private readonly normalize: (raw: string) => string | null,
    /** Applied to the whole text before tokenizing (the simple analyzer lower-cases first). */
    private readonly prepare: (text: string) => string,
  ) {
    this.onSpan = (text, start, end) => {
      const cache = this.cache;
      const h = SpanCache.hash(text, start, end);
      const e = cache.find(text, start, end, h);
      let term: string | null;
      if (e >= 0) term = cache.value(e);
      else {
        const raw = detach(text.slice(start, end));
        term = this.normalize(raw);
        if (cache.size >= MAX_CACHE) cache.clear();
        cache.add(raw, h, term);
      }
      if (term !== null) this.sink(term);
    };
  }

  forEachTerm(text: string, emit: TermSink): void {
    const previous = this.sink;
    this.sink = emit;
    try {
      this.tokenize(this.prepare(text), this.onSpan);
    } finally {
      this.sink = previous;
    }
  }

  analyze(text: string): string[] {
    const out: string[] = [];
    this.forEachTerm(text, (t) => out.push(t));
    return out;
  }
}

function luceneNormalize(raw: string): string | null {
  const stripped = stripPossessive(raw);
  if (stripped.length === 0) return null;
  const lower = lowerCasePerCodePoint(stripped);
  if (ENGLISH_STOP_WORDS.has(lower)) return null;
  return detach(porterStem(lower));
}

function simpleNormalize(lower: string): string | null {
  if (ENGLISH_STOP_WORDS.has(lower)) return null;
  return detach(porterStem(lower));
}

const identity = (s: string): string => s;
const lower = (s: string): string => s.toLowerCase();

/** A new analyzer (each has its own token cache). */
export function createAnalyzer(name: AnalyzerName): Analyzer {
  switch (name) {
    case 'english':
      return new CachedAnalyzer('english', standardTokenize, luceneNormalize, identity);
    case 'simple':
      return new CachedAnalyzer('simple', simpleTokenize, simpleNormalize, lower);
  }
}

export function isAnalyzerName(s: unknown): s is AnalyzerName {
  return s === 'english' || s === 'simple';
}
