// The protobuf edge, inbound, weights in place: a model's float initializers by name as views into
// the file's bytes, found by walking the graph's fields and decoding only the tensor headers. The
// runtime's specialisation in the IR (runtime/specialise-ir.ts) reads the weights one configuration
// uses from these, so no decoded copy of the whole model is ever made.
import onnxProto from "onnx-proto";
import { OnnxDecodeError } from "./decode";
import { DTYPE_CODE } from "./model";
import { GRAPH_INITIALIZER, MODEL_GRAPH, payloads } from "./wire-fields";

const { onnx } = onnxProto;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface FloatInitializer {
  readonly dims: readonly number[];
  /** The little-endian float32 bytes: a view into the file, not a copy. */
  readonly raw: Uint8Array;
}

/** The float initializers held as raw_data, by name; other initializers (int64 constants) are left out. */
export function floatInitializers(bytes: Uint8Array): Map<string, FloatInitializer> {
  const out = new Map<string, FloatInitializer>();
  try {
    const graphs = payloads(bytes, 0, bytes.length, MODEL_GRAPH);
    if (graphs.length !== 1) throw new OnnxDecodeError("the ONNX model has no graph, or several");
    for (const [start, end] of payloads(bytes, graphs[0][0], graphs[0][1], GRAPH_INITIALIZER)) {
      // raw_data decodes as a view (protobufjs slices Uint8Arrays with subarray).
      const t = onnx.TensorProto.decode(bytes.subarray(start, end));
      if (t.dataType !== DTYPE_CODE.float || !t.rawData?.length) continue;
      out.set(t.name ?? "", { dims: (t.dims ?? []).map(Number), raw: t.rawData });
    }
  } catch (e) {
    if (e instanceof OnnxDecodeError) throw e;
    throw new OnnxDecodeError(`not an ONNX model (${(e as Error).message})`);
  }
  return out;
}

/** The floats of an initializer: a view when the bytes are aligned (and the host little-endian), else a copy. */
export function floatsOf(t: FloatInitializer, name: string): Float32Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.raw.byteLength !== count * 4)
    throw new OnnxDecodeError(`tensor ${name} holds ${t.raw.byteLength} bytes, expected ${count * 4}`);
  if (LITTLE_ENDIAN && t.raw.byteOffset % 4 === 0) return new Float32Array(t.raw.buffer, t.raw.byteOffset, count);
  if (LITTLE_ENDIAN) return new Float32Array(new Uint8Array(t.raw).buffer); // a copy even when raw is a Buffer
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
}
