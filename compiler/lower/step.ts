// The step form of a sequence head (docs/architecture.md): two ONNX graphs beside the main one.
// - encoder: the data inputs (not the tokens) -> each cross-attention's keys and values of the
//   memory it attends to (`cross.<i>.key` / `.value`, [N, H, S, hd]). Run once per input.
// - step: one new token per row [N, 1], those keys and values, and per causal attention layer its past keys
//   and values [N, H, P, hd] -> the next-token logits [N, 1, vocab] and the present keys and
//   values [N, H, P + 1, hd].
// A head has a step form when every node on its token path works position by position (linear,
// layernorm, activations, elementwise ops, embedding), or is a causal `attention` or a
// `cross_attention` whose memory does not depend on the tokens; otherwise (the prefix decoder's
// concat and conv over the token axis) `stepFormOf` says why and the runtime recomputes prefixes.
// Both graphs take the `width.<group>` inputs. Parameter initializers are left out: they are the
// main graph's, by the same names (the runtime adds them back), so the weights are stored once.
import type { Graph, OpKind, Task, WeightMap } from "../ir/types";
import type { OnnxModel, OnnxNode, OnnxValueInfo } from "../onnx/model";
import { WIDTH_INPUT_PREFIX } from "../io-names";
import { IR_VERSION, OPSET, PRODUCER } from "../onnx/model";
import { onnxDType, onnxShape } from "./decode";
import { lowerNode } from "./ops";
import { NodeCtx } from "./node-ctx";
import { lowerCrossMemory } from "./ops-attention";
import { Emitter, Lowerer, type KvCacheNames } from "./scope";
import { widthInputName } from "./slicing";

const POSITIONWISE = new Set<OpKind>([
  "linear",
  "layernorm",
  "relu",
  "relu6",
  "gelu",
  "sigmoid",
  "tanh",
  "silu",
  "identity",
  "add",
  "sub",
  "mul",
  "div",
  "embedding",
  "param",
  "const",
]);

export interface StepLayer extends KvCacheNames {
  /** Heads at full width and their size: the cache is [N, heads at the configuration, P, headDim]. */
  readonly heads: number;
  readonly headDim: number;
}

export interface StepForm {
  readonly task: string;
  /** The token input (fed [N, 1] to the step graph). */
  readonly tokens: string;
  readonly logits: string;
  /** Encoder outputs, fed to the step graph under the same names. */
  readonly memory: readonly string[];
  readonly layers: readonly StepLayer[];
  readonly encoder: OnnxModel;
  readonly step: OnnxModel;
}

/** Which values depend on the token input. */
function tokenPath(graph: Graph, tokensValue: string): Set<string> {
  const on = new Set([tokensValue]);
  for (const n of graph.nodes) if (n.inputs.some((i) => on.has(i))) n.outputs.forEach((o) => on.add(o));
  return on;
}

