/**
 * The ONNX writer: protobuf encoding against the protobuf documentation's examples, and round trips through
 * onnxruntime-node (the runtime transformers.js uses): hand-made graphs must load and compute the numbers
 * worked out by hand, inline and with external data, and regeneration must give identical bytes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  attr,
  encodeModel,
  encodeVarint,
  generatedFloat32,
  GraphBuilder,
  modelToBytes,
  ProtoMessage,
  PROTOBUF_LIMIT,
  writeModel,
  type TensorSource,
} from '../../src/models/onnx/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('protobuf encoding', () => {
  it('encodes varints as the protobuf documentation shows', () => {
    // https://protobuf.dev/programming-guides/encoding/: 1 → 01, 150 → 96 01, 300 → ac 02; int64 -1 → ten bytes.
    expect(hex(encodeVarint(1))).toBe('01');
    expect(hex(encodeVarint(150))).toBe('9601');
    expect(hex(encodeVarint(300))).toBe('ac02');
    expect(hex(encodeVarint(-1))).toBe('ffffffffffffffffff01');
    expect(hex(encodeVarint(-2n))).toBe('feffffffffffffffff01');
    expect(hex(encodeVarint(2 ** 40))).toBe(hex(encodeVarint(2n ** 40n)));
    expect(() => encodeVarint(1.5)).toThrow(/not an integer/);
  });

  it('encodes the documentation example messages', () => {
    // message Test1 { int32 a = 1; } with a = 150 → 08 96 01
    expect(hex(new ProtoMessage().varint(1, 150).toBytes())).toBe('089601');
    // message Test2 { string b = 2; } with b = "testing" → 12 07 74 65 73 74 69 6e 67
    expect(hex(new ProtoMessage().string(2, 'testing').toBytes())).toBe('120774657374696e67');
    // message Test3 { Test1 c = 3; } → 1a 03 08 96 01
    expect(hex(new ProtoMessage().message(3, new ProtoMessage().varint(1, 150)).toBytes())).toBe('1a03089601');
    // packed repeated int32 d = 4 [3, 270, 86942] → 22 06 03 8e 02 9e a7 05
    expect(hex(new ProtoMessage().packedVarints(4, [3, 270, 86942]).toBytes())).toBe('2206038e029ea705');
    // float field 1 = 1.0 → 0d 00 00 80 3f (wire type 5, little-endian IEEE-754)
    expect(hex(new ProtoMessage().float(1, 1).toBytes())).toBe('0d0000803f');
  });

  it('measures lazy fields without generating them', () => {
    let generated = 0;
    const lazy = { byteLength: 3_000_000_000, emit: () => void generated++ };
    const m = new ProtoMessage().bytes(9, lazy);
    expect(m.byteLength).toBe(1 + encodeVarint(3_000_000_000).length + 3_000_000_000);
    expect(generated).toBe(0);
  });
});

/** x [batch, 3] → relu(x·W + b) and mean over the row of (x·W + b). */
function denseGraph(): GraphBuilder {
  const g = new GraphBuilder('dense');
  const x = g.input('x', 'float32', ['batch_size', 3]);
  const w = g.initializer('w', Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
  const b = g.initializer('b', Float32Array.of(0.5, -1), [2]);
  const y = g.op('Add', [g.op('MatMul', [x, w]), b]);
  g.op('Relu', [y], {}, { outputs: ['relu'] });
  g.op('ReduceMean', [y], { axes: [1], keepdims: 0 }, { outputs: ['mean'] });
  g.output('relu', 'float32', ['batch_size', 2]);
  g.output('mean', 'float32', ['batch_size']);
  return g;
}

async function runDense(model: string | Uint8Array): Promise<{ relu: number[]; mean: number[] }> {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 0, -1, 2, 1, 0, 0, 0, 1), [3, 3]) });
  await s.release();
  return { relu: Array.from(out.relu.data as Float32Array), mean: Array.from(out.mean.data as Float32Array) };
}

// By hand: rows x = [1,0,-1], [2,1,0], [0,0,1]; x·W = [-4,-4], [5,8], [5,6]; + b = [-3.5,-5], [5.5,7], [5.5,5].
const DENSE_EXPECTED = { relu: [0, 0, 5.5, 7, 5.5, 5], mean: [-4.25, 6.25, 5.25] };

