// The protobuf edge, outbound: OnnxModel -> bytes. The only writer of onnx-proto messages.
// Deterministic: fields are written in a fixed order, metadata sorted by key, tensors as raw
// little-endian bytes, so the same model always gives the same bytes.
import onnxProto from "onnx-proto";
import type { onnx as P } from "onnx-proto";
import {
  DTYPE_CODE,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./model";

const { onnx } = onnxProto;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raw little-endian bytes of a tensor's data (a view, not a copy, on little-endian hosts). */
export function tensorBytes(t: OnnxTensor): Uint8Array {
  const d = t.data;
  if (d instanceof Uint8Array) return d;
  if (LITTLE_ENDIAN) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const out = new Uint8Array(d.byteLength);
  const view = new DataView(out.buffer);
  if (d instanceof Float32Array) d.forEach((x, i) => view.setFloat32(i * 4, x, true));
  else if (d instanceof Int8Array) out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  else if (d instanceof Int32Array) d.forEach((x, i) => view.setInt32(i * 4, x, true));
  else d.forEach((x, i) => view.setBigInt64(i * 8, x, true));
  return out;
}

function checkTensor(t: OnnxTensor): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const ok =
    (t.dtype === "float" && t.data instanceof Float32Array) ||
    (t.dtype === "int64" && t.data instanceof BigInt64Array) ||
    (t.dtype === "bool" && t.data instanceof Uint8Array) ||
    (t.dtype === "uint8" && t.data instanceof Uint8Array) ||
    (t.dtype === "int8" && t.data instanceof Int8Array) ||
    (t.dtype === "int32" && t.data instanceof Int32Array);
  if (!ok || t.data.length !== count) {
    throw new Error(`internal: tensor ${t.name} has ${t.data.length} ${t.dtype} values for dims [${t.dims}]`);
  }
}

export function tensorProto(t: OnnxTensor): P.ITensorProto {
  checkTensor(t);
  return { name: t.name, dims: [...t.dims], dataType: DTYPE_CODE[t.dtype], rawData: tensorBytes(t) };
}

/** Where an initializer's raw bytes already are: a file (relative to a folder onnxruntime is told of) and a byte range. */
export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/** Which initializers onnxruntime reads from a file instead of from the encoded bytes (ONNX external data). */
export type ExternalOf = (t: OnnxTensor) => ExternalRef | undefined;

function initializerProto(t: OnnxTensor, external: ExternalOf | undefined): P.ITensorProto {
  const ref = external?.(t);
  if (!ref) return tensorProto(t);
  checkTensor(t);
  if (ref.length !== t.data.byteLength) throw new Error(`internal: external data of ${t.name} has the wrong length`);
  const entry = (key: string, value: string | number) => ({ key, value: String(value) });
  return {
    name: t.name,
    dims: [...t.dims],
    dataType: DTYPE_CODE[t.dtype],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [entry("location", ref.location), entry("offset", ref.offset), entry("length", ref.length)],
  };
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7 } as const;

function attributeProto(a: OnnxAttribute): P.IAttributeProto {
  const base = { name: a.name, type: ATTR_TYPE[a.kind] };
  switch (a.kind) {
    case "int":
      return { ...base, i: a.value };
    case "ints":
      return { ...base, ints: [...a.value] };
    case "float":
      return { ...base, f: a.value };
    case "floats":
      return { ...base, floats: [...a.value] };
    case "string":
      return { ...base, s: new TextEncoder().encode(a.value) };
    case "tensor":
      return { ...base, t: tensorProto(a.value) };
    case "graph":
      return { ...base, g: graphProto(a.value) };
  }
}

function nodeProto(n: OnnxNode): P.INodeProto {
  return {
    opType: n.opType,
    input: [...n.inputs],
    output: [...n.outputs],
    name: n.name,
    domain: n.domain,
    docString: n.docString,
    attribute: n.attributes.map(attributeProto),
  };
}

function valueInfoProto(v: OnnxValueInfo): P.IValueInfoProto {
  const dims = v.shape?.map((d) => (d === null ? {} : typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  const tensorType: P.TypeProto.ITensor = { elemType: DTYPE_CODE[v.dtype] };
  if (dims) tensorType.shape = { dim: dims };
  return { name: v.name, type: { tensorType } };
}

function graphProto(g: OnnxGraph, external?: ExternalOf): P.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map(nodeProto),
    input: g.inputs.map(valueInfoProto),
    output: g.outputs.map(valueInfoProto),
    initializer: g.initializers.map((t) => initializerProto(t, external)),
    valueInfo: g.valueInfo.map(valueInfoProto),
    docString: g.docString,
  };
}

/** `external` (top graph's initializers only): tensors left out of the bytes and referenced in a file instead. */
export function encodeModel(m: OnnxModel, external?: ExternalOf): Uint8Array {
  const metadataProps = Object.keys(m.metadata)
    .sort()
    .map((key) => ({ key, value: m.metadata[key] }));
  const proto = onnx.ModelProto.create({
    irVersion: m.irVersion,
    opsetImport: [{ domain: "", version: m.opset }, ...(m.extraOpsets ?? [])],
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    docString: m.docString,
    graph: graphProto(m.graph, external),
    metadataProps,
  });
  const bytes = onnx.ModelProto.encode(proto).finish();
  // protobufjs may hand back a Node Buffer; callers get a plain Uint8Array.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