/** The step form of a sequence task, or why it has none. */
export function stepFormOf(graph: Graph, weights: WeightMap, task: Task): StepForm | { reason: string } {
  const tokensInput = graph.inputs.filter((i) => {
    const t = graph.values.get(i.value)!.type;
    return t.dtype === "i64" && t.shape.length === 2;
  });
  if (tokensInput.length !== 1) return { reason: "the model has no single token input" };
  const tokens = tokensInput[0];
  const path = tokenPath(graph, tokens.value);
  if (!path.has(task.output)) return { reason: "the task's output does not depend on the tokens" };
  const stepNodes = graph.nodes.filter(
    (n) => n.inputs.some((i) => path.has(i)) || ((n.op === "param" || n.op === "const") && n.part === task.name),
  );
  const memoryIds: string[] = [];
  for (const n of stepNodes) {
    const fromOutside = n.inputs.filter((i) => !path.has(i));
    if (n.op === "cross_attention") {
      if (!path.has(n.inputs[0]) || path.has(n.inputs[1]))
        return { reason: `${n.id}: cross_attention's memory depends on the tokens` };
      if (!memoryIds.includes(n.inputs[1])) memoryIds.push(n.inputs[1]);
    } else if (n.op === "attention") {
      if (n.attrs.causal !== true) return { reason: `${n.id}: attention over the tokens is not causal` };
    } else if (!POSITIONWISE.has(n.op)) {
      return { reason: `${n.id}: ${n.op} mixes token positions` };
    } else if (fromOutside.some((i) => !stepNodes.some((m) => m.outputs.includes(i)))) {
      return { reason: `${n.id}: combines the tokens with a value computed outside the head's token path` };
    }
  }
  if (memoryIds.length === 0) return { reason: "no cross_attention reads a memory (nothing to run once)" };
  // The encoder: every node the memory needs.
  const needed = new Set(memoryIds);
  const encoderNodes = [...graph.nodes].reverse().filter((n) => {
    if (!n.outputs.some((o) => needed.has(o))) return false;
    n.inputs.forEach((i) => needed.add(i));
    return true;
  });
  encoderNodes.reverse();
  // What the step graph reads from the encoder: each cross-attention's keys and values, projected
  // once [N, heads, S, headDim], so a step costs no projection of the memory.
  const crossNodes = stepNodes.filter((n) => n.op === "cross_attention");
  const cross = crossNodes.map((n, i) => ({ node: n, key: `cross.${i}.key`, value: `cross.${i}.value` }));
  const memory = cross.flatMap((x) => [x.key, x.value]);
  const controls: OnnxValueInfo[] = graph.groups.map((g) => ({
    name: widthInputName(g.name),
    dtype: "int64",
    shape: [],
  }));
  const info = (id: string, name: string): OnnxValueInfo => {
    const t = graph.values.get(id)!.type;
    return { name, dtype: onnxDType(t), shape: onnxShape(t) };
  };

  // Encoder graph.
  const enc = new Lowerer(graph, weights);
  const encInputs = graph.inputs.filter((i) => i.value !== tokens.value && needed.has(i.value));
  nameAll(
    enc,
    [...controls.map((c) => c.name), ...memory],
    encInputs.map((i): [string, string] => [i.value, i.name]),
  );
  for (const n of encoderNodes) lowerNode(enc.top, n);
  for (const x of cross) lowerCrossMemory(new NodeCtx(new Emitter(enc.top, x.node.id, ""), x.node), x.key, x.value);
  const kvInfo = (name: string): OnnxValueInfo => ({ name, dtype: "float", shape: ["N", null, null, null] });
  const encoder = modelOf(
    graph,
    `${task.name}.encoder`,
    enc,
    [...encInputs.map((i) => info(i.value, i.name)), ...controls],
    memory.map(kvInfo),
  );

  // Step graph.
  const st = new Lowerer(graph, weights);
  const layers: StepLayer[] = stepNodes
    .filter((n) => n.op === "attention")
    .map((n, i) => ({
      pastKey: `past.${i}.key`,
      pastValue: `past.${i}.value`,
      presentKey: `present.${i}.key`,
      presentValue: `present.${i}.value`,
      heads: n.attrs.heads as number,
      headDim: n.attrs.headDim as number,
    }));
  const attentionIds = stepNodes.filter((n) => n.op === "attention").map((n) => n.id);
  st.kvCache = new Map(attentionIds.map((id, i) => [id, layers[i]]));
  st.crossCache = new Map(cross.map((x) => [x.node.id, { key: x.key, value: x.value }]));
  const logits = `${task.name}.logits`;
  const cacheNames = layers.flatMap((l) => [l.pastKey, l.pastValue, l.presentKey, l.presentValue]);
  nameAll(
    st,
    [...controls.map((c) => c.name), ...memory, ...cacheNames, logits],
    [
      [tokens.value, tokens.name],
      [task.output, logits],
    ],
  );
  for (const n of stepNodes) lowerNode(st.top, n);
  const cacheInfo = (name: string): OnnxValueInfo => ({ name, dtype: "float", shape: ["N", null, null, null] });
  const step = modelOf(
    graph,
    `${task.name}.step`,
    st,
    [
      { name: tokens.name, dtype: "int64", shape: ["N", 1] },
      ...memory.map(kvInfo),
      ...layers.flatMap((l) => [cacheInfo(l.pastKey), cacheInfo(l.pastValue)]),
      ...controls,
    ],
    [info(task.output, logits), ...layers.flatMap((l) => [cacheInfo(l.presentKey), cacheInfo(l.presentValue)])],
  );
  return { task: task.name, tokens: tokens.name, logits, memory, layers, encoder, step };
}

/** Interface names first (exactly as given), then every other IR value after its id. */
function nameAll(lw: Lowerer, reserved: readonly string[], fixed: readonly [string, string][]): void {
  for (const name of reserved) lw.values.fresh(name);
  for (const [id, name] of fixed) {
    if (!reserved.includes(name)) lw.values.fresh(name);
    lw.nameValue(id, name);
  }
  for (const p of lw.graph.params.keys()) lw.values.fresh(p);
  for (const id of lw.graph.values.keys()) if (!fixed.some(([f]) => f === id)) lw.nameValue(id, lw.values.fresh(id));
}

/** Every name a graph's nodes read, inside `If` branches too. */
function namesRead(nodes: readonly OnnxNode[], into = new Set<string>()): Set<string> {
  for (const n of nodes) {
    n.inputs.forEach((i) => into.add(i));
    for (const a of n.attributes) if (a.kind === "graph") namesRead(a.value.nodes, into);
  }
  return into;
}

function modelOf(
  graph: Graph,
  name: string,
  lw: Lowerer,
  allInputs: OnnxValueInfo[],
  outputs: OnnxValueInfo[],
): OnnxModel {
  // Width inputs no node reads are left out (onnxruntime warns about unused ones once specialised).
  const read = namesRead(lw.top.nodes);
  const inputs = allInputs.filter((i) => !i.name.startsWith(WIDTH_INPUT_PREFIX) || read.has(i.name));
  return {
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: PRODUCER,
    producerVersion: "",
    docString: "",
    metadata: {},
    graph: {
      name,
      nodes: lw.top.nodes,
      inputs,
      outputs,
      // Parameters are the main graph's initializers (same names); only constants stay here.
      initializers: lw.initializers.filter((t) => !graph.params.has(t.name)),
      valueInfo: [],
      docString: "",
    },
  };
}
