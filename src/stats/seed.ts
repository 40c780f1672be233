/**
 * Seeds for the statistics' random streams. Each procedure (a bootstrap of one system's metric, one
 * comparison's randomization test, …) draws from its own mulberry32 stream, seeded from the user's seed
 * and the names that identify it, so a result depends only on the seed and its own data: adding a run,
 * dropping a metric or reordering the arguments leaves every other number unchanged.
 */

/** A 32-bit seed from the user's seed and the parts naming a procedure (FNV-1a over their UTF-16 code units). */
export function deriveSeed(seed: number, ...parts: string[]): number {
  let h = 0x811c9dc5;
  const mix = (x: number): void => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  mix(seed >>> 0);
  for (const part of parts) {
    mix(0x1f); // separator: ("ab", "c") and ("a", "bc") differ
    for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
  }
  return h >>> 0;
}
