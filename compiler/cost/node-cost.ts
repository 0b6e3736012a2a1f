// Exact cost of one node or parameter at a width configuration.
//
// Conventions (the usual ones for published figures such as ResNet-18's 1.8G MACs):
// - Costs are per sample: axis 0 is the batch and is never counted; any other symbolic size
//   counts as 1 (so a model with a symbolic image size is costed per output position).
// - MACs count convolutions, linear layers and attention only (projections, Q.K^T and A.V);
//   elementwise ops, normalisation, pooling and resizing count 0.
// - Parameters are PyTorch's learnable parameters at the active width: a switchable BatchNorm
//   counts once (its active row), and BatchNorm running statistics (buffers) do not count.

import type { Config, Dim, Graph, Node, Param, ValueType } from "../ir/types";
import { layoutLength, segmentLength } from "../ir/width";

const BUFFER_ROLES = new Set(["running_mean", "running_var"]);

/** Whether a node role refers to a learnable parameter (not a statistics buffer). */
export const isLearnable = (n: Node, role: string): boolean => !(n.op === "batchnorm" && BUFFER_ROLES.has(role));

const counted = (d: Dim): number => (typeof d === "number" ? d : 1);

/** Size of axis `i` of a value at a configuration (symbolic sizes count 1). */
function sizeAt(graph: Graph, t: ValueType, i: number, config: Config): number {
  return i === t.channelAxis ? layoutLength(graph, t.channels, config) : counted(t.shape[i]);
}

/** Product of the sizes of axes [from, to) at a configuration. */
function volume(graph: Graph, t: ValueType, from: number, to: number, config: Config): number {
  let v = 1;
  for (let i = from; i < to; i++) v *= sizeAt(graph, t, i, config);
  return v;
}

export function nodeMacs(graph: Graph, n: Node, config: Config): number {
  const x = graph.values.get(n.inputs[0])?.type;
  const y = graph.values.get(n.outputs[0])!.type;
  if (!x) return 0;
  switch (n.op) {
    case "conv": {
      const inC = sizeAt(graph, x, 1, config);
      const outC = sizeAt(graph, y, 1, config);
      const groups = n.attrs.depthwise === true ? inC : (n.attrs.groups as number);
      const [kh, kw] = n.attrs.kernel as number[];
      return outC * (inC / groups) * kh * kw * volume(graph, y, 2, 4, config);
    }
    case "linear": {
      const last = x.shape.length - 1;
      return sizeAt(graph, x, last, config) * sizeAt(graph, y, last, config) * volume(graph, x, 1, last, config);
    }
    case "attention": {
      const T = sizeAt(graph, x, 1, config);
      const D = sizeAt(graph, x, 2, config);
      const w = graph.params.get(n.params["out_proj.weight"])!;
      const inner = w.axes[1] ? layoutLength(graph, w.axes[1], config) : w.shape[1];
      return T * D * 3 * inner + T * inner * D + 2 * T * T * inner;
    }
    default:
      return 0;
  }
}

/** Number of elements of a parameter in use at a configuration (one row if switchable). */
export function paramCount(graph: Graph, p: Param, config: Config): number {
  let n = 1;
  p.shape.forEach((d, i) => {
    const axis = p.axes[i];
    n *= axis ? axis.reduce((s, seg) => s + segmentLength(graph, seg, config), 0) : d;
  });
  return n;
}

/**
 * The learnable parameters of a graph and the part each belongs to: the part of the node using
 * it, or "shared" when nodes of several parts share it.
 */
export function learnableParams(graph: Graph): Map<string, string> {
  const parts = new Map<string, string>();
  for (const n of graph.nodes)
    for (const [role, name] of Object.entries(n.params)) {
      if (!isLearnable(n, role)) continue;
      const old = parts.get(name);
      parts.set(name, old === undefined || old === n.part ? n.part : "shared");
    }
  return parts;
}

export interface Cost {
  readonly macs: number;
  readonly params: number;
  readonly byPart: Record<string, { macs: number; params: number }>;
}

/** Cost at a configuration by summing over every node and parameter (the reference for the table). */
export function directCost(graph: Graph, config: Config, tasksOn: readonly string[] = graph.tasks.map((t) => t.name)): Cost {
  const byPart: Record<string, { macs: number; params: number }> = { shared: { macs: 0, params: 0 } };
  for (const t of tasksOn) byPart[t] = { macs: 0, params: 0 };
  for (const n of graph.nodes) if (byPart[n.part]) byPart[n.part].macs += nodeMacs(graph, n, config);
  for (const [name, part] of learnableParams(graph)) if (byPart[part]) byPart[part].params += paramCount(graph, graph.params.get(name)!, config);
  const sum = (k: "macs" | "params") => Object.values(byPart).reduce((s, c) => s + c[k], 0);
  return { macs: sum("macs"), params: sum("params"), byPart };
}
