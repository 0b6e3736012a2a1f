// Task heads: a task's nodes and its decoding, behind `If(run.<task>)` so that a disabled task
// costs nothing (onnxruntime runs every other node, requested or not). The else branch yields
// empty tensors of the same rank.
import type { Task } from "../ir/types";
import type { OnnxDim, OnnxTensor, OnnxValueInfo } from "../onnx/model";
import { emitIf } from "./branch";
import { emitDecode, taskOutputInfos } from "./decode";
import { lowerNode } from "./ops";
import { attr, Emitter, type Lowerer } from "./scope";
import { runInputName } from "./slicing";

/** An empty tensor for a disabled task, and the declared output shape that admits it too. */
function emptyOutput(info: OnnxValueInfo): { declared: OnnxValueInfo; empty: Omit<OnnxTensor, "name"> } {
  const shape = info.shape ?? [];
  const dims = shape.map((d) => (typeof d === "number" ? d : 0));
  const declared: OnnxDim[] = [...shape];
  if (!dims.includes(0)) {
    dims[0] = 0; // every dim is fixed: empty along the first, which is then declared unknown
    declared[0] = null;
  }
  const data =
    info.dtype === "float" ? new Float32Array(0) : info.dtype === "int64" ? new BigInt64Array(0) : new Uint8Array(0);
  return { declared: { ...info, shape: declared }, empty: { dtype: info.dtype, dims, data } };
}

/** Lowers a task's head and decoding; returns the graph outputs it adds. */
export function lowerTask(lw: Lowerer, task: Task, gate: boolean): OnnxValueInfo[] {
  const nodes = lw.graph.nodes.filter((n) => n.part === task.name);
  const infos = taskOutputInfos(lw.graph, task);
  const rank = lw.graph.values.get(task.output)!.type.shape.length;
  const raw = lw.valueName(task.output);
  const e = new Emitter(lw.top, task.name, "");
  if (!gate) {
    for (const n of nodes) lowerNode(lw.top, n);
    emitDecode(
      e,
      task,
      rank,
      raw,
      infos.map((i) => i.name),
    );
    return infos;
  }
  const outputs = infos.map(emptyOutput);
  const types = infos.map((i) => ({ dtype: i.dtype, rank: (i.shape ?? []).length }));
  emitIf(
    e,
    runInputName(task.name),
    infos.map((i) => i.name),
    types,
    (branch, isThen) => {
      if (isThen) {
        for (const n of nodes) lowerNode(branch.scope, n);
        const inner = infos.map((i) => lw.values.fresh(`${i.name}/decoded`));
        emitDecode(branch, task, rank, raw, inner);
        return inner;
      }
      return outputs.map((o, i) =>
        branch.op1(
          "Constant",
          [],
          [attr.tensor("value", { name: "", ...o.empty })],
          lw.values.fresh(`${infos[i].name}/empty`),
        ),
      );
    },
  );
  return outputs.map((o) => o.declared);
}
