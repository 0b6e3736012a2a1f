// The protobuf edge, inbound: bytes -> OnnxModel. Reads what encode.ts writes (and the common
// variants other exporters use for the same dtypes: typed data fields instead of raw_data).
import onnxProto from "onnx-proto";
import { MtlError } from "../errors";
import type { onnx as P } from "onnx-proto";
import { DTYPE_BYTES } from "./model";
import type {
  OnnxAttribute,
  OnnxDType,
  OnnxDim,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
  TensorData,
} from "./model";

const { onnx } = onnxProto;

/** Bytes that are not an ONNX model mtl can read (MTL-ART-002, docs/errors.md). */
export class OnnxDecodeError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-ART-002", message, hint);
  }
}

type Int64 = number | { toNumber(): number } | null | undefined;
/** protobufjs gives int64 fields as numbers or Long objects, depending on the environment. */
const num = (x: Int64): number => (x == null ? 0 : typeof x === "number" ? x : x.toNumber());

const DTYPES: Record<number, OnnxDType> = { 1: "float", 7: "int64", 9: "bool", 3: "int8", 2: "uint8", 6: "int32" };

function dtypeOf(code: number, what: string): OnnxDType {
  const t = DTYPES[code];
  if (!t)
    throw new OnnxDecodeError(
      `${what} has element type ${code}; mtl reads float, int64, bool, int8, uint8 and int32 only`,
    );
  return t;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies raw little-endian bytes into a fresh, aligned typed array. */
function fromRaw(dtype: OnnxDType, raw: Uint8Array, count: number, name: string): TensorData {
  const width = DTYPE_BYTES[dtype];
  if (raw.length !== count * width) {
    throw new OnnxDecodeError(`tensor ${name} holds ${raw.length} bytes, expected ${count * width}`);
  }
  // `new Uint8Array(raw)` always copies into a fresh, aligned buffer; `raw.slice()` would not when raw
  // is a Node Buffer (protobufjs hands out Buffer views when it decodes a Buffer): Buffer#slice is a view.
  if (dtype === "bool" || dtype === "uint8") return new Uint8Array(raw);
  if (dtype === "int8") return new Int8Array(new Uint8Array(raw).buffer);
  if (LITTLE_ENDIAN) {
    const copy = new Uint8Array(raw).buffer;
    if (dtype === "int32") return new Int32Array(copy);
    return dtype === "float" ? new Float32Array(copy) : new BigInt64Array(copy);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === "int32") return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
  if (dtype === "float") {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new BigInt64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8, true);
  return out;
}

function tensor(t: P.ITensorProto): OnnxTensor {
  const name = t.name ?? "";
  const dtype = dtypeOf(t.dataType ?? 0, `tensor ${name}`);
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  let data: TensorData;
  if (t.rawData && t.rawData.length > 0) data = fromRaw(dtype, t.rawData, count, name);
  else if (dtype === "float") data = Float32Array.from(t.floatData ?? []);
  else if (dtype === "int64") data = BigInt64Array.from((t.int64Data ?? []).map((x) => BigInt(num(x))));
  else if (dtype === "int8") data = Int8Array.from(t.int32Data ?? []);
  else if (dtype === "int32") data = Int32Array.from(t.int32Data ?? []);
  else data = Uint8Array.from(t.int32Data ?? []);
  if (data.length !== count) throw new OnnxDecodeError(`tensor ${name} holds ${data.length} values, expected ${count}`);
  return { name, dtype, dims, data };
}

function attribute(a: P.IAttributeProto): OnnxAttribute {
  const name = a.name ?? "";
  switch (a.type) {
    case 1:
      return { name, kind: "float", value: a.f ?? 0 };
    case 2:
      return { name, kind: "int", value: num(a.i) };
    case 3:
      return { name, kind: "string", value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case 4:
      return { name, kind: "tensor", value: tensor(a.t ?? {}) };
    case 5:
      return { name, kind: "graph", value: graph(a.g ?? {}) };
    case 6:
      return { name, kind: "floats", value: [...(a.floats ?? [])] };
    case 7:
      return { name, kind: "ints", value: (a.ints ?? []).map(num) };
    default:
      throw new OnnxDecodeError(`attribute ${name} has type ${a.type}, which mtl does not read`);
  }
}

function node(n: P.INodeProto): OnnxNode {
  return {
    opType: n.opType ?? "",
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    name: n.name ?? "",
    domain: n.domain ?? "",
    docString: n.docString ?? "",
    attributes: (n.attribute ?? []).map(attribute),
  };
}

export function valueInfo(v: P.IValueInfoProto): OnnxValueInfo {
  const name = v.name ?? "";
  const tt = v.type?.tensorType;
  if (!tt) throw new OnnxDecodeError(`value ${name} is not a tensor`);
  const shape = tt.shape
    ? (tt.shape.dim ?? []).map((d): OnnxDim => (d.dimParam ? d.dimParam : d.dimValue != null ? num(d.dimValue) : null))
    : null;
  return { name, dtype: dtypeOf(tt.elemType ?? 0, `value ${name}`), shape };
}

function graph(g: P.IGraphProto): OnnxGraph {
  return {
    name: g.name ?? "",
    nodes: (g.node ?? []).map(node),
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    initializers: (g.initializer ?? []).map(tensor),
    valueInfo: (g.valueInfo ?? []).map(valueInfo),
    docString: g.docString ?? "",
  };
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  let m: P.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxDecodeError(`not an ONNX model (${(e as Error).message})`);
  }
  if (!m.graph) throw new OnnxDecodeError("the ONNX model has no graph");
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ""] = p.value ?? "";
  const opset = (m.opsetImport ?? []).find((o) => !o.domain);
  return {
    irVersion: num(m.irVersion),
    opset: num(opset?.version),
    producerName: m.producerName ?? "",
    producerVersion: m.producerVersion ?? "",
    docString: m.docString ?? "",
    metadata,
    graph: graph(m.graph),
  };
}
