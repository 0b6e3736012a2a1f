// The protobuf edge, outbound, in place: a model's bytes with every initializer's raw_data starting
// at a multiple of 4 bytes in the file, so that a reader (runtime/specialise-ir.ts) can view the
// weights as a Float32Array in the file's buffer instead of copying them. Protobuf fields may come
// in any order, so a tensor gets an empty-ish `doc_string` (field 12, 2-5 bytes) before its raw_data
// as padding; decoders (onnx, onnxruntime, ours) read the same model.
import protobuf from "protobufjs/minimal.js";
import {
  type Field,
  fields,
  graphField,
  GRAPH_INITIALIZER,
  LENGTH_DELIMITED,
  lengthDelimitedHeader as tagged,
  MODEL_GRAPH,
  TENSOR_DOC_STRING,
  TENSOR_RAW_DATA,
} from "./wire-fields";

const varint = (n: number): Uint8Array => protobuf.Writer.create().uint32(n).finish();

/** A doc_string field of exactly n bytes (2 <= n <= 129): tag, length, spaces. */
function padding(n: number): Uint8Array {
  const out = new Uint8Array(n).fill(0x20);
  out[0] = (TENSOR_DOC_STRING << 3) | LENGTH_DELIMITED;
  out[1] = n - 2;
  return out;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The graph's body rebuilt from absolute position `pos` on, each initializer's raw_data 4-byte aligned. */
function alignedGraph(bytes: Uint8Array, graph: Field, pos: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (const f of fields(bytes, graph.body, graph.end)) {
    const tensor = f.field === GRAPH_INITIALIZER && f.wire === LENGTH_DELIMITED ? fields(bytes, f.body, f.end) : [];
    const raw = tensor.find((t) => t.field === TENSOR_RAW_DATA && t.wire === LENGTH_DELIMITED);
    if (!raw) {
      pieces.push(bytes.subarray(f.start, f.end));
      pos += f.end - f.start;
      continue;
    }
    const rest = tensor.filter((t) => t !== raw && t.field !== TENSOR_DOC_STRING);
    const header = concat(rest.map((t) => bytes.subarray(t.start, t.end)));
    const rawField = bytes.subarray(raw.start, raw.end);
    for (const pad of [0, 2, 3, 4, 5]) {
      const inner = header.length + pad + rawField.length;
      const prefix = tagged(GRAPH_INITIALIZER, inner);
      const payload = pos + prefix.length + header.length + pad + (raw.body - raw.start);
      if (payload % 4 !== 0 && pad !== 5) continue;
      const parts = [prefix, header, ...(pad ? [padding(pad)] : []), rawField];
      pieces.push(...parts);
      pos += prefix.length + inner;
      break;
    }
  }
  return pieces;
}

/** `bytes` (an encoded model) with every initializer's raw_data 4-byte aligned; the same model otherwise. */
export function alignTensorData(bytes: Uint8Array): Uint8Array {
  const graph = graphField(bytes);
  // The graph's length prefix comes before its body: guess its size, rebuild, and redo if it differs.
  let lengthBytes = graph.body - graph.start - 1;
  for (;;) {
    const pieces = alignedGraph(bytes, graph, graph.start + 1 + lengthBytes);
    const length = pieces.reduce((n, p) => n + p.length, 0);
    if (varint(length).length !== lengthBytes) {
      lengthBytes = varint(length).length;
      continue;
    }
    return concat([bytes.subarray(0, graph.start), tagged(MODEL_GRAPH, length), ...pieces, bytes.subarray(graph.end)]);
  }
}
