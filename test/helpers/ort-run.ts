// Running emitted models in onnxruntime-node at a configuration, and comparing with the reference.
import * as ort from "onnxruntime-node";
import type { Config, Graph } from "../../compiler/ir/types";
import type { Tensor } from "./reference-ops";
import { runInputName, widthInputName } from "../../compiler/io-names";

/** Every configuration of a graph's width groups (the full product). */
export function allConfigs(graph: Graph): Config[] {
  let configs: Record<string, number>[] = [{}];
  for (const g of graph.groups) configs = configs.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
  return configs;
}

/** Feeds for a run: data inputs, `width.<group>` indices and `run.<task>` flags. */
export function feeds(
  graph: Graph,
  inputs: Record<string, Tensor>,
  config: Config,
  run: Record<string, boolean> = {},
  gated = true,
): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const i of graph.inputs) {
    const t = inputs[i.name];
    const ints = graph.values.get(i.value)!.type.dtype === "i64";
    f[i.name] = ints
      ? new ort.Tensor(
          "int64",
          BigInt64Array.from(t.data, (v) => BigInt(v)),
          [...t.shape],
        )
      : new ort.Tensor("float32", t.data, [...t.shape]);
  }
  for (const g of graph.groups)
    f[widthInputName(g.name)] = new ort.Tensor(
      "int64",
      BigInt64Array.from([BigInt(config[g.name] ?? g.choices.length - 1)]),
      [],
    );
  if (gated) for (const t of graph.tasks) f[runInputName(t.name)] = new ort.Tensor("bool", [run[t.name] ?? true], []);
  return f;
}

/** Largest absolute difference over the largest reference magnitude (exact for ints and bools). */
export function relativeError(got: ort.Tensor, want: Tensor): number {
  if ([...got.dims].join() !== want.shape.join()) return Infinity;
  const values = Array.from(got.data as ArrayLike<number | bigint | boolean>, Number);
  let diff = 0;
  let scale = 1e-6;
  values.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - want.data[i]));
    scale = Math.max(scale, Math.abs(want.data[i]));
  });
  return got.type === "float32" ? diff / scale : diff;
}
