/**
 * Encoding a `GraphBuilder` as an ONNX `ModelProto` (field numbers from onnx/onnx.proto, ir_version 8,
 * opset 17 of the default domain, producer `rbench`) and writing it to disk, optionally with the weights in
 * ONNX external data (`data_location = EXTERNAL` + `location`/`offset`/`length` entries).
 *
 * A protobuf message cannot exceed 2 GB, so models with more weight bytes (bge-reranker-large: 2.2 GB) must
 * use external data. Either way the weights are streamed: each initializer's bytes are generated once, in
 * chunks, straight into the file, so memory stays at one chunk plus the graph structure. The output depends
 * only on the graph (no timestamps, no paths), so rebuilding gives byte-identical files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProtoMessage, type LazyBytes } from './protobuf.js';
import type { GraphBuilder, Initializer, InlineTensor, NodeSpec, TypedAttr, ValueInfo } from './graph.js';
import { arraySource, BYTES_PER_ELEMENT, dataTypeOf, elementCount, ONNX_DATA_TYPE } from './tensor.js';

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
export const PRODUCER_NAME = 'rbench';
/** Bumped when the encoding changes in a way that changes bytes. */
export const PRODUCER_VERSION = '1';
/** Largest protobuf message: 2 GiB - 1. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface ModelOptions {
  irVersion?: number;
  /** Default-domain opset version (default 17). */
  opset?: number;
  /** Further operator sets, e.g. `{ domain: 'com.microsoft', version: 1 }`. */
  extraOpsets?: ReadonlyArray<{ domain: string; version: number }>;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** `metadata_props` entries, written in key order. */
  metadata?: Readonly<Record<string, string>>;
}

export interface ExternalDataOptions {
  /** File name of the data file, relative to the model file's folder (default: `<model file name>_data`, e.g. `model.onnx_data`, the name transformers.js asks for). */
  location?: string;
  /** Initializers with fewer bytes stay inside the model file (default 1024, as onnx's `save_model`). Use 0 to move every initializer out. */
  sizeThreshold?: number;
  /** Offsets of tensors in the data file are multiples of this (default 4096, so onnxruntime can memory-map them). */
  alignment?: number;
}

export interface WriteModelOptions extends ModelOptions {
  /** Put initializers in an external data file (`true` = defaults of `ExternalDataOptions`). */
  externalData?: boolean | ExternalDataOptions;
  /** Called after each initializer is written (bytes written so far, total weight bytes). */
  onProgress?: (written: number, total: number) => void;
}

export interface WriteModelResult {
  modelFile: string;
  modelBytes: number;
  /** Present when external data was written. */
  dataFile?: string;
  dataBytes?: number;
  /** Number of float32 parameters (elements) over all initializers. */
  parameters: number;
}

interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

// --- message encoders -------------------------------------------------------------------------

function stringEntry(k: string, v: string): ProtoMessage {
  return new ProtoMessage().string(1, k).string(2, v);
}

function tensorProto(name: string, dims: readonly number[], dataTypeCode: number, data: { ext?: ExternalRef; raw?: LazyBytes }): ProtoMessage {
  const t = new ProtoMessage();
  t.repeatedVarints(1, dims);
  t.varint(2, dataTypeCode);
  if (name) t.string(8, name);
  if (data.ext) {
    t.message(13, stringEntry('location', data.ext.location));
    t.message(13, stringEntry('offset', String(data.ext.offset)));
    t.message(13, stringEntry('length', String(data.ext.length)));
    t.varint(14, 1); // data_location = EXTERNAL
  } else if (data.raw) {
    t.bytes(9, data.raw);
  }
  return t;
}

function initializerProto(init: Initializer, ext?: ExternalRef): ProtoMessage {
  const raw: LazyBytes = { byteLength: init.data.byteLength, emit: (write) => emitChecked(init, write) };
  return tensorProto(init.name, init.dims, ONNX_DATA_TYPE[init.dataType], ext ? { ext } : { raw });
}

