/**
 * mulberry32: a tiny seeded PRNG (uniform in [0, 1)) for reproducible samples and shuffles, so the same seed
 * times the same queries and benchmarks read the same generated files on every run. Not for cryptography,
 * and not for model weights (those use sfc32 streams in src/models/build/random.ts).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
