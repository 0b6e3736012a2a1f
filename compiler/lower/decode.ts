// In-graph decoding of each task's raw output, per its DecodeSpec. Output names: `<task>` for
// the decoded tensor, `<task>.values` / `<task>.indices` for top-k, `<task>.logits` for
// sequence strategies (greedy, beam, ...), which the runtime decodes step by step.
// threshold yields bool (sigmoid(x) > value): ONNX's Greater gives bool directly, and bool maps
// to JavaScript booleans in onnxruntime.
import type { DecodeSpec, Graph, Task, ValueType } from "../ir/types";
import type { OnnxDType, OnnxDim, OnnxValueInfo } from "../onnx/model";
import { slims } from "./slicing";
import { attr, type Emitter } from "./scope";

export { isSequenceDecode } from "../elaborate/decoders";

const ONNX_DTYPE = { f32: "float", i64: "int64", bool: "bool" } as const;

/** ONNX view of an IR type: symbolic dims stay symbolic, a slim channel axis is unknown. */
export function onnxShape(t: ValueType): OnnxDim[] {
  return t.shape.map((d, axis) => (axis === t.channelAxis && slims(t.channels) ? null : d));
}
export const onnxDType = (t: ValueType): OnnxDType => ONNX_DTYPE[t.dtype];

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** The graph outputs a task yields, with their types (before gating). */
export function taskOutputInfos(graph: Graph, task: Task): OnnxValueInfo[] {
  const raw = graph.values.get(task.output);
  if (!raw) throw new Error(`internal: task ${task.name} outputs unknown value ${task.output}`);
  const shape = onnxShape(raw.type);
  const d = task.decode;
  const named = (name: string, dtype: OnnxDType, s: OnnxDim[] = shape): OnnxValueInfo => ({ name, dtype, shape: s });
  switch (d.kind) {
    case "argmax":
      return [
        named(
          task.name,
          "int64",
          shape.filter((_, i) => i !== norm(d.axis, shape.length)),
        ),
      ];
    case "topk": {
      const s = shape.map((x, i) => (i === norm(d.axis, shape.length) ? d.k : x));
      return [named(`${task.name}.values`, "float", s), named(`${task.name}.indices`, "int64", s)];
    }
    case "threshold":
      return [named(task.name, "bool")];
    case "identity":
    case "softmax":
    case "l2norm":
      return [named(task.name, "float")];
    default:
      return [named(`${task.name}.logits`, "float")];
  }
}

/** Emits the decoding of `raw` into the values named `outs` (see taskOutputInfos). */
export function emitDecode(e: Emitter, task: Task, rank: number, raw: string, outs: readonly string[]): void {
  const d = task.decode;
  const lw = e.lower;
  switch (d.kind) {
    case "argmax":
      e.op("ArgMax", [raw], [attr.int("axis", norm(d.axis, rank)), attr.int("keepdims", 0)], outs);
      return;
    case "softmax":
      e.op("Softmax", [raw], [attr.int("axis", norm(d.axis, rank))], outs);
      return;
    case "topk":
      e.op(
        "TopK",
        [raw, lw.i64([d.k])],
        [attr.int("axis", norm(d.axis, rank)), attr.int("largest", 1), attr.int("sorted", 1)],
        outs,
      );
      return;
    case "threshold":
      e.op("Greater", [e.op1("Sigmoid", [raw]), lw.f32([d.value])], [], outs);
      return;
    case "l2norm": {
      // As torch.nn.functional.normalize: x / max(||x||, 1e-12), so a zero vector stays finite.
      const n = e.op1("ReduceL2", [raw], [attr.ints("axes", [norm(d.axis, rank)]), attr.int("keepdims", 1)]);
      e.op("Div", [raw, e.op1("Max", [n, lw.f32([1e-12])])], [], outs);
      return;
    }
    default: // identity, and sequence strategies (raw logits)
      e.op("Identity", [raw], [], outs);
  }
}
