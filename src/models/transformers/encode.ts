/**
 * Tokenisation for the transformers.js backends, with truncation done the way the Python tokenizers do it.
 *
 * Why not `tokenizer(query, {text_pair, truncation: true, max_length})`: transformers.js 4.3 truncates a
 * pair by cutting the *joined* sequence at max_length (tokenization_utils.js `truncateHelper`), which
 * drops the closing `[SEP]` / `</s>` the model was trained with. Here each text is tokenised without
 * special tokens, cut to its budget, and only then joined by the tokenizer's own post-processor
 * (TemplateProcessing, BertProcessing or RobertaProcessing from tokenizer.json), so special tokens and
 * token type ids are always the model's.
 *
 * Long documents are pre-cut before tokenisation so that tokenising a 50-page document does not dominate
 * the cost: the text is cut at a whitespace boundary after `CHARS_PER_TOKEN_BOUND × budget` characters,
 * and the cut is accepted only when the prefix still yields at least `budget` tokens; otherwise the cut
 * is doubled until it covers the text. Because every pre-tokenizer in use (BERT, Metaspace, ByteLevel)
 * splits at whitespace, the tokens of the words before the cut are those of the full text, so the
 * result is exactly the full text's first `budget` tokens. Tokenizers without a pre-tokenizer are never
 * pre-cut.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';

/** How a (query, document) pair that is too long is cut. */
export type Truncation = 'only_second' | 'longest_first';

/** Characters per token assumed when pre-cutting; generous (English WordPiece averages ~4–5). */
export const CHARS_PER_TOKEN_BOUND = 8;

/** One encoded sequence, before padding. */
export interface Encoded {
  ids: number[];
  /** Present when the post-processor assigns segment ids (BERT). */
  typeIds: number[] | undefined;
}

/** Padded int64 batch, row-major `[rows, length]`. */
export interface Batch {
  rows: number;
  length: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

/** Turns texts and (query, document) pairs into model inputs with a model's tokenizer. */
export class InputEncoder {
  private readonly canPreCut: boolean;
  /** Special tokens the post-processor adds around one text, and around a pair. */
  readonly specialsSingle: number;
  readonly specialsPair: number;
  private readonly unkId: number;
  private readonly padId: number;
  private readonly padLeft: boolean;

  constructor(private readonly tokenizer: PreTrainedTokenizer) {
    const inner = tokenizer._tokenizer;
    this.canPreCut = inner.pre_tokenizer !== null;
    this.specialsSingle = this.join(['a'], null).ids.length - 1;
    this.specialsPair = this.join(['a'], ['b']).ids.length - 2;
    this.unkId = tokenizer.unk_token_id ?? 0;
    this.padId = tokenizer.pad_token_id ?? 0;
    this.padLeft = tokenizer.padding_side === 'left';
  }

  /** Tokens of `text` without special tokens, all of them. */
  tokens(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }

  /**
   * The first `budget` tokens of `text` (all of them when fewer), computed on a pre-cut prefix when
   * the text is long (see the file comment for why the result equals the full text's first tokens).
   */
  headTokens(text: string, budget: number): string[] {
    if (budget <= 0) return [];
    let cut = budget * CHARS_PER_TOKEN_BOUND;
    while (this.canPreCut && cut < text.length) {
      const end = whitespaceCut(text, cut);
      if (end < 0) break;
      const toks = this.tokens(text.slice(0, end));
      if (toks.length >= budget) return toks.slice(0, budget);
      cut *= 2;
    }
    const all = this.tokens(text);
    return all.length > budget ? all.slice(0, budget) : all;
  }

