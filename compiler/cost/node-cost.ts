// Exact cost of one node or parameter at a width configuration.
//
// Conventions (the usual ones for published figures such as ResNet-18's 1.8G MACs):
// - Costs are per sample: axis 0 is the batch and is never counted; any other symbolic size
//   counts as 1 (so a model with a symbolic image size is costed per output position).
// - MACs count convolutions, linear layers and attention only (projections, Q.K^T and A.V);
//   elementwise ops, normalisation, pooling and resizing count 0. Each op's spec states its rule.
// - Parameters are PyTorch's learnable parameters at the active width: a switchable BatchNorm
//   counts once (its active row), and BatchNorm running statistics (buffers) do not count.

import type { Config, Graph, Node, Param, TypedNode } from "../ir/types";
import { segmentLength } from "../ir/width";
import { specOf } from "../ops";

/** Whether a node role refers to a learnable parameter (not a statistics buffer such as BatchNorm's). */
export const isLearnable = (n: Node, role: string): boolean => !(specOf(n.op).buffers ?? []).includes(role);

/** Multiply-accumulates of one node at a configuration, by its op's cost rule (compiler/ops/). */
export function nodeMacs(graph: Graph, n: Node, config: Config): number {
  return specOf(n.op).macs(graph, n as TypedNode<typeof n.op>, config);
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
export function directCost(
  graph: Graph,
  config: Config,
  tasksOn: readonly string[] = graph.tasks.map((t) => t.name),
): Cost {
  const byPart: Record<string, { macs: number; params: number }> = { shared: { macs: 0, params: 0 } };
  for (const t of tasksOn) byPart[t] = { macs: 0, params: 0 };
  for (const n of graph.nodes) if (byPart[n.part]) byPart[n.part].macs += nodeMacs(graph, n, config);
  for (const [name, part] of learnableParams(graph))
    if (byPart[part]) byPart[part].params += paramCount(graph, graph.params.get(name)!, config);
  const sum = (k: "macs" | "params") => Object.values(byPart).reduce((s, c) => s + c[k], 0);
  return { macs: sum("macs"), params: sum("params"), byPart };
}
