/**
 * Tokenizers for the models rbench builds, written as the Hugging Face Hub has them (`tokenizer.json`,
 * `tokenizer_config.json`, `special_tokens_map.json`) so that transformers.js' `AutoTokenizer` loads them:
 *
 * - WordPiece, laid out like bert-base-uncased: `[PAD]` 0, `[unused0..98]`, `[UNK]` 100, `[CLS]` 101,
 *   `[SEP]` 102, `[MASK]` 103, then characters, `##` characters, numbers, whole words and `##` pieces;
 *   BertNormalizer (lowercase, strip accents), BertPreTokenizer, TemplateProcessing `[CLS] A [SEP] B [SEP]`
 *   with type ids 0/1.
 * - SentencePiece-style Unigram, laid out like XLM-R: `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, pieces by
 *   descending score, `<mask>` last; NFKC + space-run folding, Metaspace `▁`, template `<s> A </s></s> B </s>`.
 *
 * Vocabularies are derived from the GloVe word list (frequency order): the most frequent words become whole
 * tokens and the remaining budget goes to sub-word pieces chosen by how many characters they save over the
 * less frequent words, so real English text tokenizes to roughly one token per word plus splits for rare
 * words, as the real MiniLM / XLM-R tokenizers do. Everything is deterministic (ties broken by string order).
 */
import { gloveWords } from './glove-words.js';

// ------------------------------------------------------------------------------------------------
// Shared helpers

/** BERT's `_is_punctuation`: ASCII symbol ranges or any Unicode punctuation category. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}

/** What BertNormalizer (lowercase, accents stripped) makes of a word. */
export function bertNormalize(word: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(word)) return word.toLowerCase();
  return word.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
}

/** Deterministic ranking: higher score first, then code-unit order. */
function byScoreThenString(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Numbers a real vocabulary holds as whole tokens (GloVe's packager dropped pure numbers). */
function commonNumbers(): string[] {
  const out: string[] = [];
  for (let n = 0; n <= 200; n++) out.push(String(n));
  for (let y = 1800; y <= 2030; y++) out.push(String(y));
  for (let n = 250; n <= 1000; n += 50) out.push(String(n));
  return out;
}

/**
 * Counts candidate sub-word pieces in `words`: every substring of length 2..maxLen that starts after the first
 * character (`inner`), and every prefix of length 2..maxLen (`initial`). A piece's score is its count times the
 * characters it saves (length - 1), the gain of replacing single characters by it.
 */
function countPieces(words: readonly string[], maxLen: number): { inner: Map<string, number>; initial: Map<string, number> } {
  const inner = new Map<string, number>();
  const initial = new Map<string, number>();
  for (const w of words) {
    const n = w.length;
    for (let L = 2; L <= Math.min(maxLen, n - 1); L++) {
      const p = w.slice(0, L);
      initial.set(p, (initial.get(p) ?? 0) + 1);
    }
    for (let i = 1; i < n; i++) {
      for (let L = 2; L <= Math.min(maxLen, n - i); L++) {
        const p = w.slice(i, i + L);
        inner.set(p, (inner.get(p) ?? 0) + 1);
      }
    }
  }
  return { inner, initial };
}

function topPieces(counts: Map<string, number>, k: number): Array<[string, number]> {
  const scored: Array<[string, number]> = [];
  // Pieces seen fewer than 3 times cannot make the cut in any vocabulary we build; skipping them keeps the sort small.
  for (const [p, c] of counts) if (c >= 3) scored.push([p, c * (p.length - 1)]);
  scored.sort(byScoreThenString);
  return scored.slice(0, Math.max(0, k));
}

/** Characters of the normalised words, most frequent first, that occur at least `minCount` times. */
function frequentChars(words: readonly string[], minCount: number): string[] {
  const counts = new Map<string, number>();
  for (const w of words) for (const ch of w) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return [...counts].filter(([, c]) => c >= minCount).sort(byScoreThenString).map(([ch]) => ch);
}

const ASCII_PRINTABLE = Array.from({ length: 126 - 33 + 1 }, (_, i) => String.fromCharCode(33 + i));

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));

/**
 * Characters real vocabularies hold as single tokens beyond ASCII (bert-base-uncased has ~1,000): Latin-1
 * symbols and letters, Greek, Cyrillic, and the typographic and mathematical symbols of scientific text
 * (β, ±, ≥, µ, −, ′, ∼, superscripts...), so that such text does not fall back to unknown tokens.
 */
