/**
 * The text analysis of the GloVe models, shared by the reference scorers, the vocabulary builder and the
 * `tokenizer.json` they ship (which must reproduce it token for token; a test checks that on real text).
 *
 * Analysis = lower-case (JavaScript `toLowerCase`, full Unicode case mapping; the `Lowercase` normalizer
 * of transformers.js calls the same function), then tokens = maximal runs of Unicode letters and digits
 * (`[\p{L}\p{N}]+`, the "simple analyzer" of BM25-REFERENCE.md without stemming: GloVe has a vector per
 * surface form, so stemming would only lose information).
 *
 * Decisions and why:
 * - Punctuation separates tokens and is dropped. GloVe has vectors for `,` `.` `(` etc. but they carry no
 *   topic and would dominate an average.
 * - Hyphens and apostrophes separate too: `e-mail` gives `e`, `mail`; `don't` gives `don`, `t`; the
 *   possessive `CD33's` gives `cd33`, `s`. The fragments `s`, `t`, `don`, `ll`, `ve`, ... are stop words
 *   (they are in NLTK's list for exactly this reason), so possessives and contractions cost nothing.
 * - Numbers stay tokens. The wink package dropped GloVe's pure numbers, so they have no vector: they weigh
 *   nothing in the SIF average but match exactly in MaxSim (a query for "1984" finds the documents with it).
 * - One-letter tokens other than the stop words `a`, `i`, `s`, `t`, `d`, `m`, `o`, `y` stay (`vitamin c`,
 *   `hepatitis b`); GloVe's one-letter words were dropped by the packager, so they match exactly only.
 */

/** A run of letters and digits; the same pattern goes into tokenizer.json's `Split` pre-tokenizer. */
export const TOKEN_PATTERN_SOURCE = '[\\p{L}\\p{N}]+';
const TOKEN_RE = new RegExp(TOKEN_PATTERN_SOURCE, 'gu');
const WORD_RE = new RegExp(`^${TOKEN_PATTERN_SOURCE}$`, 'u');

/** The analyzer's tokens of `text`, in order (no stop-word removal: stop words are vocabulary entries with weight 0). */
export function analyze(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

/** Whether `word` is a token the analyzer can produce (one run of letters/digits, already lower-case). */
export function isAnalyzerToken(word: string): boolean {
  return WORD_RE.test(word) && word.toLowerCase() === word;
}

/**
 * NLTK's English stop-word list (nltk_data `corpora/stopwords/english`, 179 entries) without its 26 forms
 * that contain an apostrophe (`don't`, `you're`, `should've`, ...): the analyzer splits at apostrophes, so
 * those forms never occur as tokens, and their fragments (`don`, `t`, `re`, `ve`, ...) are in the list.
 * 153 words.
 */
export const STOP_WORDS: readonly string[] = [
  'i', 'me', 'my', 'myself', 'we', 'our', 'ours', 'ourselves', 'you', 'your', 'yours', 'yourself', 'yourselves',
  'he', 'him', 'his', 'himself', 'she', 'her', 'hers', 'herself', 'it', 'its', 'itself', 'they', 'them', 'their',
  'theirs', 'themselves', 'what', 'which', 'who', 'whom', 'this', 'that', 'these', 'those', 'am', 'is', 'are',
  'was', 'were', 'be', 'been', 'being', 'have', 'has', 'had', 'having', 'do', 'does', 'did', 'doing', 'a', 'an',
  'the', 'and', 'but', 'if', 'or', 'because', 'as', 'until', 'while', 'of', 'at', 'by', 'for', 'with', 'about',
  'against', 'between', 'into', 'through', 'during', 'before', 'after', 'above', 'below', 'to', 'from', 'up',
  'down', 'in', 'out', 'on', 'off', 'over', 'under', 'again', 'further', 'then', 'once', 'here', 'there', 'when',
  'where', 'why', 'how', 'all', 'any', 'both', 'each', 'few', 'more', 'most', 'other', 'some', 'such', 'no', 'nor',
  'not', 'only', 'own', 'same', 'so', 'than', 'too', 'very', 's', 't', 'can', 'will', 'just', 'don', 'should',
  'now', 'd', 'll', 'm', 'o', 're', 've', 'y', 'ain', 'aren', 'couldn', 'didn', 'doesn', 'hadn', 'hasn', 'haven',
  'isn', 'ma', 'mightn', 'mustn', 'needn', 'shan', 'shouldn', 'wasn', 'weren', 'won', 'wouldn',
];

export const STOP_SET: ReadonlySet<string> = new Set(STOP_WORDS);
