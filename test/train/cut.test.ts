// Cut/scatter index maps against specialise() for every configuration of a small two-task net,
// with distinct per-width BatchNorm rows; scatter is checked to be cut's adjoint.
import { describe, expect, it } from "vitest";
import { prepareModel } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import type { Config, Graph } from "../../compiler/ir/types";
import { specialise } from "../../compiler/passes/specialise";
import { cut, cutMaps, scatterAdd, updateRunning } from "../../compiler/train/cut";
import { mulberry32 } from "../../compiler/weights/init";
import { join } from "node:path";
import { fileHost } from "../../cli/host";
import { StepRng } from "../../runtime/train/rng";
import { largestConfig, randomConfig, smallestConfig } from "../../runtime/train/sandwich";
import { stdlibFiles } from "../helpers/check";
import { testWeights } from "../helpers/test-data";
import { TWO_TASK } from "../helpers/compiled";

function prepared(): { graph: Graph; weights: Map<string, Float32Array> } {
  const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": TWO_TASK }));
  if (!r.ok) throw new Error("test model does not compile");
  const rand = mulberry32(3);
  // distinct values everywhere, including every per-width row
  const weights = new Map([...r.prepared.weights].map(([k, v]) => [k, Float32Array.from(v, () => rand() * 2 - 1)]));
  return { graph: r.prepared.graph, weights };
}

function allConfigs(graph: Graph): Config[] {
  let configs: Record<string, number>[] = [{}];
  for (const g of graph.groups) configs = configs.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
  return configs;
}

// captioning: attention (stacked q/k/v segments), embeddings; cifar_mtl: 21 groups; multimnist.
describe.each(["captioning.mtl", "cifar_mtl.mtl", "multimnist.mtl"])("cut of examples/%s", (file) => {
  it("equals specialise's cut at the largest, the smallest and seeded random configurations", () => {
    const root = join(import.meta.dirname, "..", "..");
    const host = fileHost(join(root, "examples", file), root);
    const r = prepareModel(host.entryOf(join(root, "examples", file)), host);
    if (!r.ok) throw new Error(`${file} does not compile`);
    const graph = r.prepared.graph;
    const weights = testWeights(graph, 1); // distinct per-width rows
    const rng = new StepRng(3);
    const configs = [
      largestConfig(graph),
      smallestConfig(graph),
      ...Array.from({ length: 2 }, () => randomConfig(graph, rng)),
    ];
    for (const config of configs) {
      const ref = specialise(graph, weights, config);
      for (const [name, map] of cutMaps(graph, config)) {
        const [got, want] = [cut(weights.get(name)!, map), ref.weights.get(name)!];
        // bytes (toEqual is slow on millions); a view's own bytes, since specialise may return a view of a row
        const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        expect(bytes(got).equals(bytes(want)), name).toBe(true);
      }
    }
  }, 60_000);
});

describe("cut and scatter", () => {
  const { graph, weights } = prepared();
  const configs = allConfigs(graph);

  it("cuts exactly what specialise cuts, at every configuration", () => {
    expect(configs.length).toBe(64);
    expect([...graph.params.values()].some((p) => p.perWidth !== null)).toBe(true);
    for (const config of configs) {
      const ref = specialise(graph, weights, config);
      for (const [name, map] of cutMaps(graph, config)) {
        expect(map.shape).toEqual(ref.graph.params.get(name)!.shape);
        expect(cut(weights.get(name)!, map)).toEqual(ref.weights.get(name));
      }
    }
  });

  it("scatter-add is the adjoint of cut and touches each entry once", () => {
    const rand = mulberry32(9);
    for (const config of [configs[0], configs[21], configs[configs.length - 1]]) {
      for (const [name, map] of cutMaps(graph, config)) {
        const full = weights.get(name)!;
        expect(new Set(map.index).size).toBe(map.index.length);
        const g = Float32Array.from({ length: map.index.length }, () => rand() - 0.5);
        const fullGrad = new Float32Array(full.length);
        scatterAdd(fullGrad, map, g);
        scatterAdd(fullGrad, map, g); // accumulates
        const lhs = fullGrad.reduce((s, x, i) => s + x * full[i], 0);
        const cutW = cut(full, map);
        const rhs = 2 * g.reduce((s, x, i) => s + x * cutW[i], 0);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(rhs)));
      }
    }
  });

  it("updates only the active width's running-statistics row", () => {
    const config = configs[5];
    const name = [...graph.params.values()].find((p) => p.perWidth !== null && p.name.endsWith("running_mean"))!.name;
    const map = cutMaps(graph, config).get(name)!;
    const before = weights.get(name)!.slice();
    const after = before.slice();
    const batch = Float32Array.from({ length: map.index.length }, (_, i) => i);
    updateRunning(after, map, batch);
    const touched = new Set(map.index);
    after.forEach((x, i) => {
      if (touched.has(i)) return;
      expect(x).toBe(before[i]);
    });
    map.index.forEach((j, i) => expect(after[j]).toBeCloseTo(0.9 * before[j] + 0.1 * i, 5));
  });
});
