// Training graphs of the shipped examples (real stdlib encoders and heads): they build without
// diagnostics, onnxruntime accepts them, and a step of the sequence model gives finite values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fileHost } from "../../cli/host";
import { prepareModel } from "../../compiler/compile";
import { isMtlError } from "../../compiler/errors";
import type { Graph } from "../../compiler/ir/types";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { randomFeeds, sessionOf } from "../helpers/train-check";
import { prepareSource } from "../helpers/train-fixture";

function example(name: string): Graph {
  const file = `examples/${name}.mtl`;
  const host = fileHost(file);
  const r = prepareModel(host.entryOf(file), host);
  if (!r.ok) throw new Error(`${file} does not compile`);
  return r.prepared.graph;
}

const smallest = (g: Graph) => Object.fromEntries(g.groups.map((x) => [x.name, 0]));
const everything = (g: Graph) => ({
  tasks: g.tasks.map((t) => t.name),
  labels: true,
  distillOutputs: 1,
  distillFeatures: 1,
  gradients: true,
});

describe("training graphs of the examples", () => {
  it("nyud (segmentation, depth, normals on a ResNet encoder): builds and loads", async () => {
    const g = example("nyud");
    const tg = buildTrainingGraph(g, smallest(g), everything(g));
    expect(tg.diagnostics).toEqual([]);
    expect(tg.features.length).toBeGreaterThan(0);
    expect(tg.params.every((p) => tg.model.graph.outputs.some((o) => o.name === `grad.${p}`))).toBe(true);
    await (await sessionOf(tg)).release();
  }, 60_000);

  it("a single-task model (no shared encoder, so no features to distil) trains with features: 1", async () => {
    const source = readFileSync("examples/multimnist.mtl", "utf8")
      .replace(/^  task right .*$/m, "")
      .replace("prefer left: 1, right: 1", "prefer left: 1");
    const g = prepareSource(source).graph;
    const tg = buildTrainingGraph(g, smallest(g), everything(g));
    expect(tg.diagnostics).toEqual([]);
    expect(tg.features).toEqual([]);
    const out = await (await sessionOf(tg)).run(randomFeeds(tg, 1, 2));
    expect(Number.isFinite((out["loss"].data as Float32Array)[0])).toBe(true);
  }, 60_000);

  it("captioning (token logits [N, T, V]): one step gives finite losses and gradients", async () => {
    const g = example("captioning");
    const tg = buildTrainingGraph(g, smallest(g), everything(g));
    expect(tg.diagnostics).toEqual([]);
    const out = await (await sessionOf(tg)).run(randomFeeds(tg, 1, 2));
    for (const name of ["loss", ...tg.params.map((p) => `grad.${p}`)]) {
      expect(Array.from(out[name].data as Float32Array).every(Number.isFinite), name).toBe(true);
    }
  }, 60_000);

  it("cifar_mtl declares no losses: MTL-TRAIN-002 names the task", () => {
    const g = example("cifar_mtl");
    try {
      buildTrainingGraph(g, smallest(g), everything(g));
      expect.unreachable();
    } catch (e) {
      expect(isMtlError(e) && e.code).toBe("MTL-TRAIN-002");
      expect((e as Error).message).toContain(`task '${g.tasks[0].name}'`);
    }
  });
});
