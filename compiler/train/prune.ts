// Drops nodes and initializers that no graph output depends on (e.g. loss gradients when a graph
// computes no gradients, values a rule computed but did not use), so the session does no dead work.
import type { OnnxNode, OnnxTensor } from "../onnx/model";

export function pruneUnused(
  nodes: readonly OnnxNode[],
  initializers: readonly OnnxTensor[],
  outputs: readonly string[],
): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const needed = new Set(outputs);
  const kept: OnnxNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    kept.push(n);
    n.inputs.forEach((v) => needed.add(v));
  }
  return { nodes: kept.reverse(), initializers: initializers.filter((t) => needed.has(t.name)) };
}