  /**
   * Encodes a (query, document) pair in at most `maxLength` tokens including special tokens.
   * `queryTokens` are the query's tokens (tokenised once per query by the caller).
   * - `only_second`: the query is kept whole and the document cut; if the query alone leaves no room
   *   for a single document token it is cut as by `longest_first`.
   * - `longest_first` (Python's default): tokens are removed one at a time from the longer of the two,
   *   so the query stays whole whenever it is at most half of the room.
   */
  encodePair(queryTokens: string[], document: string, maxLength: number, truncation: Truncation): Encoded {
    const room = maxLength - this.specialsPair;
    if (room < 2) throw new Error(`maxLength ${maxLength} leaves no room for a pair (${this.specialsPair} special tokens)`);
    const q = queryTokens;
    const docBudget = room - q.length;
    if (truncation === 'longest_first' || docBudget < 1) {
      // The split depends on which is longer, so read one document token past max(room, query).
      const d = this.headTokens(document, Math.max(room, q.length) + 1);
      const [qKeep, dKeep] = longestFirst(q.length, d.length, room);
      return this.join(q.slice(0, qKeep), d.slice(0, dKeep));
    }
    return this.join(q, this.headTokens(document, docBudget));
  }

  /** Encodes one text (an embedder input) in at most `maxLength` tokens including special tokens. */
  encodeSingle(text: string, maxLength: number): Encoded {
    const room = maxLength - this.specialsSingle;
    if (room < 1) throw new Error(`maxLength ${maxLength} leaves no room for text (${this.specialsSingle} special tokens)`);
    return this.join(this.headTokens(text, room), null);
  }

  /** Adds the tokenizer's special tokens (its post-processor) and maps tokens to ids. */
  private join(a: string[], b: string[] | null): Encoded {
    const post = this.tokenizer._tokenizer.post_processor;
    let tokens: string[];
    let typeIds: number[] | undefined;
    if (post) {
      const out = post.post_process(a, b, true);
      tokens = out.tokens;
      typeIds = out.token_type_ids;
    } else {
      tokens = b ? a.concat(b) : a;
    }
    const inner = this.tokenizer._tokenizer;
    const ids = new Array<number>(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = inner.token_to_id(tokens[i]) ?? this.unkId;
    return { ids, typeIds };
  }

  /** Pads encodings to the longest one (with the tokenizer's pad id and padding side) as int64 tensors. */
  pad(encoded: readonly Encoded[]): Batch {
    const rows = encoded.length;
    let length = 0;
    for (const e of encoded) length = Math.max(length, e.ids.length);
    const inputIds = new BigInt64Array(rows * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(rows * length);
    const tokenTypeIds = new BigInt64Array(rows * length);
    for (let r = 0; r < rows; r++) {
      const { ids, typeIds } = encoded[r];
      const start = r * length + (this.padLeft ? length - ids.length : 0);
      for (let i = 0; i < ids.length; i++) {
        inputIds[start + i] = BigInt(ids[i]);
        attentionMask[start + i] = 1n;
        if (typeIds) tokenTypeIds[start + i] = BigInt(typeIds[i]);
      }
    }
    return { rows, length, inputIds, attentionMask, tokenTypeIds };
  }
}

/**
 * `longest_first` as the Rust tokenizers (the "fast" tokenizers sentence-transformers uses) compute it:
 * when both fit, nothing is cut; when only the longer must give way, the shorter is kept whole and the
 * longer gets the rest; when both must be cut, the shorter gets floor(room / 2) and the longer the
 * remainder. Returns how many tokens of the query and of the document are kept.
 */
export function longestFirst(qLen: number, dLen: number, room: number): [number, number] {
  if (qLen + dLen <= room) return [qLen, dLen];
  const swap = qLen > dLen;
  let n1 = swap ? dLen : qLen;
  let n2: number;
  n2 = n1 > room ? n1 : Math.max(n1, room - n1);
  if (n1 + n2 > room) {
    n1 = Math.floor(room / 2);
    n2 = n1 + (room % 2);
  }
  const [qCap, dCap] = swap ? [n2, n1] : [n1, n2];
  return [Math.min(qLen, qCap), Math.min(dLen, dCap)];
}

/** Index of the whitespace at or before `at` (searching back at most half of `at`), or -1. */
function whitespaceCut(text: string, at: number): number {
  const floor = Math.floor(at / 2);
  for (let i = Math.min(at, text.length - 1); i >= floor; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000) return i;
  }
  return -1;
}