function inlineTensorProto(t: InlineTensor): ProtoMessage {
  const expected = elementCount(t.dims);
  if (t.data.length !== expected) throw new Error(`tensor attribute: ${t.data.length} elements do not fill dims [${t.dims.join(', ')}]`);
  return tensorProto('', t.dims, ONNX_DATA_TYPE[dataTypeOf(t.data)], { raw: arraySource(t.data) });
}

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function attributeProto(name: string, a: TypedAttr): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  switch (a.kind) {
    case 'float':
      m.float(2, a.value);
      break;
    case 'int':
      m.varint(3, a.value);
      break;
    case 'string':
      m.string(4, a.value);
      break;
    case 'tensor':
      m.message(5, inlineTensorProto(a.value));
      break;
    case 'floats':
      m.repeatedFloats(7, a.value);
      break;
    case 'ints':
      m.repeatedVarints(8, a.value);
      break;
  }
  m.varint(20, ATTR_TYPE[a.kind]);
  return m;
}

function nodeProto(n: NodeSpec): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  m.string(3, n.name);
  m.string(4, n.opType);
  for (const a of n.attributes) m.message(5, attributeProto(a.name, a.value));
  if (n.domain) m.string(7, n.domain);
  return m;
}

function valueInfoProto(v: ValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d));
  }
  const tensorType = new ProtoMessage().varint(1, ONNX_DATA_TYPE[v.dataType]).message(2, shape);
  const type = new ProtoMessage().message(1, tensorType);
  return new ProtoMessage().string(1, v.name).message(2, type);
}

/**
 * The `ModelProto` of a graph. `external` maps initializer names to their place in an external data file;
 * the others carry their bytes as `raw_data` (generated when the message is emitted).
 */
export function encodeModel(g: GraphBuilder, opts: ModelOptions = {}, external: ReadonlyMap<string, ExternalRef> = new Map()): ProtoMessage {
  const graph = new ProtoMessage();
  for (const n of g.nodes) graph.message(1, nodeProto(n));
  graph.string(2, g.name);
  for (const init of g.initializers) graph.message(5, initializerProto(init, external.get(init.name)));
  for (const i of g.inputs) graph.message(11, valueInfoProto(i));
  for (const o of g.outputs) graph.message(12, valueInfoProto(o));

  const model = new ProtoMessage();
  model.varint(1, opts.irVersion ?? DEFAULT_IR_VERSION);
  model.string(2, opts.producerName ?? PRODUCER_NAME);
  model.string(3, opts.producerVersion ?? PRODUCER_VERSION);
  if (opts.docString) model.string(6, opts.docString);
  model.message(7, graph);
  model.message(8, new ProtoMessage().string(1, '').varint(2, opts.opset ?? DEFAULT_OPSET));
  for (const o of opts.extraOpsets ?? []) model.message(8, new ProtoMessage().string(1, o.domain).varint(2, o.version));
  const meta = opts.metadata ?? {};
  for (const k of Object.keys(meta).sort()) model.message(14, stringEntry(k, meta[k]));
  return model;
}

/** The whole model in memory (small models: tests, GloVe models, in-memory `InferenceSession.create`). */
export function modelToBytes(g: GraphBuilder, opts: ModelOptions = {}): Uint8Array {
  const m = encodeModel(g, opts);
  if (m.byteLength > PROTOBUF_LIMIT) throw new Error(`model "${g.name}" is ${m.byteLength} bytes, over the 2 GB protobuf limit: write it with external data`);
  return m.toBytes();
}

// --- streaming file output -------------------------------------------------------------------

/**
 * A synchronous buffered file writer: small chunks are gathered into one buffer, large ones written directly.
 * Synchronous so that chunk buffers may be reused by the producer as soon as `write` returns.
 */
