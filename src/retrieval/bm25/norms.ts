/**
 * Lucene's one-byte document-length norms (Lucene ≥ 7, `SmallFloat.intToByte4` / `byte4ToInt`), which
 * Anserini's BM25 sees instead of exact lengths: lengths 0-23 are exact; above, `24 + v` keeps the 4 most
 * significant bits of `v = length - 24` (3 stored, 1 implicit), rounding down. So 24..39 are exact, then
 * steps of 2, 4, 8... (e.g. 100 → 96, 300 → 280). BM25Similarity scores with `LENGTH_TABLE[norm]`.
 */

/** `SmallFloat.longToInt4`: 4-bit-mantissa float encoding of a non-negative integer, truncating. */
function longToInt4(i: number): number {
  const numBits = 32 - Math.clz32(i); // i < 2^31
  if (numBits < 4) return i; // subnormal
  const shift = numBits - 4;
  let encoded = (i >>> shift) & 0x07; // drop the implicit leading bit
  encoded |= (shift + 1) << 3;
  return encoded;
}

/** `SmallFloat.int4ToLong`. */
function int4ToLong(i: number): number {
  const bits = i & 0x07;
  const shift = (i >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
}

const MAX_INT4 = longToInt4(2 ** 31 - 1);
/** Lengths below this are stored exactly (24). */
export const NUM_FREE_VALUES = 255 - MAX_INT4;

/** `SmallFloat.intToByte4`: the norm byte (0-255) of a field length. */
export function intToByte4(length: number): number {
  if (length < 0 || !Number.isInteger(length)) throw new RangeError(`field length must be a non-negative integer, got ${length}`);
  if (length < NUM_FREE_VALUES) return length;
  return NUM_FREE_VALUES + longToInt4(length - NUM_FREE_VALUES);
}

/** `SmallFloat.byte4ToInt`: the length a norm byte stands for. */
export function byte4ToInt(norm: number): number {
  return norm < NUM_FREE_VALUES ? norm : NUM_FREE_VALUES + int4ToLong(norm - NUM_FREE_VALUES);
}

/** BM25Similarity's `LENGTH_TABLE`: decoded length of each of the 256 norm values. */
export const LENGTH_TABLE: Float64Array = Float64Array.from({ length: 256 }, (_, i) => byte4ToInt(i));

/** The length BM25 sees for a field of `length` tokens under Lucene's norms. */
export function quantizedLength(length: number): number {
  return LENGTH_TABLE[intToByte4(length)];
}
