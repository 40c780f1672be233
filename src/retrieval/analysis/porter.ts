/**
 * The Porter stemmer exactly as Lucene's `PorterStemFilter` applies it, which is Martin Porter's own
 * reference C implementation (tartarus.org/martin/PorterStemmer, "ANSI C thread-safe" version), not the
 * 1980 paper verbatim and not Porter2/Snowball "english". The departures from the paper that both carry:
 * - words of one or two characters are returned unchanged;
 * - step 2 rewrites `-bli` → `-ble` (the paper has `-abli` → `-able`) and adds `-logi` → `-log`;
 * - a suffix may match the whole word (`ies` → `i`, `sses` → `ss`, `eed` stays because m = 0).
 *
 * Hand-written from the algorithm because no npm package matches Lucene token for token: `stemmer` 2.x
 * differs on whole-word suffixes (`eed`, `ies`, `sses`) and on consonant + `yy` + `ed`/`ing`, and
 * wink-nlp-utils' `stem` is Porter2, a different algorithm (thousands of SciFact word types differ).
 * Checked against Porter's published vocabulary (`test/fixtures/porter/`), every word equal.
 *
 * Input is expected in lower case (Lucene lower-cases first). Characters other than a-z are consonants,
 * as in the C and Java versions. The stemmer works in place on a reusable UTF-16 buffer, so one call
 * allocates only the result string.
 */

const A = 0x61;
const E = 0x65;
const I = 0x69;
const O = 0x6f;
const U = 0x75;
const Y = 0x79;
const L = 0x6c;
const S = 0x73;
const Z = 0x7a;
const T = 0x74;
const W = 0x77;
const X = 0x78;

