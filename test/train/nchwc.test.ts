// Convs on onnxruntime's blocked kernels (compiler/train/nchwc.ts): the block the probe finds
// gives the same losses, gradients, batch statistics and outputs as the standard ops, for every
// role and at widths whose channel counts do and do not fill whole blocks; another block does
// not (so the probe can tell them apart); MTL_NCHWC=0 and other providers turn the kernels off.
import * as ort from "onnxruntime-node";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../compiler/ir/types";
import { NCHWC_DOMAIN } from "../../compiler/train/nchwc";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { nchwcBlock } from "../../runtime/train/nchwc-probe";
import type { ProgramRole } from "../../runtime/train/program";
import { trainingPrograms } from "../../runtime/train/programs";
import { seededFeeds } from "../../runtime/train/seeded-feeds";
import { ortOptions, sessionSettings } from "../../runtime/train/sessions";
import { prepareSource } from "../helpers/train-fixture";

// A first conv on one channel (NCHW input), blocked convs, a strided conv (its input gradient stays
// a ConvTranspose), a conv with a bias, a dilated one, and at width 0.5 channel counts of 16 and 24
// (padded to whole blocks of 16).
const SOURCE = `
model Blocks {
  input image: f32[N, 1, 12, 12]
  widths 0.5, 1.0
  encoder e = image |> conv(32, k: 3, bias: false) |> bn |> relu |> maxpool(k: 2) |> conv(32, k: 3, bias: false) |> bn |> relu
  task a { head e |> conv(48, k: 3, stride: 2, bias: false) |> bn |> relu |> gap |> flatten |> fixed linear(10) loss cross_entropy }
  task b {
    head e |> conv(48, k: 3) |> relu |> conv(32, k: 3, pad: 2, dilation: 2) |> relu |> gap |> flatten |> fixed linear(10)
    loss cross_entropy
  }
  train { distill outputs: 1.0, features: 0.5, labels: 1.0 }
}`;
const { graph } = prepareSource(SOURCE);
const settings = sessionSettings(1);
const tasks = graph.tasks.map((t) => t.name);
const pick = (choice: (n: number) => number): Config =>
  Object.fromEntries(graph.groups.map((g) => [g.name, choice(g.choices.length)]));
const configs: Record<string, Config> = {
  largest: pick((n) => n - 1),
  smallest: pick(() => 0),
  mixed: Object.fromEntries(graph.groups.map((g, i) => [g.name, i % 2 === 0 ? g.choices.length - 1 : 0])),
};

async function run(block: number, config: Config, role: ProgramRole) {
  const program = trainingPrograms(graph, graph.train, tasks, block)(config, role);
  const session = await ort.InferenceSession.create(program.bytes, ortOptions(settings));
  try {
    return await session.run(seededFeeds(session, 8, 11));
  } finally {
    await session.release();
  }
}

/** The largest relative difference over every output (relative to that output's largest magnitude). */
function worst(a: ort.InferenceSession.ReturnType, b: ort.InferenceSession.ReturnType): number {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  let out = 0;
  for (const name of Object.keys(a)) {
    const x = a[name].data as Float32Array;
    const y = b[name].data as Float32Array;
    const scale = Math.max(1e-12, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) out = Math.max(out, Math.abs(x[i] - y[i]) / scale);
  }
  return out;
}

describe("convs on onnxruntime's blocked kernels", async () => {
  const block = await nchwcBlock(settings);
  afterEach(() => void delete process.env.MTL_NCHWC);

  it("the probe finds 16, 8 or none", () => {
    expect([0, 8, 16]).toContain(block);
  });

  it("MTL_NCHWC=0 and the CUDA provider keep the standard ops", async () => {
    process.env.MTL_NCHWC = "0";
    expect(await nchwcBlock(settings)).toBe(0);
    delete process.env.MTL_NCHWC;
    expect(await nchwcBlock({ ...settings, provider: "cuda" })).toBe(0);
  });

  it("a training graph with a block uses the kernels' domain and imports it", () => {
    for (const b of [8, 16]) {
      const g = buildTrainingGraph(graph, configs.largest, {
        tasks,
        labels: true,
        distillOutputs: 0,
        distillFeatures: 0,
        gradients: true,
        nchwcBlock: b,
      });
      const blocked = g.model.graph.nodes.filter((n) => n.domain === NCHWC_DOMAIN);
      // Five forward convs and three stride-1 input gradients (stage 2, both of head b's); the
      // first conv needs none and the strided one keeps its ConvTranspose.
      expect(blocked.filter((n) => n.opType === "Conv").length).toBe(8);
      expect(g.model.graph.nodes.filter((n) => n.opType === "ConvTranspose").length).toBe(1);
      expect(g.model.extraOpsets).toEqual([{ domain: NCHWC_DOMAIN, version: 1 }]);
    }
    // At width 0.5 the heads' 24 channels are padded to two blocks of 16 (the kernels compute the
    // zero channels; ReorderOutput drops them): 1.33x the work, under MAX_PADDING.
    const small = buildTrainingGraph(graph, configs.smallest, {
      tasks,
      labels: true,
      distillOutputs: 0,
      distillFeatures: 0,
      gradients: true,
      nchwcBlock: 16,
    });
    const reorders = small.model.graph.nodes.filter((n) => n.opType === "ReorderOutput");
    expect(reorders.map((n) => n.attributes.find((a) => a.name === "channels")?.value)).toContain(24);
    expect(small.model.graph.nodes.some((n) => n.opType === "Pad" && n.name.includes("conv"))).toBe(true);
    const plain = buildTrainingGraph(graph, configs.largest, {
      tasks,
      labels: true,
      distillOutputs: 0,
      distillFeatures: 0,
      gradients: true,
    });
    expect(plain.model.graph.nodes.some((n) => n.domain === NCHWC_DOMAIN)).toBe(false);
    expect(plain.model.extraOpsets).toBeUndefined();
  });

  describe.skipIf(block === 0)("against the standard ops", () => {
    for (const [name, config] of Object.entries(configs))
      for (const role of ["teacher", "student", "calibrate"] as const)
        it(`${name} configuration, ${role}: the same losses, gradients and statistics`, async () => {
          expect(worst(await run(0, config, role), await run(block, config, role))).toBeLessThan(1e-4);
        });

    it("another block gives other results (the probe can tell them apart)", async () => {
      const other = block === 16 ? 8 : 16;
      const a = await run(0, configs.largest, "teacher");
      const b = await run(other, configs.largest, "teacher").catch(() => null);
      if (b !== null) expect(worst(a, b)).toBeGreaterThan(1e-2);
    });
  });
});