const EXTRA_CHARS: readonly string[] = [
  ...range(0xa1, 0xff).filter((c) => c !== '\u00ad'),
  ...range(0x3b1, 0x3c9), // α..ω
  ...range(0x391, 0x3a9).filter((c) => c !== '\u03a2'), // Α..Ω
  ...range(0x430, 0x44f), // а..я
  ...range(0x2070, 0x209c).filter((c) => /\p{L}|\p{N}|\p{S}|\p{P}/u.test(c)), // super/subscripts
  ...'ıłœßæøðþđħŋƒəɛɪʃʊʌˈː‐‑‒–—―‖‘’‚“”„†‡•…‰′″‹›‿⁄€₤₩₱₹ℓ№™⅓⅔←↑→↓↔⇒⇔∂∅∆∇∈∉∏∑−∓∗∘√∝∞∠∧∨∩∪∫∴∼≃≅≈≠≡≤≥≪≫⊂⊃⊆⊇⊕⊗⊥⋅─│■□▪▲△▼●○★☆♀♂✓ϵϕ'.split(''),
];

/** How many of the words just past the whole-word cut sub-word pieces are learned from. */
const TAIL_WORDS = 40_000;

// ------------------------------------------------------------------------------------------------
// WordPiece (BERT uncased)

export const BERT_SPECIAL = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' } as const;

/**
 * A WordPiece vocabulary of exactly `size` tokens (size ≥ 1000). About 19 % of the budget after the fixed part
 * goes to `##` pieces (bert-base-uncased has ~5,800 of 30,522), the rest to whole words in frequency order.
 */
