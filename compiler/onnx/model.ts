// A proto-free picture of an ONNX model: what the lowering builds and what decode returns.
// Only encode.ts / decode.ts know about protobuf; everything else works with these plain types.

// int8 / uint8 / int32 appear only in quantised models (compiler/quantize/): weights, zero points, biases.
export type OnnxDType = "float" | "int64" | "bool" | "int8" | "uint8" | "int32";

/** Element type numbers of onnx.TensorProto.DataType. */
export const DTYPE_CODE: Readonly<Record<OnnxDType, number>> = {
  float: 1,
  int64: 7,
  bool: 9,
  int8: 3,
  uint8: 2,
  int32: 6,
};

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<OnnxDType, number>> = {
  float: 4,
  int64: 8,
  bool: 1,
  int8: 1,
  uint8: 1,
  int32: 4,
};

// Uint8Array holds bool as 0/1, and uint8.
export type TensorData = Float32Array | BigInt64Array | Uint8Array | Int8Array | Int32Array;

export interface OnnxTensor {
  readonly name: string;
  readonly dtype: OnnxDType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type OnnxAttribute =
  | { readonly name: string; readonly kind: "int"; readonly value: number }
  | { readonly name: string; readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: "float"; readonly value: number }
  | { readonly name: string; readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: "string"; readonly value: string }
  | { readonly name: string; readonly kind: "tensor"; readonly value: OnnxTensor }
  | { readonly name: string; readonly kind: "graph"; readonly value: OnnxGraph };

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[]; // "" marks an omitted optional input
  readonly outputs: readonly string[];
  readonly name: string;
  readonly domain: string; // "" is the default ONNX domain
  readonly docString: string;
  readonly attributes: readonly OnnxAttribute[];
}

/** A dimension: a size, a symbolic name such as "N", or null when unknown. */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  readonly name: string;
  readonly dtype: OnnxDType;
  /** null: rank unknown. */
  readonly shape: readonly OnnxDim[] | null;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: readonly OnnxTensor[];
  readonly valueInfo: readonly OnnxValueInfo[];
  readonly docString: string;
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opset: number; // of the default domain
  /** Other operator domains the graph uses (onnxruntime's `com.microsoft.nchwc` in training graphs). */
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  /** metadata_props; encoded in key order so that bytes do not depend on insertion order. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly graph: OnnxGraph;
}

export const IR_VERSION = 8;
export const OPSET = 17;
export const PRODUCER = "mtl";
