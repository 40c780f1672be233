/**
 * Tokenisation of the transformers.js backends (src/models/transformers/encode.ts) on the project's tiny
 * models (WordPiece / BERT template and Unigram / XLM-R template):
 * - untruncated pairs and single texts equal what transformers.js's own tokenizer call produces;
 * - truncation keeps the query and every special token (transformers.js 4.3 drops the closing one);
 * - `longest_first` reproduces the Rust tokenizers' table (huggingface/tokenizers, truncation.rs tests);
 * - pre-cutting long documents gives exactly the full text's first tokens (real SciFact text).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltModel } from '../../src/models/build/index.js';
import { CHARS_PER_TOKEN_BOUND, longestFirst, InputEncoder } from '../../src/models/transformers/encode.js';
import { configureOfflineEnv } from '../../src/models/transformers/runtime.js';
import { itShared, sharedCollections } from '../helpers/shared.js';

const shared = sharedCollections(['scifact']);

let modelsDir: string;
const tokenizers: Record<string, PreTrainedTokenizer> = {};

beforeAll(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-tf-encode-'));
  configureOfflineEnv(modelsDir);
  for (const alias of ['tiny-cross', 'tiny-cross-xlmr']) {
    const dir = ensureBuiltModel(alias, modelsDir);
    tokenizers[alias] = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  }
});
afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

/** SciFact documents (title + " " + text), read from the shared collection. */
function scifactDocs(n: number): string[] {
  const lines = fs.readFileSync(path.join(shared.path('scifact'), 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, n);
  return lines.map((l) => {
    const d = JSON.parse(l) as { title: string; text: string };
    return `${d.title} ${d.text}`;
  });
}

const QUERY = 'What do deep sequencing studies reveal about cancer mutations?';
const DOC = 'Whole-genome sequencing of 500 tumours identified recurrent mutations in TP53, KRAS and PIK3CA; naïve résumé café.';

describe.each(['tiny-cross', 'tiny-cross-xlmr'])('InputEncoder on %s', (alias) => {
  it('encodes a pair exactly as transformers.js does when nothing is cut', () => {
    const tok = tokenizers[alias];
    const enc = new InputEncoder(tok);
    const mine = enc.encodePair(enc.tokens(QUERY), DOC, 512, 'only_second');
    const ref = tok(QUERY, { text_pair: DOC, return_tensor: false, return_token_type_ids: true }) as unknown as { input_ids: number[]; token_type_ids?: number[] };
    expect(mine.ids).toEqual(ref.input_ids);
    if (alias === 'tiny-cross') expect(mine.typeIds).toEqual(ref.token_type_ids);
    const single = enc.encodeSingle(DOC, 512);
    expect(single.ids).toEqual((tok(DOC, { return_tensor: false }) as unknown as { input_ids: number[] }).input_ids);
  });

  it('cuts only the document and keeps every special token', () => {
    const tok = tokenizers[alias];
    const enc = new InputEncoder(tok);
    const qIds = (tok(QUERY, { return_tensor: false, add_special_tokens: false }) as unknown as { input_ids: number[] }).input_ids;
    const longDoc = Array.from({ length: 40 }, () => DOC).join(' ');
    const dIds = (tok(longDoc, { return_tensor: false, add_special_tokens: false }) as unknown as { input_ids: number[] }).input_ids;
    const maxLength = 48;
    const full = (tok(QUERY, { text_pair: longDoc, return_tensor: false }) as unknown as { input_ids: number[] }).input_ids;
    const mine = enc.encodePair(enc.tokens(QUERY), longDoc, maxLength, 'only_second');
    expect(mine.ids.length).toBe(maxLength);
    const budget = maxLength - enc.specialsPair - qIds.length;
    // The untruncated pair with the document's tail removed: query whole, closing special token kept.
    const expected = [...full.slice(0, full.length - dIds.length - 1), ...dIds.slice(0, budget), full[full.length - 1]];
    expect(mine.ids).toEqual(expected);
    // transformers.js' own truncation cuts the joined sequence and loses the closing special token.
    const theirs = (tok(QUERY, { text_pair: longDoc, truncation: true, max_length: maxLength, return_tensor: false }) as unknown as { input_ids: number[] }).input_ids;
    expect(theirs.length).toBe(maxLength);
    expect(theirs[maxLength - 1]).not.toBe(full[full.length - 1]);
  });

  it('cuts the query too (longest_first) only when it leaves the document no room', () => {
    const enc = new InputEncoder(tokenizers[alias]);
    const qTokens = enc.tokens(Array.from({ length: 10 }, () => QUERY).join(' '));
    const maxLength = 32;
    const room = maxLength - enc.specialsPair;
    expect(qTokens.length).toBeGreaterThan(room);
    const e = enc.encodePair(qTokens, DOC, maxLength, 'only_second');
    expect(e.ids.length).toBe(maxLength);
    const [q, d] = longestFirst(qTokens.length, enc.tokens(DOC).length, room);
    expect(q + d).toBe(room);
    expect(d).toBeGreaterThan(0);
  });

  itShared(shared, 'pre-cut long documents give exactly the full text’s first tokens (SciFact)', () => {
    const enc = new InputEncoder(tokenizers[alias]);
    const docs = scifactDocs(60);
    // Long documents: five SciFact abstracts joined, far beyond CHARS_PER_TOKEN_BOUND × budget characters.
    for (let i = 0; i + 5 <= docs.length; i += 5) {
      const text = docs.slice(i, i + 5).join('\n');
      const all = enc.tokens(text);
      for (const budget of [16, 64, 200]) {
        expect(text.length).toBeGreaterThan(budget * CHARS_PER_TOKEN_BOUND);
        expect(enc.headTokens(text, budget)).toEqual(all.slice(0, budget));
      }
    }
    // Texts whose first characters hold few tokens: long words (BERT makes one [UNK] of a word over 100
    // characters), so the cut must grow; and a run without any space, which is not pre-cut at all.
    for (const odd of [`${Array.from({ length: 40 }, () => 'x'.repeat(150)).join(' ')} ${docs[0]}`, `${'x'.repeat(3000)} ${docs[0]}`]) {
      expect(enc.headTokens(odd, 20)).toEqual(enc.tokens(odd).slice(0, 20));
    }
  });
});

describe('longestFirst', () => {
  it('reproduces the Rust tokenizers’ LongestFirst table (max_length 7)', () => {
    // huggingface/tokenizers, tokenizers/src/utils/truncation.rs, test truncate_encodings_longest_first:
    // lengths empty 0, short 2, medium 4, long 8.
    const cases: Array<[number, number, number, number]> = [
      [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
      [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
      [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
      [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
    ];
    for (const [a, b, n1, n2] of cases) expect(longestFirst(a, b, 7), `${a}, ${b}`).toEqual([n1, n2]);
  });
});
