// Seeded weights and inputs for lowering tests.
import type { Graph, WeightMap } from "../../compiler/ir/types";
import { initWeights, mulberry32 } from "../../compiler/weights/init";
import type { Tensor } from "./reference-ops";

/** Seeded weights where every switchable row differs, so a wrong row shows up in the outputs. */
export function testWeights(graph: Graph, seed: number): WeightMap {
  const weights = initWeights(graph, seed);
  const rand = mulberry32(seed + 1);
  for (const p of graph.params.values()) {
    const w = weights.get(p.name)!;
    if (p.name.endsWith("running_var")) w.forEach((_, i) => (w[i] = 0.5 + rand()));
    else if (p.perWidth !== null || p.init.kind === "const") w.forEach((_, i) => (w[i] = rand() - 0.5));
  }
  return weights;
}

export function testInputs(graph: Graph, seed: number): Record<string, Tensor> {
  const rand = mulberry32(seed);
  return Object.fromEntries(
    graph.inputs.map((i) => {
      const shape = graph.values.get(i.value)!.type.shape.map((d) => (typeof d === "number" ? d : 2));
      const n = shape.reduce((a, b) => a * b, 1);
      const ints = graph.values.get(i.value)!.type.dtype === "i64"; // token ids in [0, 8)
      return [
        i.name,
        { shape, data: Float32Array.from({ length: n }, () => (ints ? Math.floor(rand() * 8) : rand() * 2 - 1)) },
      ];
    }),
  );
}
