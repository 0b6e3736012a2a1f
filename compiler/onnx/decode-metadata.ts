// The protobuf edge, inbound, metadata only: a model's `metadata_props` without decoding its graph.
// `mtl info`, `mtl search` and the runtime's plan need only the metadata of a 100 MB file; walking
// the top-level fields and skipping the graph (initializers included) costs no copy of the weights.
import protobuf from "protobufjs/minimal.js";
import onnxProto from "onnx-proto";
import { OnnxDecodeError } from "./decode";

const { onnx } = onnxProto;

/** Field numbers of onnx.proto's ModelProto (onnx/onnx.proto, ModelProto). */
const GRAPH = 7;
const METADATA_PROPS = 14;
const LENGTH_DELIMITED = 2;

/**
 * The `metadata_props` of an ONNX model as key -> value, equal to `decodeModel(bytes).metadata`.
 * The top-level framing is checked (a truncated file is refused) and a graph must be present, but
 * the graph itself is skipped, not decoded: damage inside it shows only when it is decoded.
 */
export function decodeMetadata(bytes: Uint8Array): Record<string, string> {
  const metadata: Record<string, string> = {};
  let hasGraph = false;
  try {
    const r = protobuf.Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === METADATA_PROPS && wire === LENGTH_DELIMITED) {
        const length = r.uint32();
        const start = r.pos;
        r.skip(length); // bounds-checked first; onnx-proto's own protobufjs copy cannot take this Reader
        const e = onnx.StringStringEntryProto.decode(bytes.subarray(start, start + length)); // a view, no copy
        metadata[e.key ?? ""] = e.value ?? ""; // later entries win, as in decodeModel
        continue;
      }
      if (field === GRAPH && wire === LENGTH_DELIMITED) hasGraph = true;
      r.skipType(wire); // bounds-checked: a length past the end throws
    }
  } catch (e) {
    throw new OnnxDecodeError(`not an ONNX model (${(e as Error).message})`);
  }
  if (!hasGraph) throw new OnnxDecodeError("the ONNX model has no graph");
  return metadata;
}
