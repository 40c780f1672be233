/**
 * trec_eval's ranking order, used everywhere a ranking is produced or evaluated:
 * score descending; equal scores ordered by document id in DESCENDING byte order of its UTF-8 encoding
 * (C `strcmp`), so `9 > 7 > 11 > 1000 > 100 > 10 > 099`.
 *
 * UTF-8 byte order equals Unicode code point order. JavaScript's `<` compares UTF-16 code units, which
 * differs from code point order only when a surrogate (U+10000 and above) meets a BMP character in
 * U+E000..U+FFFF; `compareCodePoints` remaps the units so that case sorts correctly without encoding.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 && cb >= 0xd800) {
      // Surrogates (D800-DFFF) encode code points above every BMP unit: move them above E000-FFFF.
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    }
    return ca - cb;
  }
  return a.length - b.length;
}

/** Comparator for trec_eval order: higher score first, then greater document id (UTF-8 bytes) first. */
export function trecOrder(a: { id: string; score: number }, b: { id: string; score: number }): number {
  if (a.score !== b.score) return b.score > a.score ? 1 : -1;
  return compareCodePoints(b.id, a.id);
}

/** Sorts in place into trec_eval order and returns the array. */
export function sortTrec<T extends { id: string; score: number }>(docs: T[]): T[] {
  return docs.sort(trecOrder);
}
