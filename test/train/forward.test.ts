// The training graph's forward pass against the inference file (lowerToOnnx with width inputs):
// without BatchNorm the raw outputs are equal; with BatchNorm they are equal once the inference
// file's running statistics are the batch's own (mean, and the unbiased variance the training
// graph returns turned back into the biased one BatchNorm normalises with).
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../compiler/ir/builder";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { lowerToOnnx } from "../../compiler/lower/lower";
import { encodeModel } from "../../compiler/onnx/encode";
import { specialise } from "../../compiler/passes/specialise";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { at, convOpts } from "../helpers/reference-nets";
import { feeds as inferenceFeeds, relativeError } from "../helpers/ort-run";
import { testInputs, testWeights } from "../helpers/test-data";
import { sessionOf, lossOf } from "../helpers/train-check";

const B = 3;

function net(bn: boolean): Graph {
  const b = new GraphBuilder("fwd", [0.5, 1.0], 2);
  b.addGroup("backbone");
  b.addGroup("head");
  const x = b.input("image", "f32", ["N", 3, 8, 8], 1);
  const norm = (v: string, name: string) => (bn ? b.batchnorm(at(name, "backbone"), v, { eps: 1e-5 }) : v);
  let y = b.unary(at("r1"), "relu", norm(b.conv(at("c1", "backbone"), x, convOpts(8, 3)), "bn1"));
  const dw = b.unary(at("r2"), "relu6", norm(b.conv(at("dw"), y, convOpts(8, 3, 2, { groups: 8 })), "bn2")); // [N, 8, 4, 4]
  y = b.concat(
    at("cat"),
    [
      dw,
      b.pool(
        at("ap"),
        "avgpool",
        b.pool(at("mp"), "maxpool", y, { kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] }),
        {
          kernel: [3, 3],
          stride: [1, 1],
          pads: [1, 1, 1, 1],
        },
      ),
    ],
    1,
  );
  y = b.resize(at("up"), y, { scales: [1.5, 1.5], mode: "linear" }); // [N, 16, 6, 6]
  let t = b.transpose(at("tok"), b.reshape(at("flat"), y, ["N", 16, 36]), [0, 2, 1]);
  t = b.linear(at("emb"), t, { out: 8, bias: true });
  t = b.binary(
    at("res"),
    "add",
    t,
    b.attention(at("attn", "head"), b.layernorm(at("ln"), t, { eps: 1e-5 }), { heads: 2 }),
  );
  const out = b.linear(at("fc"), b.mean(at("pool"), b.unary(at("act"), "gelu", t), [1], false), { out: 4, bias: true });
  b.addTask({ name: "cls", output: out, decode: { kind: "identity" }, loss: lossOf("l2"), metric: null });
  return b.finish();
}

async function inference(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  image: { shape: number[]; data: Float32Array },
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(encodeModel(lowerToOnnx(graph, weights)));
  return (await session.run(inferenceFeeds(graph, { image }, config))).cls;
}

async function training(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  image: { shape: number[]; data: Float32Array },
) {
  const tg = buildTrainingGraph(graph, config, {
    tasks: ["cls"],
    labels: false,
    distillOutputs: 0,
    distillFeatures: 0,
    gradients: false,
  });
  const cut = specialise(graph, weights, config).weights;
  const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor("float32", image.data, image.shape) };
  for (const i of tg.model.graph.inputs)
    if (tg.params.includes(i.name)) feeds[i.name] = new ort.Tensor("float32", cut.get(i.name)!, i.shape as number[]);
  return { tg, out: await (await sessionOf(tg)).run(feeds) };
}

const CONFIGS: Config[] = [
  { backbone: 1, head: 1 },
  { backbone: 0, head: 1 },
  { backbone: 0, head: 0 },
];

