// The protobuf edge, in place: a model whose named graph inputs become constant initializers,
// made by copying the file's bytes with those inputs cut out and the constants appended to the
// graph, not by decoding and re-encoding it. "Specialise on load" (runtime/specialise.ts) fixes a
// configuration's width and task inputs this way: one copy of a 100 MB model instead of a decode
// (weights materialised) plus a full re-encode.
import onnxProto from "onnx-proto";
import { tensorProto } from "./encode";
import type { OnnxTensor } from "./model";
import {
  type Field,
  fields,
  graphField,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  LENGTH_DELIMITED,
  lengthDelimitedHeader as header,
  MODEL_GRAPH,
} from "./wire-fields";

const { onnx } = onnxProto;

/**
 * `bytes` with each graph input for which `constantFor(name)` gives a tensor removed and that tensor
 * (of the same name) added as an initializer; all other bytes are kept as they are.
 */
export function inputsToConstants(
  bytes: Uint8Array,
  constantFor: (input: string) => OnnxTensor | undefined,
): Uint8Array {
  const graph = graphField(bytes);
  const kept: Field[] = [];
  const constants: OnnxTensor[] = [];
  for (const f of fields(bytes, graph.body, graph.end)) {
    const input =
      f.field === GRAPH_INPUT && f.wire === LENGTH_DELIMITED
        ? onnx.ValueInfoProto.decode(bytes.subarray(f.body, f.end))
        : undefined;
    const constant = input ? constantFor(input.name ?? "") : undefined;
    if (constant) constants.push({ ...constant, name: input!.name ?? "" });
    else kept.push(f);
  }
  const added = constants
    .map((c) => {
      const body = onnx.TensorProto.encode(tensorProto(c)).finish();
      return [header(GRAPH_INITIALIZER, body.length), body];
    })
    .flat();
  const graphLength = kept.reduce((n, f) => n + f.end - f.start, 0) + added.reduce((n, b) => n + b.length, 0);
  const graphHeader = header(MODEL_GRAPH, graphLength);
  const out = new Uint8Array(graph.start + graphHeader.length + graphLength + bytes.length - graph.end);
  let at = 0;
  const put = (b: Uint8Array) => {
    out.set(b, at);
    at += b.length;
  };
  put(bytes.subarray(0, graph.start));
  put(graphHeader);
  for (const f of kept) put(bytes.subarray(f.start, f.end));
  for (const b of added) put(b);
  put(bytes.subarray(graph.end));
  return out;
}
