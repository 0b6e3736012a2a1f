// The protobuf edge, field by field: the top-level fields of an encoded message located by their
// byte ranges, for the modules that read or rewrite a model's bytes in place (align.ts,
// patch-inputs.ts, initializer-views.ts, decode-outputs.ts) instead of decoding the whole model.
import protobuf from "protobufjs/minimal.js";
import { OnnxDecodeError } from "./decode";

/** Field numbers of onnx.proto. */
export const MODEL_GRAPH = 7; // ModelProto.graph
export const GRAPH_INITIALIZER = 5; // GraphProto.initializer
export const GRAPH_INPUT = 11; // GraphProto.input
export const GRAPH_OUTPUT = 12; // GraphProto.output
export const TENSOR_RAW_DATA = 9; // TensorProto.raw_data
export const TENSOR_DOC_STRING = 12; // TensorProto.doc_string
/** The wire type of strings, bytes and embedded messages. */
export const LENGTH_DELIMITED = 2;

export interface Field {
  readonly field: number;
  readonly wire: number;
  /** The whole field, tag included: [start, end). */
  readonly start: number;
  readonly end: number;
  /** The payload of a length-delimited field (`end` for other wire types). */
  readonly body: number;
}

/** The top-level fields of a message in `bytes[from, to)`, bounds-checked (protobufjs throws past `to`). */
export function fields(bytes: Uint8Array, from: number, to: number): Field[] {
  const r = protobuf.Reader.create(bytes.subarray(0, to));
  r.pos = from;
  const out: Field[] = [];
  while (r.pos < to) {
    const start = r.pos;
    const tag = r.uint32();
    const wire = tag & 7;
    if (wire === LENGTH_DELIMITED) {
      const length = r.uint32();
      const body = r.pos;
      r.skip(length);
      out.push({ field: tag >>> 3, wire, start, end: r.pos, body });
    } else {
      r.skipType(wire);
      out.push({ field: tag >>> 3, wire, start, end: r.pos, body: r.pos });
    }
  }
  return out;
}

/** The ModelProto's one graph field; an OnnxDecodeError when the bytes are not a model or hold no graph or several. */
export function graphField(bytes: Uint8Array): Field {
  let top: Field[];
  try {
    top = fields(bytes, 0, bytes.length);
  } catch (e) {
    throw new OnnxDecodeError(`not an ONNX model (${(e as Error).message})`);
  }
  const graphs = top.filter((f) => f.field === MODEL_GRAPH);
  if (graphs.length !== 1 || graphs[0].wire !== LENGTH_DELIMITED)
    throw new OnnxDecodeError("the ONNX model has no graph, or several");
  return graphs[0];
}

/** The payloads [start, end) of the length-delimited fields numbered `field` in bytes[from, to). */
export function payloads(bytes: Uint8Array, from: number, to: number, field: number): [number, number][] {
  return fields(bytes, from, to)
    .filter((f) => f.field === field && f.wire === LENGTH_DELIMITED)
    .map((f): [number, number] => [f.body, f.end]);
}

/** The tag and length that open a length-delimited field of `length` payload bytes. */
export const lengthDelimitedHeader = (field: number, length: number): Uint8Array =>
  protobuf.Writer.create()
    .uint32((field << 3) | LENGTH_DELIMITED)
    .uint32(length)
    .finish();
