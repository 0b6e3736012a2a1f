// IR -> ONNX, the graph-level driver. The model takes the graph's data inputs plus one int64
// scalar `width.<group>` per width group (index into its choices) and, when tasks are gated, one
// bool scalar `run.<task>` per task. A graph without width groups lowers to a plain static model.
import type { Graph, WeightMap } from "../ir/types";
import { IR_VERSION, OPSET, PRODUCER, type OnnxModel, type OnnxValueInfo } from "../onnx/model";
import { onnxDType, onnxShape, taskOutputInfos } from "./decode";
import { mtlMetadata } from "./metadata";
import { lowerNode } from "./ops";
import { Lowerer } from "./scope";
import { runInputName, widthInputName } from "./slicing";
import { lowerTask } from "./tasks";

export interface LowerOptions {
  /** Put each task behind `If(run.<task>)` (default true). */
  readonly gateTasks?: boolean;
  /** More metadata_props entries, e.g. the cost table under "mtl.costs". */
  readonly extraMetadata?: Readonly<Record<string, string>>;
  readonly producerVersion?: string;
  readonly docString?: string;
}

/** Nodes of a task may use shared values and their own; shared nodes only shared values. */
function checkParts(graph: Graph): void {
  const tasks = new Set(graph.tasks.map((t) => t.name));
  const partOf = new Map<string, string>(graph.inputs.map((i) => [i.value, "shared"]));
  for (const n of graph.nodes) {
    if (n.part !== "shared" && !tasks.has(n.part))
      throw new Error(`internal: node ${n.id} belongs to unknown part ${n.part}`);
    for (const id of n.inputs) {
      const from = partOf.get(id);
      if (from === undefined) throw new Error(`internal: node ${n.id} uses ${id} before it is computed`);
      if (from !== "shared" && from !== n.part)
        throw new Error(`internal: node ${n.id} (${n.part}) uses ${id} of task ${from}`);
    }
    for (const id of n.outputs) partOf.set(id, n.part);
  }
  for (const t of graph.tasks) {
    const from = partOf.get(t.output);
    if (from !== "shared" && from !== t.name)
      throw new Error(`internal: task ${t.name} outputs ${t.output}, which is not its own nor shared`);
  }
}

/** Fixes every ONNX name up front: interface names exactly as promised, IR values after their ids. */
function assignNames(lw: Lowerer, interfaceNames: readonly string[]): void {
  const claim = (name: string) => {
    if (lw.values.fresh(name) !== name) throw new Error(`internal: the name ${name} is used twice`);
  };
  interfaceNames.forEach(claim);
  for (const i of lw.graph.inputs) {
    claim(i.name);
    lw.nameValue(i.value, i.name);
  }
  for (const p of lw.graph.params.keys()) claim(p);
  for (const id of lw.graph.values.keys()) {
    if (!lw.graph.inputs.some((i) => i.value === id)) lw.nameValue(id, lw.values.fresh(id));
  }
}

export function lowerToOnnx(graph: Graph, weights: WeightMap, opts: LowerOptions = {}): OnnxModel {
  const gate = opts.gateTasks ?? true;
  checkParts(graph);
  const lw = new Lowerer(graph, weights);
  const controls: OnnxValueInfo[] = [
    ...graph.groups.map((g): OnnxValueInfo => ({ name: widthInputName(g.name), dtype: "int64", shape: [] })),
    ...(gate ? graph.tasks.map((t): OnnxValueInfo => ({ name: runInputName(t.name), dtype: "bool", shape: [] })) : []),
  ];
  const outputNames = graph.tasks.flatMap((t) => taskOutputInfos(graph, t).map((o) => o.name));
  assignNames(lw, [...controls.map((c) => c.name), ...outputNames]);

  for (const n of graph.nodes) if (n.part === "shared") lowerNode(lw.top, n);
  const outputs = new Map(graph.tasks.map((t) => [t.name, lowerTask(lw, t, gate)]));

  const dataInputs = graph.inputs.map((i): OnnxValueInfo => {
    const t = graph.values.get(i.value)!.type;
    return { name: i.name, dtype: onnxDType(t), shape: onnxShape(t) };
  });
  return {
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: PRODUCER,
    producerVersion: opts.producerVersion ?? "",
    docString: opts.docString ?? "",
    metadata: { ...opts.extraMetadata, mtl: JSON.stringify(mtlMetadata(graph, outputs, gate)) },
    graph: {
      name: graph.name,
      nodes: lw.top.nodes,
      inputs: [...dataInputs, ...controls],
      outputs: [...outputs.values()].flat(),
      initializers: lw.initializers,
      valueInfo: [],
      docString: "",
    },
  };
}
