/**
 * Tensor element types and tensor contents for initializers: either a typed array in memory or a
 * `TensorSource` that generates its little-endian bytes on demand (large weights, streamed to disk).
 */
import os from 'node:os';
import type { LazyBytes } from './protobuf.js';

/** Element types rbench writes (ONNX `TensorProto.DataType` codes in `ONNX_DATA_TYPE`). */
export type DataType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool' | 'float64';

export const ONNX_DATA_TYPE: Readonly<Record<DataType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export const BYTES_PER_ELEMENT: Readonly<Record<DataType, number>> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float64: 8,
};

export type TensorArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** Tensor contents produced on demand: `byteLength` bytes of `dataType` elements, little-endian. */
export interface TensorSource extends LazyBytes {
  readonly dataType: DataType;
}

export function isTensorSource(x: unknown): x is TensorSource {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && 'dataType' in x && 'emit' in x;
}

/** The ONNX element type of a typed array (Uint8Array is uint8; use `{ dataType: 'bool' }` sources for bool). */
export function dataTypeOf(a: TensorArray): DataType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int8Array) return 'int8';
  return 'uint8';
}

if (os.endianness() !== 'LE') {
  // ONNX raw_data is little-endian; typed arrays use the host order.
  throw new Error('rbench writes ONNX tensors from typed arrays and needs a little-endian host');
}

/** Wraps an in-memory typed array as a tensor source (a byte view, no copy). */
export function arraySource(a: TensorArray): TensorSource {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return { dataType: dataTypeOf(a), byteLength: bytes.byteLength, emit: (write) => write(bytes) };
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor dimension ${d} is not a non-negative integer`);
    n *= d;
  }
  return n;
}

/**
 * A float32 source that fills `count` elements chunk by chunk with `fill(chunk, start)` (start = index of the
 * chunk's first element). Memory stays at one chunk whatever the tensor size. `fill` must be deterministic
 * and must not depend on the chunking if the bytes are to be reproducible across chunk sizes.
 */
export function generatedFloat32(count: number, fill: (chunk: Float32Array, start: number) => void, chunkElements = 1 << 20): TensorSource {
  return {
    dataType: 'float32',
    byteLength: count * 4,
    emit(write) {
      const buf = new Float32Array(Math.min(chunkElements, Math.max(count, 1)));
      for (let start = 0; start < count; start += buf.length) {
        const n = Math.min(buf.length, count - start);
        const view = n === buf.length ? buf : buf.subarray(0, n);
        fill(view, start);
        // A fresh copy per chunk is not needed: writers consume the chunk synchronously.
        write(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      }
    },
  };
}