describe("training forward against the inference file", () => {
  for (const config of CONFIGS) {
    it(`no BatchNorm, ${JSON.stringify(config)}: raw outputs equal`, async () => {
      const graph = net(false);
      const weights = testWeights(graph, 3);
      const image = { ...testInputs(graph, 4).image, shape: [B, 3, 8, 8] };
      image.data = Float32Array.from({ length: B * 192 }, (_, i) => Math.sin(i));
      const want = await inference(graph, weights, config, image);
      const { out } = await training(graph, weights, config, image);
      const w = { shape: [...want.dims], data: want.data as Float32Array };
      expect(relativeError(out["output.cls"], w)).toBeLessThan(1e-5);
    });
  }

  it("with BatchNorm: equal once the inference running statistics are the batch's", async () => {
    const graph = net(true);
    const config = { backbone: 0, head: 1 };
    const weights = new Map(testWeights(graph, 3));
    const image = { shape: [B, 3, 8, 8], data: Float32Array.from({ length: B * 192 }, (_, i) => Math.cos(i)) };
    const { tg, out } = await training(graph, weights, config, image);
    expect(tg.buffers).toEqual(["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"]);
    for (const s of tg.batchStats) {
      const p = graph.params.get(s.runningMean)!;
      const full = p.shape[0];
      const mean = out[s.mean].data as Float32Array;
      const unbiased = out[s.var].data as Float32Array;
      const perChannel = (B * image.shape[2] * image.shape[3]) / (s.node === "bn2" ? 4 : 1); // bn2 follows a stride-2 conv
      // Write the batch statistics into this width's row (row 0 of the switchable rows).
      const row = config.backbone;
      const rm = Float32Array.from(weights.get(s.runningMean)!);
      const rv = Float32Array.from(weights.get(s.runningVar)!);
      mean.forEach((m, c) => {
        rm[row * full + c] = m;
        rv[row * full + c] = (unbiased[c] * (perChannel - 1)) / perChannel;
      });
      weights.set(s.runningMean, rm);
      weights.set(s.runningVar, rv);
    }
    const want = await inference(graph, weights, config, image);
    expect(relativeError(out["output.cls"], { shape: [...want.dims], data: want.data as Float32Array })).toBeLessThan(
      1e-4,
    );
  });

  it("without gradients the graph holds no backward nodes, even with losses on", () => {
    const graph = net(true);
    const opts = { tasks: ["cls"], labels: true, distillOutputs: 0, distillFeatures: 0 };
    const forward = buildTrainingGraph(graph, {}, { ...opts, gradients: false }).model.graph;
    const full = buildTrainingGraph(graph, {}, { ...opts, gradients: true }).model.graph;
    expect(forward.outputs.map((o) => o.name)).toContain("loss");
    expect(forward.outputs.some((o) => o.name.startsWith("grad."))).toBe(false);
    // Every node feeds another or an output: the losses' gradient nodes were dropped.
    const used = new Set([...forward.nodes.flatMap((n) => n.inputs), ...forward.outputs.map((o) => o.name)]);
    expect(forward.nodes.filter((n) => !n.outputs.some((o) => used.has(o))).map((n) => n.name)).toEqual([]);
    expect(forward.nodes.filter((n) => n.name.startsWith("loss.cls")).length).toBeLessThan(
      full.nodes.filter((n) => n.name.startsWith("loss.cls")).length,
    );
    expect(full.nodes.length).toBeGreaterThan(2 * forward.nodes.length);
  });

  it("a layer named like an interface value (`loss`) does not take its name", () => {
    const b = new GraphBuilder("names", [1.0], 1);
    const x = b.input("x", "f32", ["N", 3], 1);
    const y = b.linear(at("loss"), b.linear(at("output.t"), x, { out: 3, bias: true }), { out: 2, bias: true });
    b.addTask({ name: "t", output: y, decode: { kind: "identity" }, loss: lossOf("l2"), metric: null });
    const tg = buildTrainingGraph(
      b.finish(),
      {},
      { tasks: ["t"], labels: true, distillOutputs: 0, distillFeatures: 0, gradients: true },
    );
    const produced = tg.model.graph.nodes.flatMap((n) => n.outputs);
    expect(produced.filter((o) => o === "loss")).toHaveLength(1);
    expect(tg.model.graph.nodes.find((n) => n.outputs.includes("loss"))!.opType).toBe("Identity");
  });
});