describe('graph builder + onnxruntime round trip', () => {
  it('computes a hand-made graph from in-memory bytes', async () => {
    expect(await runDense(modelToBytes(denseGraph()))).toEqual(DENSE_EXPECTED);
  });

  it('declares symbolic batch dimensions and the model header', async () => {
    const s = await ort.InferenceSession.create(modelToBytes(denseGraph()));
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['relu', 'mean']);
    const meta = s.inputMetadata[0] as { isTensor: boolean; shape?: Array<number | string> };
    expect(meta.shape).toEqual(['batch_size', 3]);
    await s.release();
    // ir_version 8 (field 1), producer "rbench" (field 2) lead the encoding.
    const bytes = modelToBytes(denseGraph());
    expect(hex(bytes.subarray(0, 10))).toBe(`0808${'1206'}${Buffer.from('rbench').toString('hex')}`);
  });

  it('writes every attribute type and element type onnxruntime reads back', async () => {
    const g = new GraphBuilder('attrs');
    const x = g.input('x', 'float32', [2, 2]);
    // FLOAT + INT attributes: Gemm(alpha=0.5, transB=1) of x with itself: 0.5 * x·xᵀ.
    const gemm = g.op('Gemm', [x, x], { alpha: attr.float(0.5), transB: 1 }, { outputs: ['gemm'] });
    // TENSOR attribute: Constant int64 → Cast to float.
    g.op('Cast', [g.op('Constant', [], { value: attr.tensor(BigInt64Array.of(7n, -3n), [2]) })], { to: 1 }, { outputs: ['const'] });
    // FLOATS attribute: Constant value_floats.
    g.op('Constant', [], { value_floats: attr.floats([1.5, 2]) }, { outputs: ['floats'] });
    // STRING attribute: DepthToSpace with mode CRD vs DCR orders channels differently.
    const d = g.input('d', 'float32', [1, 8, 1, 1]);
    g.op('DepthToSpace', [d], { blocksize: 2, mode: 'CRD' }, { outputs: ['crd'] });
    g.op('DepthToSpace', [d], { blocksize: 2, mode: 'DCR' }, { outputs: ['dcr'] });
    // int8 / uint8 / int32 initializers (raw_data): DequantizeLinear and Cast.
    g.op('DequantizeLinear', [g.initializer('q8', Int8Array.of(-128, -1, 0, 127), [4]), g.float32([0.5], []), g.initializer('zp8', Int8Array.of(-1), [])], {}, { outputs: ['deq_i8'] });
    g.op('DequantizeLinear', [g.initializer('qu8', Uint8Array.of(0, 10, 255), [3]), g.float32([2], []), g.initializer('zpu8', Uint8Array.of(10), [])], {}, { outputs: ['deq_u8'] });
    g.op('Cast', [g.initializer('i32', Int32Array.of(-5, 2147483647), [2])], { to: 1 }, { outputs: ['i32f'] });
    for (const [name, dims] of [['gemm', [2, 2]], ['const', [2]], ['floats', [2]], ['crd', [1, 2, 2, 2]], ['dcr', [1, 2, 2, 2]], ['deq_i8', [4]], ['deq_u8', [3]], ['i32f', [2]]] as const) {
      g.output(name, 'float32', dims);
    }
    void gemm;
    const s = await ort.InferenceSession.create(modelToBytes(g));
    const out = await s.run({
      x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [2, 2]),
      d: new ort.Tensor('float32', Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7), [1, 8, 1, 1]),
    });
    const v = (k: string): number[] => Array.from(out[k].data as Float32Array);
    expect(v('gemm')).toEqual([2.5, 5.5, 5.5, 12.5]); // 0.5 * [[5,11],[11,25]]
    expect(v('const')).toEqual([7, -3]);
    expect(v('floats')).toEqual([1.5, 2]);
    // ONNX spec: DCR takes output channel c, block (i, j) from input channel (i*2 + j)*C' + c; CRD from c*4 + i*2 + j.
    expect(v('dcr')).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect(v('crd')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(v('deq_i8')).toEqual([-63.5, 0, 0.5, 64]); // (q - (-1)) * 0.5
    expect(v('deq_u8')).toEqual([-20, 0, 490]); // (q - 10) * 2
    expect(v('i32f')).toEqual([-5, 2147483648]);
    await s.release();
  });

  it('rejects an unknown string attribute value, so strings are really written', async () => {
    const g = new GraphBuilder('bad-mode');
    const d = g.input('d', 'float32', [1, 4, 1, 1]);
    g.op('DepthToSpace', [d], { blocksize: 2, mode: 'NOPE' }, { outputs: ['y'] });
    g.output('y', 'float32', [1, 1, 2, 2]);
    await expect(ort.InferenceSession.create(modelToBytes(g))).rejects.toThrow();
  });

  it('catches graph mistakes when building', () => {
    const g = new GraphBuilder('bad');
    g.input('x', 'float32', [1]);
    expect(() => g.op('Relu', ['nope'])).toThrow(/not defined yet/);
    expect(() => g.initializer('w', Float32Array.of(1, 2, 3), [2, 2])).toThrow(/do not fill/);
    expect(() => g.input('x', 'float32', [1])).toThrow(/already defined/);
    expect(() => g.output('missing', 'float32', [1])).toThrow(/not produced/);
  });
});

