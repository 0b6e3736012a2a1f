// A flat graph (runtime/quantize/flatten.ts, fp32 or int8) whose outputs are the heads' raw
// outputs named by task, as `mtl eval`'s eval-mode graph has them (runtime/train/validate.ts):
// each task's in-graph decoding (compiler/lower/decode.ts) is dropped and the tensor it read
// becomes the output `<task>`. Metrics such as top-5 accuracy need the scores, not the argmax.
import type { OnnxModel, OnnxNode, OnnxValueInfo } from "../onnx/model";

export interface DecodedTask {
  readonly name: string;
  /** The task's DecodeSpec (compiler/ir/types.ts); only its kind matters here. */
  readonly decode: { readonly kind: string };
}

/** What a task's decoding reads and the nodes that make it; null for a task whose output is its raw tensor. */
function rawOf(
  task: DecodedTask,
  producer: ReadonlyMap<string, OnnxNode>,
): { raw: string; decoding: OnnxNode[] } | null {
  const first = task.decode.kind === "topk" ? `${task.name}.values` : task.name;
  const node = producer.get(first);
  const fail = (why: string): never => {
    throw new Error(`internal: task ${task.name}'s ${task.decode.kind} decoding not found in the flat graph (${why})`);
  };
  switch (task.decode.kind) {
    case "argmax":
    case "softmax":
    case "topk":
    case "l2norm": {
      const op = ({ argmax: "ArgMax", softmax: "Softmax", topk: "TopK", l2norm: "Div" } as const)[task.decode.kind];
      if (!node || node.opType !== op) return fail(`${first} is not made by ${op}`);
      if (task.decode.kind !== "l2norm") return { raw: node.inputs[0], decoding: [node] };
      // Div(raw, Max(ReduceL2(raw), eps)): the norm's nodes go with it.
      const max = producer.get(node.inputs[1]);
      const norm = max && producer.get(max.inputs[0]);
      return { raw: node.inputs[0], decoding: [node, ...(max ? [max] : []), ...(norm ? [norm] : [])] };
    }
    case "threshold": {
      const sigmoid = node?.opType === "Greater" ? producer.get(node.inputs[0]) : undefined;
      if (!node || sigmoid?.opType !== "Sigmoid") return fail(`${first} is not Greater(Sigmoid(x))`);
      return { raw: sigmoid.inputs[0], decoding: [node, sigmoid] };
    }
    case "identity":
      return null;
    default: // sequence strategies: the graph yields `<task>.logits`
      return { raw: `${task.name}.logits`, decoding: [] };
  }
}

/** The model with each task's decoding removed and its raw output named `<task>` (float). */
export function rawTaskOutputs(model: OnnxModel, tasks: readonly DecodedTask[]): OnnxModel {
  const g = model.graph;
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const drop = new Set<OnnxNode>();
  const added: OnnxNode[] = [];
  const outputs: OnnxValueInfo[] = [];
  for (const task of tasks) {
    const found = rawOf(task, producer);
    if (!found) {
      outputs.push(g.outputs.find((o) => o.name === task.name) ?? { name: task.name, dtype: "float", shape: null });
      continue;
    }
    for (const n of found.decoding) drop.add(n);
    added.push({
      opType: "Identity",
      inputs: [found.raw],
      outputs: [task.name],
      name: `${task.name}/raw`,
      domain: "",
      docString: "",
      attributes: [],
    });
    outputs.push({ name: task.name, dtype: "float", shape: null });
  }
  const nodes = g.nodes.filter((n) => !drop.has(n));
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const n of drop)
    if (n.outputs.some((o) => read.has(o))) throw new Error(`internal: decoding node ${n.name} feeds other nodes`);
  return { ...model, graph: { ...g, nodes: [...nodes, ...added], outputs } };
}
