/**
 * A fluent ONNX graph builder. Nodes are added in topological order (each input must already exist as a graph
 * input, an initializer or an earlier node's output); output names are generated deterministically from a
 * counter, so building the same graph twice gives the same names and, once encoded, the same bytes.
 *
 * ```ts
 * const g = new GraphBuilder('tiny');
 * const x = g.input('x', 'float32', ['batch_size', 3]);
 * const w = g.initializer('w', Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
 * const y = g.op('MatMul', [x, w]);
 * g.op('Relu', [y], {}, { outputs: ['y'] });
 * g.output('y', 'float32', ['batch_size', 2]);
 * await writeModel(g, 'model.onnx');
 * ```
 */
import {
  arraySource,
  BYTES_PER_ELEMENT,
  elementCount,
  isTensorSource,
  type DataType,
  type TensorArray,
  type TensorSource,
} from './tensor.js';

/** A dimension of a graph input/output: a fixed size or a symbolic name such as `batch_size`. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dataType: DataType;
  dims: readonly Dim[];
}

export interface Initializer {
  name: string;
  dims: readonly number[];
  dataType: DataType;
  data: TensorSource;
}

/** A small tensor held in memory (for `Constant` nodes' `value` attribute). */
export interface InlineTensor {
  data: TensorArray;
  dims: readonly number[];
}

/** An attribute value with its ONNX type stated explicitly. */
export type TypedAttr =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: ReadonlyArray<number | bigint> }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: InlineTensor };

/**
 * An attribute value. Plain values are typed by inference: an integer number is INT, any other number FLOAT,
 * a string STRING, a number array INTS if every element is an integer, else FLOATS. Use the `attr.*` helpers
 * where inference would be wrong (`attr.float(1)` for a float that happens to be integral, `attr.floats([])`).
 */
export type AttrValue = number | bigint | string | readonly number[] | TypedAttr;

export const attr = {
  int: (value: number | bigint): TypedAttr => ({ kind: 'int', value }),
  float: (value: number): TypedAttr => ({ kind: 'float', value }),
  ints: (value: ReadonlyArray<number | bigint>): TypedAttr => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): TypedAttr => ({ kind: 'floats', value }),
  string: (value: string): TypedAttr => ({ kind: 'string', value }),
  tensor: (data: TensorArray, dims: readonly number[]): TypedAttr => ({ kind: 'tensor', value: { data, dims } }),
};

/** Resolves an attribute value to its explicit form (see `AttrValue` for the inference rules). */
export function typedAttr(v: AttrValue): TypedAttr {
  if (typeof v === 'bigint') return { kind: 'int', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) {
    const arr = v as readonly number[];
    return arr.every((x) => Number.isInteger(x)) ? { kind: 'ints', value: arr } : { kind: 'floats', value: arr };
  }
  return v as TypedAttr;
}

export interface NodeSpec {
  opType: string;
  name: string;
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: ReadonlyArray<{ name: string; value: TypedAttr }>;
}

export interface NodeOptions {
  /** Number of outputs (generated names) or their explicit names. Default: one generated output. */
  outputs?: number | readonly string[];
  /** Node name (default: `<OpType>_<n>`). */
  name?: string;
  /** Operator domain (default: the ONNX default domain ""). */
  domain?: string;
}

export class GraphBuilder {
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  readonly nodes: NodeSpec[] = [];
  private readonly known = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Initializers added through `int64()` / `float32()`: constants of the computation, not parameters. */
  private readonly constants = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** Declares a graph input and returns its name. */
  input(name: string, dataType: DataType, dims: readonly Dim[]): string {
    this.define(name, 'graph input');
    this.inputs.push({ name, dataType, dims: [...dims] });
    return name;
  }

  /** Declares an existing value (node output, input or initializer) as a graph output. */
  output(name: string, dataType: DataType, dims: readonly Dim[]): string {
    if (!this.known.has(name)) throw new Error(`graph output "${name}" is not produced by any node, input or initializer`);
    if (this.outputs.some((o) => o.name === name)) throw new Error(`graph output "${name}" declared twice`);
    this.outputs.push({ name, dataType, dims: [...dims] });
    return name;
  }

  /**
   * Adds a weight or constant tensor and returns its name. `data` is a typed array (element type from its
   * class; not copied, so it must not change before the model is written) or a `TensorSource` generating the
   * bytes on demand; its length must match `dims`.
   */
  initializer(name: string, data: TensorArray | TensorSource, dims: readonly number[]): string {
    const source = isTensorSource(data) ? data : arraySource(data);
    const expected = elementCount(dims) * BYTES_PER_ELEMENT[source.dataType];
    if (source.byteLength !== expected) {
      throw new Error(`initializer "${name}": ${source.byteLength} bytes of ${source.dataType} do not fill dims [${dims.join(', ')}] (${expected} bytes)`);
    }
    this.define(name, 'initializer');
    this.initializers.push({ name, dims: [...dims], dataType: source.dataType, data: source });
    return name;
  }

  /** An int64 constant (shapes, axes, indices) as an initializer; name generated unless given. */
  int64(values: readonly number[], dims: readonly number[] = [values.length], name?: string): string {
    const n = this.initializer(name ?? this.fresh('const_i64'), BigInt64Array.from(values, (v) => BigInt(v)), dims);
    this.constants.add(n);
    return n;
  }

  /** A float32 constant as an initializer; name generated unless given. */
  float32(values: readonly number[], dims: readonly number[] = [values.length], name?: string): string {
    const n = this.initializer(name ?? this.fresh('const_f32'), Float32Array.from(values), dims);
    this.constants.add(n);
    return n;
  }

  /** Whether an initializer was added as a constant (`int64()` / `float32()`) rather than a parameter. */
  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** Adds a node and returns its output names. An input may be "" for an omitted optional input. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.known.has(i)) throw new Error(`${opType}: input "${i}" is not defined yet (add nodes in topological order)`);
    }
    const name = opts.name ?? this.fresh(opType);
    if (this.nodeNames.has(name)) throw new Error(`${opType}: node name "${name}" is already used`);
    this.nodeNames.add(name);
    const outs = opts.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, k) => (outs === 1 ? `${name}_out` : `${name}_out${k}`)) : [...outs];
    for (const o of outputs) this.define(o, `output of ${opType}`);
    this.nodes.push({
      opType,
      name,
      domain: opts.domain ?? '',
      inputs: [...inputs],
      outputs,
      attributes: Object.keys(attributes).map((k) => ({ name: k, value: typedAttr(attributes[k]) })),
    });
    return outputs;
  }

  /** `node` for single-output operators: returns the one output name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string {
    const outs = this.node(opType, inputs, attributes, opts);
    if (outs.length !== 1) throw new Error(`${opType}: op() expects one output, got ${outs.length}; use node()`);
    return outs[0];
  }

  /** Whether a value name exists (input, initializer or node output). */
  has(name: string): boolean {
    return this.known.has(name);
  }

  /**
   * Number of elements over the initializers accepted by `filter`; by default the float32 parameters, i.e.
   * float32 initializers not added as constants through `float32()`.
   */
  parameterCount(filter: (init: Initializer) => boolean = (i) => i.dataType === 'float32' && !this.constants.has(i.name)): number {
    let n = 0;
    for (const i of this.initializers) if (filter(i)) n += elementCount(i.dims);
    return n;
  }

  private define(name: string, what: string): void {
    if (name === '') throw new Error(`${what}: empty value name`);
    if (this.known.has(name)) throw new Error(`${what}: value name "${name}" is already defined`);
    this.known.add(name);
  }

  private fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.known.has(n) || this.nodeNames.has(n));
    return n;
  }
}


