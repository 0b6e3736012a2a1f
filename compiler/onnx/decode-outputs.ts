// The protobuf edge, inbound: a model's graph outputs without decoding its nodes or weights (what
// `mtl serve` reports as a model's metadata), by walking the ModelProto and GraphProto fields.
import onnxProto from "onnx-proto";
import { OnnxDecodeError, valueInfo } from "./decode";
import type { OnnxValueInfo } from "./model";
import { GRAPH_OUTPUT, MODEL_GRAPH, payloads } from "./wire-fields";

const { onnx } = onnxProto;

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
