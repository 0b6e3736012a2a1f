// Weights whose values are their own flat index (plus 0.5 per switchable row), so a test can tell
// exactly which elements survived a cut.

import { switchRows } from "../../compiler/ir/switchable";
import type { Graph, WeightMap } from "../../compiler/ir/types";

export function indexWeights(graph: Graph): WeightMap {
  const out = new Map<string, Float32Array>();
  for (const p of graph.params.values()) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const rows = switchRows(graph.groups, p);
    out.set(
      p.name,
      Float32Array.from({ length: rows * size }, (_, i) => (i % size) + Math.floor(i / size) * 0.5),
    );
  }
  return out;
}