function codes(s: string): Uint16Array {
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Suffixes and replacements as code arrays, built once.
const SSES = codes('sses');
const IES = codes('ies');
const EED = codes('eed');
const ED = codes('ed');
const ING = codes('ing');
const AT = codes('at');
const BL = codes('bl');
const IZ = codes('iz');
const ATE = codes('ate');
const BLE = codes('ble');
const IZE = codes('ize');
const ONE_I = codes('i');
const ONE_E = codes('e');
const ONE_Y = codes('y');

/** Step 2 rules by the penultimate letter: [suffix, replacement] tried in order; the first match decides. */
const STEP2: Record<string, [Uint16Array, Uint16Array][]> = rules({
  a: [['ational', 'ate'], ['tional', 'tion']],
  c: [['enci', 'ence'], ['anci', 'ance']],
  e: [['izer', 'ize']],
  l: [['bli', 'ble'], ['alli', 'al'], ['entli', 'ent'], ['eli', 'e'], ['ousli', 'ous']],
  o: [['ization', 'ize'], ['ation', 'ate'], ['ator', 'ate']],
  s: [['alism', 'al'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous']],
  t: [['aliti', 'al'], ['iviti', 'ive'], ['biliti', 'ble']],
  g: [['logi', 'log']],
});

/** Step 3 rules by the last letter. */
const STEP3: Record<string, [Uint16Array, Uint16Array][]> = rules({
  e: [['icate', 'ic'], ['ative', ''], ['alize', 'al']],
  i: [['iciti', 'ic']],
  l: [['ical', 'ic'], ['ful', '']],
  s: [['ness', '']],
});

/** Step 4 suffixes by the penultimate letter (removed when m > 1); `ion` also needs s or t before it. */
const STEP4: Record<string, Uint16Array[]> = Object.fromEntries(
  Object.entries({
    a: ['al'],
    c: ['ance', 'ence'],
    e: ['er'],
    i: ['ic'],
    l: ['able', 'ible'],
    n: ['ant', 'ement', 'ment', 'ent'],
    o: ['ion', 'ou'],
    s: ['ism'],
    t: ['ate', 'iti'],
    u: ['ous'],
    v: ['ive'],
    z: ['ize'],
  }).map(([k, list]) => [k, list.map(codes)]),
);

function rules(table: Record<string, [string, string][]>): Record<string, [Uint16Array, Uint16Array][]> {
  const out: Record<string, [Uint16Array, Uint16Array][]> = {};
  for (const [k, list] of Object.entries(table)) out[k] = list.map(([s, r]) => [codes(s), codes(r)]);
  return out;
}

/** Lucene/Porter-C stemmer with a reusable buffer. Not safe for concurrent use of one instance (JS is not concurrent). */
export class PorterStemmer {
  private b = new Uint16Array(64);
  /** Index of the last character of the current word. */
  private k = 0;
  /** End of the stem before the suffix last matched by `ends` (inclusive index). */
  private j = 0;

  /** The stem of a lower-case word. */
  stem(word: string): string {
    const n = word.length;
    if (n <= 2) return word;
    if (n > this.b.length) this.b = new Uint16Array(n * 2);
    const b = this.b;
    for (let i = 0; i < n; i++) b[i] = word.charCodeAt(i);
    this.k = n - 1;
    this.step1ab();
    this.step1c();
    this.step2();
    this.step3();
    this.step4();
    this.step5();
    const len = this.k + 1;
    if (len === n) {
      // Unchanged length can still mean a changed letter (step 1c's y → i): compare before reusing the input.
      let same = true;
      for (let i = 0; i < n; i++) {
        if (b[i] !== word.charCodeAt(i)) {
          same = false;
          break;
        }
      }
      if (same) return word;
    }
    return String.fromCharCode.apply(null, b.subarray(0, len) as unknown as number[]);
  }

  /** true when b[i] is a consonant: not a, e, i, o, u, and y only when it follows a vowel or starts the word. */
  private cons(i: number): boolean {
    const c = this.b[i];
    if (c === A || c === E || c === I || c === O || c === U) return false;
    if (c === Y) return i === 0 ? true : !this.cons(i - 1);
    return true;
  }

  /** m, the number of VC sequences in b[0..j]: [C](VC)^m[V]. */
  private m(): number {
    let n = 0;
    let i = 0;
    const j = this.j;
    for (;;) {
      if (i > j) return n;
      if (!this.cons(i)) break;
      i++;
    }
    i++;
    for (;;) {
      for (;;) {
        if (i > j) return n;
        if (this.cons(i)) break;
        i++;
      }
      i++;
      n++;
      for (;;) {
        if (i > j) return n;
        if (!this.cons(i)) break;
        i++;
      }
      i++;
    }
  }

  /** true when b[0..j] contains a vowel. */
  private vowelInStem(): boolean {
    for (let i = 0; i <= this.j; i++) if (!this.cons(i)) return true;
    return false;
  }

  /** true when b[j-1..j] is a double consonant. */
  private doublec(j: number): boolean {
    if (j < 1) return false;
    if (this.b[j] !== this.b[j - 1]) return false;
    return this.cons(j);
  }

  /** true when b[i-2..i] is consonant-vowel-consonant and the last is not w, x or y (hop, not snow). */
  private cvc(i: number): boolean {
    if (i < 2 || !this.cons(i) || this.cons(i - 1) || !this.cons(i - 2)) return false;
    const c = this.b[i];
    return !(c === W || c === X || c === Y);
  }

  /** true when b[0..k] ends with s (the whole word may be s); sets j to the index before the suffix. */
  private ends(s: Uint16Array): boolean {
    const l = s.length;
    const o = this.k - l + 1;
    if (o < 0) return false;
    const b = this.b;
    for (let i = 0; i < l; i++) if (b[o + i] !== s[i]) return false;
    this.j = this.k - l;
    return true;
  }

  /** Replaces b[j+1..k] by s. */
  private setto(s: Uint16Array): void {
    const l = s.length;
    const o = this.j + 1;
    for (let i = 0; i < l; i++) this.b[o + i] = s[i];
    this.k = this.j + l;
  }

  /** setto(s) when m > 0. */
  private r(s: Uint16Array): void {
    if (this.m() > 0) this.setto(s);
  }

  /** Plurals and -ed/-ing: caresses → caress, ponies → poni, feed → feed, agreed → agree, hoping → hope. */
  private step1ab(): void {
    const b = this.b;
    if (b[this.k] === S) {
      if (this.ends(SSES)) this.k -= 2;
      else if (this.ends(IES)) this.setto(ONE_I);
      else if (b[this.k - 1] !== S) this.k--;
    }
    if (this.ends(EED)) {
      if (this.m() > 0) this.k--;
    } else if ((this.ends(ED) || this.ends(ING)) && this.vowelInStem()) {
      this.k = this.j;
      if (this.ends(AT)) this.setto(ATE);
      else if (this.ends(BL)) this.setto(BLE);
      else if (this.ends(IZ)) this.setto(IZE);
      else if (this.doublec(this.k)) {
        const ch = b[this.k];
        this.k--;
        if (ch === L || ch === S || ch === Z) this.k++;
      } else if (this.m() === 1 && this.cvc(this.k)) this.setto(ONE_E);
    }
  }

  /** Terminal y → i when there is another vowel in the stem. */
  private step1c(): void {
    if (this.ends(ONE_Y) && this.vowelInStem()) this.b[this.k] = I;
  }

  /** Double suffixes to single ones when m > 0 (-ization → -ize, -bli → -ble, -logi → -log ...). */
  private step2(): void {
    if (this.k === 0) return;
    const list = STEP2[String.fromCharCode(this.b[this.k - 1])];
    if (list === undefined) return;
    for (const [suffix, repl] of list) {
      if (this.ends(suffix)) {
        this.r(repl);
        return;
      }
    }
  }

  /** -ic-, -full, -ness and similar when m > 0. */
  private step3(): void {
    const list = STEP3[String.fromCharCode(this.b[this.k])];
    if (list === undefined) return;
    for (const [suffix, repl] of list) {
      if (this.ends(suffix)) {
        this.r(repl);
        return;
      }
    }
  }

  /** Removes -ant, -ence, -ment ... when m > 1 (in context <c>vcvc<v>). */
  private step4(): void {
    if (this.k === 0) return;
    const c = String.fromCharCode(this.b[this.k - 1]);
    const list = STEP4[c];
    if (list === undefined) return;
    let matched = false;
    for (const suffix of list) {
      if (this.ends(suffix)) {
        // -ion only after s or t; when that fails the C code goes on to try -ou.
        if (suffix === STEP4.o[0] && !(this.j >= 0 && (this.b[this.j] === S || this.b[this.j] === T))) continue;
        matched = true;
        break;
      }
    }
    if (matched && this.m() > 1) this.k = this.j;
  }

  /** Removes a final -e when m > 1 (or m = 1 and not *o), and -ll → -l when m > 1. */
  private step5(): void {
    const b = this.b;
    this.j = this.k;
    if (b[this.k] === E) {
      const a = this.m();
      if (a > 1 || (a === 1 && !this.cvc(this.k - 1))) this.k--;
    }
    if (b[this.k] === L && this.doublec(this.k) && this.m() > 1) this.k--;
  }
}

const shared = new PorterStemmer();

/** Stems one lower-case word with a shared stemmer instance. */
export function porterStem(word: string): string {
  return shared.stem(word);
}
