// Dead code elimination: drops the nodes that feed no task output, then the values and
// parameters only they used. Graph inputs and width groups stay: they are the model's interface
// and configuration space.

import { assignGroupParts, tasksReached } from "../ir/parts";
import type { Graph, Param, Value } from "../ir/types";

export function dce(graph: Graph): Graph {
  const reached = tasksReached(graph.nodes, graph.tasks);
  const nodes = graph.nodes.filter((_, i) => reached[i].size > 0);
  const live = new Set(graph.inputs.map((i) => i.value));
  for (const n of nodes) n.outputs.forEach((v) => live.add(v));
  const values = new Map<string, Value>([...graph.values].filter(([id]) => live.has(id)));
  const used = new Set(nodes.flatMap((n) => Object.values(n.params)));
  const params = new Map<string, Param>([...graph.params].filter(([name]) => used.has(name)));
  return { ...graph, nodes, values, params, groups: assignGroupParts(graph.groups, nodes, values, params) };
}
