import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createAnalyzer,
  ENGLISH_STOP_WORDS,
  lowerCasePerCodePoint,
  PorterStemmer,
  porterStem,
  simpleTokenize,
  standardTokenize,
  stripPossessive,
} from '../../src/retrieval/analysis/index.js';
import { itShared, sharedCollections } from '../helpers/shared.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const porterDir = path.join(here, '..', 'fixtures', 'porter');
const shared = sharedCollections(['cisi', 'cacm']);

function tokens(tokenize: typeof standardTokenize, text: string): string[] {
  const out: string[] = [];
  tokenize(text, (t, s, e) => out.push(t.slice(s, e)));
  return out;
}

describe('Porter stemmer (Lucene PorterStemFilter = Martin Porter reference C version)', () => {
  it("stems every word of Porter's published vocabulary to his published output (voc.txt → output.txt)", () => {
    const voc = readFileSync(path.join(porterDir, 'voc.txt'), 'utf8').split('\n');
    const out = readFileSync(path.join(porterDir, 'output.txt'), 'utf8').split('\n');
    if (voc.at(-1) === '') voc.pop();
    if (out.at(-1) === '') out.pop();
    expect(voc.length).toBe(23516);
    expect(out.length).toBe(voc.length);
    const stemmer = new PorterStemmer();
    const wrong: string[] = [];
    for (let i = 0; i < voc.length; i++) {
      const got = stemmer.stem(voc[i]);
      if (got !== out[i]) wrong.push(`${voc[i]} → ${got}, expected ${out[i]}`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(wrong.length).toBe(0);
  });

  it("has the C version's departures from the 1980 paper that Lucene keeps", () => {
    // Words of one or two letters are left alone; a suffix may be the whole word.
    expect(['a', 'is', 'as', 'us', 'ie'].map(porterStem)).toEqual(['a', 'is', 'as', 'us', 'ie']);
    expect(['ies', 'sses', 'eed', 'ing'].map(porterStem)).toEqual(['i', 'ss', 'eed', 'ing']);
    // Step 2: -bli → -ble (the paper has -abli → -able) and the extra -logi → -log.
    expect(porterStem('possibli')).toBe(porterStem('possible'));
    expect(porterStem('analogi')).toBe('analog');
  });

  it('keeps non-ASCII letters as consonants and leaves a reused buffer clean', () => {
    const s = new PorterStemmer();
    expect(s.stem('generalizations')).toBe('gener');
    expect(s.stem('cat')).toBe('cat'); // a short word after a long one must not see stale buffer content
    expect(s.stem('naïvety')).toBe('naïveti');
  });
});

describe('Lucene EnglishAnalyzer pieces', () => {
  it('has exactly the 33 stop words of EnglishAnalyzer.ENGLISH_STOP_WORDS_SET', () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(33);
    for (const w of ['a', 'an', 'and', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'will', 'with', 'such', 'no', 'not']) {
      expect(ENGLISH_STOP_WORDS.has(w)).toBe(true);
    }
    expect(ENGLISH_STOP_WORDS.has('we')).toBe(false);
  });

  it("strips the possessive 's like EnglishPossessiveFilter ('  ’  ＇ and s or S)", () => {
    expect(["children's", 'JOHN’S', 'x＇s', 'its', "'s", 's'].map(stripPossessive)).toEqual(['children', 'JOHN', 'x', 'its', '', 's']);
  });

  it('lower-cases per code point as Character.toLowerCase (no final sigma, İ → i)', () => {
    expect(lowerCasePerCodePoint('ΟΔΟΣ')).toBe('οδοσ');
    expect('ΟΔΟΣ'.toLowerCase()).toBe('οδος'); // what a context-sensitive lower case would give
    expect(lowerCasePerCodePoint('İSTANBUL')).toBe('istanbul');
    expect(lowerCasePerCodePoint('MiXeD 123')).toBe('mixed 123');
  });
});

describe('StandardTokenizer (UAX#29)', () => {
  it('keeps the cases MACHINE-NOTES compared with Lucene as single tokens', () => {
    expect(tokens(standardTokenize, 'about 0.05 and 1,000 in the U.S. e.g. foo_bar don’t')).toEqual([
      'about', '0.05', 'and', '1,000', 'in', 'the', 'U.S', 'e.g', 'foo_bar', 'don’t',
    ]);
  });

  it('applies the UAX#29 joining rules', () => {
    expect(tokens(standardTokenize, "a:b 3.14.15 1;2 O'Neil's x--y A-1 a.1 1.a AT&T ab:cd: _a __ a_ $1.5m p<0.05")).toEqual([
      'a:b', '3.14.15', '1;2', "O'Neil's", 'x', 'y', 'A', '1', 'a', '1', '1', 'a', 'AT', 'T', 'ab:cd', '_a', 'a_', '1.5m', 'p', '0.05',
    ]);
  });

  it('follows Lucene where ICU differs: one token per ideograph, whole Thai runs, no connector-only tokens', () => {
    expect(tokens(standardTokenize, '東京都 ภาษาไทย ＿＿ café')).toEqual(['東', '京', '都', 'ภาษาไทย', 'café']);
  });

  it('cuts tokens longer than 255 UTF-16 units like Lucene ≥ 7', () => {
    const t = tokens(standardTokenize, `${'x'.repeat(600)} ok`);
    expect(t.map((s) => s.length)).toEqual([255, 255, 90, 2]);
  });

  itShared(
    shared,
    'ASCII fast path agrees with Intl.Segmenter token for token on a real collection (CISI, CACM)',
    () => {
      const seg = new Intl.Segmenter('en', { granularity: 'word' });
      for (const name of ['cisi', 'cacm']) {
        const lines = readFileSync(path.join(shared.path(name), 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean);
        let compared = 0;
        for (const line of lines) {
          const doc = JSON.parse(line) as { title: string; text: string };
          const text = `${doc.title} ${doc.text}`;
          const icu = [...seg.segment(text)].filter((s) => s.isWordLike && /[\p{L}\p{N}]/u.test(s.segment)).map((s) => `${s.index}:${s.segment}`);
          const ours: string[] = [];
          standardTokenize(text, (t, s, e) => ours.push(`${s}:${t.slice(s, e)}`));
          expect(ours).toEqual(icu);
          compared += ours.length;
        }
        expect(compared).toBeGreaterThan(100_000);
      }
    },
  );
});

describe('analyzers', () => {
  it('english: possessive, lower case, stop words, Porter', () => {
    const a = createAnalyzer('english');
    expect(a.analyze("The children's Relational DATABASES aren't in the U.S.")).toEqual(['children', 'relat', 'databas', "aren't", 'u.']);
    // A second pass comes from the token cache and must give the same terms.
    expect(a.analyze("The children's Relational DATABASES aren't in the U.S.")).toEqual(['children', 'relat', 'databas', "aren't", 'u.']);
  });

  it('simple: the reference note examples (U.S. → u s, don’t → don t, 1.2 → 1 2, CD33’s → cd33 s)', () => {
    const a = createAnalyzer('simple');
    expect(tokens(simpleTokenize, 'U.S. don’t 1.2 CD33’s under_score café')).toEqual(['U', 'S', 'don', 't', '1', '2', 'CD33', 's', 'under', 'score', 'café']);
    expect(a.analyze('The U.S. don’t 1.2 CD33’s hopping')).toEqual(['u', 's', 'don', 't', '1', '2', 'cd33', 's', 'hop']);
  });

  it('reports terms in order with repeats', () => {
    const a = createAnalyzer('english');
    const seen: string[] = [];
    a.forEachTerm('cats cat CATS', (t) => seen.push(t));
    expect(seen).toEqual(['cat', 'cat', 'cat']);
  });
});
