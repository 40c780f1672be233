/**
 * Deterministic weights: a seeded PRNG (sfc32, 32-bit state words, fast in JS) and normally distributed
 * float32 tensor sources via the Box–Muller transform. Each tensor draws from its own stream seeded by
 * sha256(model seed + tensor name), so a tensor's values do not depend on which other tensors exist or on the
 * order they are written in. Math.log/sqrt/cos/sin are V8's fdlibm ports, so the bytes are the same on every
 * machine running the same Node major version.
 */
import { createHash } from 'node:crypto';
import { generatedFloat32, type TensorSource } from '../onnx/index.js';

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): uniform 32-bit integers. */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12) | 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in (0, 1): never 0, so log() is finite. */
  nextOpen01(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }
}

/** How a parameter tensor is initialised. */
export type Init =
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'constant'; value: number };

/**
 * A float32 source of `count` values drawn from `init` with the stream named `seed`. Regenerated from the
 * start each time it is emitted (so writing twice gives the same bytes); memory is one chunk.
 */
export function randomFloat32(seed: string, count: number, init: Init): TensorSource {
  if (init.kind === 'constant') {
    const v = init.value;
    return generatedFloat32(count, (chunk) => chunk.fill(v));
  }
  const { std } = init;
  const mean = init.mean ?? 0;
  let rng = new Sfc32(seed);
  let spare = NaN;
  return generatedFloat32(count, (chunk, start) => {
    if (start === 0) {
      rng = new Sfc32(seed);
      spare = NaN;
    }
    let i = 0;
    const n = chunk.length;
    if (!Number.isNaN(spare) && n > 0) {
      chunk[i++] = mean + std * spare;
      spare = NaN;
    }
    for (; i + 1 < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(rng.nextOpen01()));
      const th = 2 * Math.PI * rng.nextOpen01();
      chunk[i] = mean + std * r * Math.cos(th);
      chunk[i + 1] = mean + std * r * Math.sin(th);
    }
    if (i < n) {
      const r = Math.sqrt(-2 * Math.log(rng.nextOpen01()));
      const th = 2 * Math.PI * rng.nextOpen01();
      chunk[i] = mean + std * r * Math.cos(th);
      spare = r * Math.sin(th);
    }
  });
}
