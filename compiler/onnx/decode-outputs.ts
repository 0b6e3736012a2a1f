// The protobuf edge, inbound: a model's graph outputs without decoding its nodes or weights (what
// `mtl serve` reports as a model's metadata), by walking the ModelProto and GraphProto fields.
import protobuf from "protobufjs/minimal.js";
import onnxProto from "onnx-proto";
import { OnnxDecodeError, valueInfo } from "./decode";
import type { OnnxValueInfo } from "./model";

const { onnx } = onnxProto;

const MODEL_GRAPH = 7;
const GRAPH_OUTPUT = 12;
const LENGTH_DELIMITED = 2;

/** The payloads [start, end) of the length-delimited fields numbered `field` in bytes[from, to). */
function payloads(bytes: Uint8Array, from: number, to: number, field: number): [number, number][] {
  const r = protobuf.Reader.create(bytes.subarray(0, to));
  r.pos = from;
  const out: [number, number][] = [];
  while (r.pos < to) {
    const tag = r.uint32();
    if ((tag & 7) !== LENGTH_DELIMITED) {
      r.skipType(tag & 7);
      continue;
    }
    const length = r.uint32();
    const start = r.pos;
    r.skip(length);
    if (tag >>> 3 === field) out.push([start, r.pos]);
  }
  return out;
}

/** Equal to `decodeModel(bytes).graph.outputs`. */
export function decodeGraphOutputs(bytes: Uint8Array): OnnxValueInfo[] {
  try {
    const graphs = payloads(bytes, 0, bytes.length, MODEL_GRAPH);
    if (graphs.length !== 1) throw new OnnxDecodeError("the ONNX model has no graph, or several");
    return payloads(bytes, graphs[0][0], graphs[0][1], GRAPH_OUTPUT).map(([s, e]) =>
      valueInfo(onnx.ValueInfoProto.decode(bytes.subarray(s, e))),
    );
  } catch (e) {
    if (e instanceof OnnxDecodeError) throw e;
    throw new OnnxDecodeError(`not an ONNX model (${(e as Error).message})`);
  }
}