export function buildWordPieceVocab(size: number, words: readonly string[] = gloveWords()): string[] {
  if (!Number.isInteger(size) || size < 1000) throw new RangeError(`WordPiece vocabulary size ${size}: use at least 1000`);
  const vocab: string[] = [BERT_SPECIAL.pad];
  for (let i = 0; i < 99; i++) vocab.push(`[unused${i}]`);
  vocab.push(BERT_SPECIAL.unk, BERT_SPECIAL.cls, BERT_SPECIAL.sep, BERT_SPECIAL.mask);
  const seen = new Set(vocab);
  const add = (t: string): void => {
    if (vocab.length < size && !seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };

  const normalized = words.map(bertNormalize);
  // Words BertPreTokenizer keeps whole: no punctuation, no whitespace.
  const plain = normalized.filter((w) => w.length > 0 && !/[\s\p{P}!-/:-@[-`{-~]/u.test(w));
  const chars = [
    ...new Set([...ASCII_PRINTABLE, ...EXTRA_CHARS, ...frequentChars(normalized.slice(0, 100_000), 20)].map(bertNormalize).filter((c) => [...c].length === 1)),
  ];
  for (const c of chars) add(c);
  for (const c of chars) if (!isBertPunctuation(c)) add(`##${c}`);
  for (const n of commonNumbers()) add(n);

  const fixed = vocab.length;
  const pieceBudget = Math.round((size - fixed) * 0.19);
  const wordBudget = size - fixed - pieceBudget;
  const chosenWords = plain.filter((w) => !seen.has(w)).slice(0, wordBudget);
  // Pieces are learned from the next tier of words (those that will be split).
  const tail = plain.slice(wordBudget, wordBudget + TAIL_WORDS).filter((w) => /^\p{L}+$/u.test(w));
  const { inner } = countPieces(tail, 8);
  const pieces = topPieces(inner, pieceBudget).map(([p]) => `##${p}`);
  for (const w of chosenWords) add(w);
  for (const p of pieces) add(p);
  // Fill any shortfall (duplicates removed above) with further words.
  for (const w of plain) {
    if (vocab.length >= size) break;
    add(w);
  }
  if (vocab.length !== size) throw new Error(`WordPiece vocabulary: built ${vocab.length} tokens, wanted ${size}`);
  return vocab;
}

interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

function addedToken(id: number, content: string, lstrip = false): AddedToken {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true };
}

/** Files of a tokenizer folder: name → JSON value. */
export type TokenizerFiles = Record<'tokenizer.json' | 'tokenizer_config.json' | 'special_tokens_map.json', unknown>;

/** The three tokenizer files of a BERT-uncased WordPiece tokenizer over `vocab` (from `buildWordPieceVocab`). */
export function wordPieceTokenizerFiles(vocab: readonly string[], modelMaxLength: number): TokenizerFiles {
  const id = (t: string): number => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error(`WordPiece vocabulary lacks ${t}`);
    return i;
  };
  const cls = id(BERT_SPECIAL.cls);
  const sep = id(BERT_SPECIAL.sep);
  const vocabObj: Record<string, number> = {};
  vocab.forEach((t, i) => {
    vocabObj[t] = i;
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [BERT_SPECIAL.pad, BERT_SPECIAL.unk, BERT_SPECIAL.cls, BERT_SPECIAL.sep, BERT_SPECIAL.mask].map((t) => addedToken(id(t), t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: vocabObj },
  };
  const special = { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
  const config = {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_basic_tokenize: true,
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: modelMaxLength,
    never_split: null,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
  return { 'tokenizer.json': tokenizer, 'tokenizer_config.json': config, 'special_tokens_map.json': special };
}

// ------------------------------------------------------------------------------------------------
// Unigram (XLM-R, SentencePiece)

export const XLMR_SPECIAL = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;
const SP = '\u2581'; // ▁

function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/**
 * A Unigram vocabulary of exactly `size` pieces with log-probability scores (size ≥ 1000). Whole words are
 * `▁word` pieces (lowercase for all chosen words, capitalised for the most frequent ones), scored by a Zipf
 * estimate of their probability from their GloVe rank (also bare, without `▁`, for the most frequent: words
 * after punctuation or inside compounds); sub-word pieces (`▁` prefixes and inner pieces, about 13 % of the
 * budget) are scored below words of similar frequency; single characters come last so that Viterbi uses
 * them only where nothing longer fits.
 */
export function buildUnigramVocab(size: number, words: readonly string[] = gloveWords()): Array<[string, number]> {
  if (!Number.isInteger(size) || size < 1000) throw new RangeError(`Unigram vocabulary size ${size}: use at least 1000`);
  // Zipf: p(rank r) ≈ 1 / ((r + 10) * H), H ≈ ln(N) + 0.58 for N words.
  const logH = Math.log(Math.log(words.length + 10) + 0.58);
  const zipf = (rank: number): number => -Math.log(rank + 10) - logH;

  const pieces = new Map<string, number>();
  const put = (p: string, score: number): void => {
    const prev = pieces.get(p);
    if (prev === undefined || score > prev) pieces.set(p, score);
  };
  const budget = size - 5; // 4 leading specials + <mask>

  // Punctuation and symbols GloVe lists as words keep their rank's score, bare and after a space.
  const letters = (w: string): boolean => /^\p{L}+$/u.test(w);
  words.forEach((w, r) => {
    if ([...w].length === 1 && !letters(w)) {
      put(w, zipf(r));
      put(SP + w, zipf(r) - 1.5);
    }
  });
  // Other characters (accented letters, Greek, symbols): bare pieces at a low score, for coverage.
  for (const c of new Set([...EXTRA_CHARS, ...frequentChars(words.slice(0, 100_000), 20)].map((ch) => ch.normalize('NFKC')))) {
    if ([...c].length === 1 && !pieces.has(c)) put(c, zipf(words.length) - 3);
  }
  // Digits, numbers.
  for (let d = 0; d <= 9; d++) put(String(d), zipf(200));
  commonNumbers().forEach((n, i) => put(SP + n, zipf(500 + i * 20)));
  for (let n = 0; n <= 99; n++) put(String(n).padStart(2, '0'), zipf(5000 + n));

  // Budget shares (of what the fixed pieces leave): ▁words 65 %, ▁Capitalised 12 %, bare words (after
  // punctuation or inside compounds, e.g. "-dependent") 10 %, sub-word pieces 13 %.
  const plain = words.filter(letters);
  const rankOf = new Map<string, number>();
  words.forEach((w, r) => {
    if (!rankOf.has(w)) rankOf.set(w, r);
  });
  const rank = (w: string): number => rankOf.get(w) ?? words.length;
  const free = budget - pieces.size - 4 * 26 - 1;
  const capCount = Math.round(free * 0.12);
  const bareCount = Math.round(free * 0.1);
  const pieceBudget = Math.round(free * 0.13);
  const lowerCount = free - capCount - bareCount - pieceBudget;
  for (const w of plain.slice(0, lowerCount)) put(SP + w, zipf(rank(w)));
  // Capitalised forms are rarer than lowercase ones (sentence starts, names): a factor of ~4.
  for (const w of plain.slice(0, capCount)) put(SP + capitalize(w), zipf(rank(w)) - Math.log(4));
  // Bare forms: rarer still (a factor of ~20).
  for (const w of plain.slice(0, bareCount)) if (w.length > 1) put(w, zipf(rank(w)) - Math.log(20));

  // Sub-word pieces learned from the words that will be split.
  const tail = plain.slice(lowerCount, lowerCount + TAIL_WORDS);
  const { inner, initial } = countPieces(tail, 8);
  const nInitial = Math.round(pieceBudget * 0.4);
  const scoreFromCount = (c: number): number => zipf(tail.length) - Math.log(1 + 1000 / c);
  const initialTop = topPieces(initial, nInitial);
  for (const [p] of initialTop) put(SP + p, scoreFromCount(initial.get(p) ?? 1));
  for (const [p] of topPieces(inner, pieceBudget - initialTop.length)) put(p, scoreFromCount(inner.get(p) ?? 1));

  // Single letters (lower and upper, bare and word-initial) and ▁ alone: lowest scores.
  const floor = zipf(words.length) - 4;
  for (let i = 0; i < 26; i++) {
    const lo = String.fromCharCode(97 + i);
    const up = String.fromCharCode(65 + i);
    put(lo, floor);
    put(up, floor - 1);
    put(SP + lo, floor);
    put(SP + up, floor - 1);
  }
  put(SP, floor);

  // Trim or fill to the budget: drop the lowest-scored word pieces, or add further words.
  let ranked = [...pieces].sort(byScoreThenString);
  if (ranked.length < budget) {
    for (const w of plain.slice(lowerCount)) {
      if (pieces.size >= budget) break;
      if (!pieces.has(SP + w)) pieces.set(SP + w, zipf(rank(w)));
    }
    ranked = [...pieces].sort(byScoreThenString);
  }
  if (ranked.length > budget) {
    // Keep every single-character piece (coverage); drop the lowest-scored longer ones.
    const keep = ranked.filter(([p]) => [...p].length === 1 || (p.startsWith(SP) && [...p].length === 2));
    const rest = ranked.filter(([p]) => !([...p].length === 1 || (p.startsWith(SP) && [...p].length === 2)));
    ranked = [...keep, ...rest.slice(0, budget - keep.length)].sort(byScoreThenString);
  }
  const out: Array<[string, number]> = [
    [XLMR_SPECIAL.bos, 0],
    [XLMR_SPECIAL.pad, 0],
    [XLMR_SPECIAL.eos, 0],
    [XLMR_SPECIAL.unk, 0],
    // Scores are stored as float32 values in the real files; round the same way so they survive a JSON round trip.
    ...ranked.map(([p, s]): [string, number] => [p, Math.fround(s)]),
    [XLMR_SPECIAL.mask, 0],
  ];
  if (out.length !== size) throw new Error(`Unigram vocabulary: built ${out.length} pieces, wanted ${size}`);
  return out;
}

/** The three tokenizer files of an XLM-R-style Unigram tokenizer over `vocab` (from `buildUnigramVocab`). */
export function unigramTokenizerFiles(vocab: ReadonlyArray<[string, number]>, modelMaxLength: number): TokenizerFiles {
  const maskId = vocab.length - 1;
  if (vocab[0][0] !== '<s>' || vocab[1][0] !== '<pad>' || vocab[2][0] !== '</s>' || vocab[3][0] !== '<unk>' || vocab[maskId][0] !== '<mask>') {
    throw new Error('Unigram vocabulary must start with <s> <pad> </s> <unk> and end with <mask>');
  }
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(0, '<s>'), addedToken(1, '<pad>'), addedToken(2, '</s>'), addedToken(3, '<unk>'), addedToken(maskId, '<mask>', true)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: SP, add_prefix_space: true, prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: {
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: { type: 'Metaspace', replacement: SP, add_prefix_space: true, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
  const special = { bos_token: '<s>', cls_token: '<s>', eos_token: '</s>', mask_token: '<mask>', pad_token: '<pad>', sep_token: '</s>', unk_token: '<unk>' };
  const config = {
    bos_token: '<s>',
    clean_up_tokenization_spaces: true,
    cls_token: '<s>',
    eos_token: '</s>',
    mask_token: '<mask>',
    model_max_length: modelMaxLength,
    pad_token: '<pad>',
    sep_token: '</s>',
    tokenizer_class: 'XLMRobertaTokenizer',
    unk_token: '<unk>',
  };
  return { 'tokenizer.json': tokenizer, 'tokenizer_config.json': config, 'special_tokens_map.json': special };
}
