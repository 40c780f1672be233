/**
 * Writing ONNX models from TypeScript: a streaming protobuf encoder, a fluent graph builder and the model
 * writer (inline weights or ONNX external data). See graph.ts for an example.
 */
export { ProtoMessage, encodeVarint, type LazyBytes } from './protobuf.js';
export {
  ONNX_DATA_TYPE,
  BYTES_PER_ELEMENT,
  arraySource,
  generatedFloat32,
  elementCount,
  isTensorSource,
  type DataType,
  type TensorArray,
  type TensorSource,
} from './tensor.js';
export { GraphBuilder, attr, typedAttr, type AttrValue, type Dim, type Initializer, type InlineTensor, type NodeOptions, type NodeSpec, type TypedAttr, type ValueInfo } from './graph.js';
export {
  encodeModel,
  modelToBytes,
  writeModel,
  FileSink,
  DEFAULT_IR_VERSION,
  DEFAULT_OPSET,
  PRODUCER_NAME,
  PRODUCER_VERSION,
  PROTOBUF_LIMIT,
  type ExternalDataOptions,
  type ModelOptions,
  type WriteModelOptions,
  type WriteModelResult,
} from './model.js';
