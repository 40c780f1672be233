/**
 * log2(rank + 1) for 0-based index i, i.e. `LOG2[i] = Math.log2(i + 2)`: the DCG discount divisor.
 * Cached because every DCG sum needs the same values; the gain is divided by it (as trec_eval does),
 * not multiplied by a reciprocal, so the sums are bit-identical to trec_eval's.
 */
let table = new Float64Array(0);

export function log2Table(n: number): Float64Array {
  if (table.length < n) {
    const size = Math.max(n, table.length * 2, 1024);
    const t = new Float64Array(size);
    for (let i = 0; i < size; i++) t[i] = Math.log2(i + 2);
    table = t;
  }
  return table;
}
