// A slow, obviously correct interpreter of the IR at one width configuration, the yardstick for
// emitted ONNX. It cuts parameters by explicit index lists (rows for switchable ones, then the
// first k entries of every segment) and runs each op's kernel (reference-kernels.ts).
import { switchRow } from "../../compiler/ir/switchable";
import type { Config, Graph, Param, Task, TypedNode, WeightMap } from "../../compiler/ir/types";
import { segmentLength } from "../../compiler/ir/width";
import { KERNELS, type Kernel } from "./reference-kernels";
import * as R from "./reference-ops";
import type { Tensor } from "./reference-ops";

/** A parameter at a configuration. */
export function paramAt(graph: Graph, p: Param, data: Float32Array, config: Config): Tensor {
  const n = R.size(p.shape);
  let t = R.tensor(p.shape, data.subarray(0, n));
  if (p.perWidth !== null) {
    const row = switchRow(graph.groups, p, config);
    t = R.tensor(p.shape, data.subarray(row * n, (row + 1) * n));
  }
  p.axes.forEach((segs, axis) => {
    if (!segs) return;
    const keep: number[] = [];
    let offset = 0;
    for (const s of segs) {
      const len = segmentLength(graph, s, config);
      for (let i = 0; i < len; i++) keep.push(offset + i);
      offset += s.max * s.scale;
    }
    t = R.gatherAxis(t, axis, keep);
  });
  return t;
}

const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** Decoded outputs of a task, keyed by the ONNX output names the lowering promises. */
function decode(task: Task, raw: Tensor): [string, Tensor][] {
  const d = task.decode;
  const rank = raw.shape.length;
  switch (d.kind) {
    case "identity":
      return [[task.name, raw]];
    case "softmax":
      return [[task.name, R.softmax(raw, axisOf(d.axis, rank))]];
    case "threshold":
      return [[task.name, R.map(raw, (v) => (1 / (1 + Math.exp(-v)) > d.value ? 1 : 0))]];
    case "l2norm": {
      const norm = R.reduce(raw, [axisOf(d.axis, rank)], (v) => Math.sqrt(v.reduce((s, y) => s + y * y, 0)));
      return [[task.name, R.broadcast(raw, norm, (a, l) => a / Math.max(l, 1e-12))]];
    }
    case "argmax":
    case "topk": {
      const a = axisOf(d.axis, rank);
      const k = d.kind === "topk" ? d.k : 1;
      const moved = R.transpose(raw, [...raw.shape.keys()].filter((i) => i !== a).concat(a)); // axis last
      const L = raw.shape[a];
      const rows = moved.data.length / L;
      const vals: number[] = [];
      const idxs: number[] = [];
      for (let r = 0; r < rows; r++) {
        const order = [...Array(L).keys()]
          .sort((i, j) => moved.data[r * L + j] - moved.data[r * L + i] || i - j)
          .slice(0, k);
        order.forEach((i) => (vals.push(moved.data[r * L + i]), idxs.push(i)));
      }
      const outer = moved.shape.slice(0, -1);
      if (d.kind === "argmax") return [[task.name, R.tensor(outer, idxs)]];
      const back = [...Array(rank - 1).keys()];
      back.splice(a, 0, rank - 1); // put the k axis back in place
      return [
        [`${task.name}.values`, R.transpose(R.tensor([...outer, k], vals), back)],
        [`${task.name}.indices`, R.transpose(R.tensor([...outer, k], idxs), back)],
      ];
    }
    default:
      return [[`${task.name}.logits`, raw]];
  }
}

/** Runs the graph at `config` on named inputs; returns the decoded outputs of `tasks` (default all). */
export function runReference(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  inputs: Record<string, Tensor>,
  tasks?: readonly string[],
): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const i of graph.inputs) env.set(i.value, inputs[i.name]);
  for (const n of graph.nodes) {
    const p = (role: string) => {
      const param = graph.params.get(n.params[role])!;
      return paramAt(graph, param, weights.get(param.name)!, config);
    };
    const kernel = KERNELS[n.op] as Kernel<typeof n.op>;
    const ctx = { graph, config, param: p, has: (role: string) => n.params[role] !== undefined };
    env.set(
      n.outputs[0],
      kernel(
        n as TypedNode<typeof n.op>,
        n.inputs.map((id) => env.get(id)!),
        ctx,
      ),
    );
  }
  const out = new Map<string, Tensor>();
  for (const t of graph.tasks)
    if (!tasks || tasks.includes(t.name)) for (const [name, v] of decode(t, env.get(t.output)!)) out.set(name, v);
  return out;
}