export class FileSink {
  private readonly fd: number;
  private readonly buf: Buffer;
  private used = 0;
  bytesWritten = 0;

  constructor(file: string, bufferBytes = 8 << 20) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  write = (chunk: Uint8Array): void => {
    this.bytesWritten += chunk.length;
    if (chunk.length >= this.buf.length / 2) {
      this.flush();
      writeAll(this.fd, chunk);
      return;
    }
    if (this.used + chunk.length > this.buf.length) this.flush();
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
  };

  /** Writes `n` zero bytes (alignment padding). */
  zeros(n: number): void {
    if (n > 0) this.write(new Uint8Array(n));
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  /** Closes without flushing (after an error). */
  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* nothing to clean */
  }
}

/**
 * Writes `g` to `file` (and, with `externalData`, its weights to the data file beside it). Each file is written
 * to `<name>.part` and renamed when complete, so a crash never leaves a file that looks finished.
 * Throws if the model would exceed the protobuf limit without external data.
 */
export function writeModel(g: GraphBuilder, file: string, opts: WriteModelOptions = {}): WriteModelResult {
  const totalWeightBytes = g.initializers.reduce((s, i) => s + i.data.byteLength, 0);
  const parameters = g.parameterCount();
  let written = 0;
  const progress = (n: number): void => {
    written += n;
    opts.onProgress?.(written, totalWeightBytes);
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });

  const external = new Map<string, ExternalRef>();
  let dataFile: string | undefined;
  let dataBytes: number | undefined;
  if (opts.externalData) {
    const ext: ExternalDataOptions = opts.externalData === true ? {} : opts.externalData;
    const location = ext.location ?? `${path.basename(file)}_data`;
    if (location.includes('/') || location.includes('\\') || location === '..') throw new Error(`external data location "${location}" must be a file name beside the model`);
    const threshold = ext.sizeThreshold ?? 1024;
    const alignment = ext.alignment ?? 4096;
    dataFile = path.join(path.dirname(file), location);
    const part = `${dataFile}.part`;
    const sink = new FileSink(part);
    try {
      for (const init of g.initializers) {
        if (init.data.byteLength < threshold || init.data.byteLength === 0) continue;
        const pad = (alignment - (sink.bytesWritten % alignment)) % alignment;
        sink.zeros(pad);
        const offset = sink.bytesWritten;
        emitChecked(init, sink.write);
        external.set(init.name, { location, offset, length: init.data.byteLength });
        progress(init.data.byteLength);
      }
      sink.close();
    } catch (e) {
      sink.abort();
      removeQuietly(part);
      throw e;
    }
    dataBytes = sink.bytesWritten;
    fs.renameSync(part, dataFile);
  }

  const model = encodeModel(g, opts, external);
  if (model.byteLength > PROTOBUF_LIMIT) {
    throw new Error(`model "${g.name}" would be ${model.byteLength} bytes, over the 2 GB protobuf limit: write it with externalData`);
  }
  const part = `${file}.part`;
  const sink = new FileSink(part);
  try {
    // Inline initializers report progress as their raw_data streams through (approximately: per chunk).
    model.emit((chunk) => {
      sink.write(chunk);
      if (chunk.length >= 4096) progress(chunk.length);
    });
    sink.close();
  } catch (e) {
    sink.abort();
    removeQuietly(part);
    throw e;
  }
  fs.renameSync(part, file);
  return { modelFile: file, modelBytes: sink.bytesWritten, dataFile, dataBytes, parameters };
}

/** Emits an initializer's bytes, checking that the source produced exactly what it announced. */
function emitChecked(init: Initializer, write: (c: Uint8Array) => void): void {
  let n = 0;
  init.data.emit((c) => {
    n += c.length;
    write(c);
  });
  const expected = elementCount(init.dims) * BYTES_PER_ELEMENT[init.dataType];
  if (n !== expected) throw new Error(`initializer "${init.name}" produced ${n} bytes, expected ${expected}`);
}