describe('writing files', () => {
  it('writes inline and external-data models that compute the same numbers, byte-identically on regeneration', async () => {
    const inline = path.join(tmp, 'inline', 'model.onnx');
    const ext = path.join(tmp, 'ext', 'model.onnx');
    const r1 = writeModel(denseGraph(), inline);
    expect(r1.dataFile).toBeUndefined();
    expect(r1.parameters).toBe(8);
    const r2 = writeModel(denseGraph(), ext, { externalData: { sizeThreshold: 0 } });
    expect(r2.dataFile).toBe(path.join(tmp, 'ext', 'model.onnx_data'));
    expect(await runDense(inline)).toEqual(DENSE_EXPECTED);
    expect(await runDense(ext)).toEqual(DENSE_EXPECTED);
    // The weight bytes are in the inline model and in the data file, not in the external-data model.
    const wBytes = Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6).buffer);
    expect(fs.readFileSync(inline).includes(wBytes)).toBe(true);
    expect(fs.readFileSync(ext).includes(wBytes)).toBe(false);
    expect(fs.readFileSync(`${ext}_data`).subarray(0, 24).equals(wBytes)).toBe(true);
    // Offsets are 4096-aligned: w (24 bytes) at 0, b at 4096.
    expect(fs.statSync(r2.dataFile as string).size).toBe(4096 + 8);
    // Nothing half-written is left behind.
    expect(fs.readdirSync(path.dirname(ext)).sort()).toEqual(['model.onnx', 'model.onnx_data']);

    const again = path.join(tmp, 'again', 'model.onnx');
    writeModel(denseGraph(), again, { externalData: { sizeThreshold: 0 } });
    expect(sha(again)).toBe(sha(ext));
    expect(sha(`${again}_data`)).toBe(sha(`${ext}_data`));
  });

  it('keeps small initializers inline under the size threshold', async () => {
    const g = new GraphBuilder('threshold');
    const x = g.input('x', 'float32', [1, 1000]);
    const big = g.initializer('big', generatedFloat32(1000, (c, start) => c.forEach((_, i) => (c[i] = (start + i) % 7))), [1000]);
    g.op('Add', [g.op('Mul', [x, big]), g.initializer('small', Float32Array.of(1), [1])], {}, { outputs: ['y'] });
    g.output('y', 'float32', [1, 1000]);
    const file = path.join(tmp, 'threshold', 'model.onnx');
    const r = writeModel(g, file, { externalData: true });
    expect(r.dataBytes).toBe(4000);
    const s = await ort.InferenceSession.create(file);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(1000).fill(2), [1, 1000]) });
    const y = out.y.data as Float32Array;
    expect([y[0], y[1], y[6], y[7], y[999]]).toEqual([1, 3, 13, 1, 2 * (999 % 7) + 1]);
    await s.release();
  });

  it('streams generated tensors chunk by chunk with the same bytes as one array', () => {
    const values = (c: Float32Array, start: number): void => c.forEach((_, i) => (c[i] = Math.sin(start + i)));
    const whole = new Float32Array(10_001);
    values(whole, 0);
    const chunks: Uint8Array[] = [];
    generatedFloat32(10_001, values, 1000).emit((c) => chunks.push(Uint8Array.from(c)));
    expect(chunks.length).toBe(11);
    expect(Buffer.concat(chunks).equals(Buffer.from(whole.buffer))).toBe(true);
  });

  it('refuses a model over the 2 GB protobuf limit without external data, before writing', () => {
    const g = new GraphBuilder('huge');
    const x = g.input('x', 'float32', [1]);
    let emitted = false;
    const huge: TensorSource = { dataType: 'float32', byteLength: 2 ** 31, emit: () => void (emitted = true) };
    g.op('Add', [x, g.initializer('huge', huge, [2 ** 29])], {}, { outputs: ['y'] });
    g.output('y', 'float32', [2 ** 29]);
    expect(encodeModel(g).byteLength).toBeGreaterThan(PROTOBUF_LIMIT);
    const file = path.join(tmp, 'huge', 'model.onnx');
    expect(() => writeModel(g, file)).toThrow(/2 GB protobuf limit/);
    expect(emitted).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('removes the partial file when a weight source fails mid-stream', () => {
    const g = new GraphBuilder('failing');
    const x = g.input('x', 'float32', [4]);
    const bad: TensorSource = {
      dataType: 'float32',
      byteLength: 16,
      emit: (write) => {
        write(new Uint8Array(8));
        throw new Error('disk full');
      },
    };
    g.op('Add', [x, g.initializer('bad', bad, [4])], {}, { outputs: ['y'] });
    g.output('y', 'float32', [4]);
    const dir = path.join(tmp, 'failing');
    expect(() => writeModel(g, path.join(dir, 'model.onnx'), { externalData: { sizeThreshold: 0 } })).toThrow(/disk full/);
    expect(fs.readdirSync(dir)).toEqual([]);
    // A source producing fewer bytes than announced is caught too.
    const short: TensorSource = { dataType: 'float32', byteLength: 16, emit: (write) => write(new Uint8Array(8)) };
    const g2 = new GraphBuilder('short');
    const x2 = g2.input('x', 'float32', [4]);
    g2.op('Add', [x2, g2.initializer('short', short, [4])], {}, { outputs: ['y'] });
    g2.output('y', 'float32', [4]);
    expect(() => writeModel(g2, path.join(dir, 'model.onnx'))).toThrow(/produced 8 bytes, expected 16/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
