/**
 * A minimal protobuf *encoder* for the handful of ONNX messages rbench writes.
 *
 * Why hand-written rather than protobufjs / onnx-proto: we only ever encode (never decode) about ten message
 * types, and model weights must be streamed: a bge-reranker-large stand-in holds 2.2 GB of float32 weights,
 * more than one protobuf (or one Node Buffer) may hold, so weight bytes are produced chunk by chunk while the
 * file is written. A generic library materialises every bytes field in memory first. Here a message is a list
 * of already-encoded small parts plus *lazy* byte fields whose length is known up front and whose content is
 * emitted on demand; sizes are computed without generating anything.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/): each field is a key `(field << 3) | wire`
 * followed by a varint (wire 0), a little-endian 32-bit value (wire 5) or a varint length + bytes (wire 2).
 * Negative int64 values are encoded as their 64-bit two's complement (10 varint bytes), as protobuf does.
 */

/** Bytes of known length produced on demand, in chunks (e.g. generated weights). */
export interface LazyBytes {
  readonly byteLength: number;
  /** Calls `write` with consecutive chunks whose lengths sum to exactly `byteLength`. */
  emit(write: (chunk: Uint8Array) => void): void;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

type Part = Uint8Array | LazyBytes | ProtoMessage;

const TEXT = new TextEncoder();

/** Number of bytes of the varint encoding of a non-negative integer < 2^64. */
function varintSize(value: bigint): number {
  let n = 1;
  let v = value;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Varint encoding of an int64 value (number or bigint); negative values as 64-bit two's complement. */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`varint: ${value} is not an integer`);
    if (value >= 0 && value < 0x80) return Uint8Array.of(value);
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      // Fast path without BigInt for the common non-negative case.
      const out: number[] = [];
      let v = value;
      while (v >= 0x80) {
        out.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      out.push(v);
      return Uint8Array.from(out);
    }
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer; pass a bigint`);
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const out = new Uint8Array(varintSize(v));
  let i = 0;
  while (v >= 0x80n) {
    out[i++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[i] = Number(v);
  return out;
}

function key(field: number, wire: number): Uint8Array {
  return encodeVarint(field * 8 + wire);
}

function partSize(p: Part): number {
  return p instanceof ProtoMessage ? p.byteLength : p.byteLength;
}

/**
 * One protobuf message under construction. Add fields in the order they should appear; nested messages must
 * be complete before they are added (their size is taken when the parent is measured, which is at emit time).
 */
export class ProtoMessage {
  private readonly parts: Part[] = [];

  /** Varint field (int32, int64, enum, bool). */
  varint(field: number, value: number | bigint | boolean): this {
    this.parts.push(key(field, WIRE_VARINT), encodeVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value));
    return this;
  }

  /** `float` field (wire type 5, IEEE-754 single, little-endian). */
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.parts.push(key(field, WIRE_FIXED32), b);
    return this;
  }

  /** UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT.encode(value));
  }

  /** Length-delimited bytes field, given in memory or lazily. */
  bytes(field: number, value: Uint8Array | LazyBytes): this {
    this.parts.push(key(field, WIRE_LEN), encodeVarint(value.byteLength), value);
    return this;
  }

  /** Embedded message field. */
  message(field: number, value: ProtoMessage): this {
    this.parts.push(key(field, WIRE_LEN), new LengthOf(value), value);
    return this;
  }

  /** Repeated varints, one key per element (proto2's default encoding, which onnx.proto uses). */
  repeatedVarints(field: number, values: ReadonlyArray<number | bigint>): this {
    for (const v of values) this.varint(field, v);
    return this;
  }

  /** Repeated floats, one key per element (proto2 default). */
  repeatedFloats(field: number, values: ReadonlyArray<number>): this {
    for (const v of values) this.float(field, v);
    return this;
  }

  /** Packed repeated varints (protobuf parsers accept packed and unpacked encodings of repeated scalars alike). */
  packedVarints(field: number, values: ReadonlyArray<number | bigint>): this {
    if (values.length === 0) return this;
    const encoded = values.map((v) => encodeVarint(v));
    const len = encoded.reduce((s, e) => s + e.length, 0);
    const body = new Uint8Array(len);
    let o = 0;
    for (const e of encoded) {
      body.set(e, o);
      o += e.length;
    }
    return this.bytes(field, body);
  }

  /** Packed repeated floats. */
  packedFloats(field: number, values: ReadonlyArray<number>): this {
    if (values.length === 0) return this;
    const body = new Uint8Array(values.length * 4);
    const dv = new DataView(body.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, body);
  }

  /** Encoded size in bytes (computed; nothing lazy is generated). */
  get byteLength(): number {
    let n = 0;
    for (const p of this.parts) n += partSize(p);
    return n;
  }

  /** Streams the encoding, chunk by chunk. */
  emit(write: (chunk: Uint8Array) => void): void {
    for (const p of this.parts) {
      if (p instanceof Uint8Array) write(p);
      else p.emit(write);
    }
  }

  /** The whole encoding in memory (small messages and tests only). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let o = 0;
    this.emit((c) => {
      out.set(c, o);
      o += c.length;
    });
    return out;
  }
}

/** The varint length prefix of a nested message, computed when emitted (the child is complete by then). */
class LengthOf implements LazyBytes {
  private cached: Uint8Array | undefined;
  constructor(private readonly msg: ProtoMessage) {}
  private bytes(): Uint8Array {
    this.cached ??= encodeVarint(this.msg.byteLength);
    return this.cached;
  }
  get byteLength(): number {
    return this.bytes().length;
  }
  emit(write: (chunk: Uint8Array) => void): void {
    write(this.bytes());
  }
}
