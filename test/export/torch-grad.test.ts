// The generated PyTorch package against mtl's own training graphs, one step: examples/multimnist.mtl
// and a small model with a depthwise conv and a concat in its encoder, each with mtl's seeded
// weights (exported as safetensors), one batch of 8 with fixed targets. train.py's
// own `sandwich_step` (float64, train-mode switchable BatchNorm) gives the same label loss and the
// same gradient of every full-size parameter (per-width BatchNorm rows included) as
// buildTrainingGraph run in onnxruntime-node with its gradients scattered back by
// compiler/train/cut.ts, at the largest, the smallest and one mixed configuration; and with the
// largest configuration as teacher (in-place output distillation plus feature distillation, as the
// `train { distill ... }` section declares; the small model's at temperature 3, multimnist's at 1)
// the same distillation losses and summed gradients.
// mtl computes in float32: gradients agree within 1e-4 of each tensor's largest magnitude, the
// label loss within 1e-5, the distillation losses within 1e-4 (relative). About 8 s.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullStateDict } from "../../cli/commands/export-torch";
import { prepareModel } from "../../compiler/compile";
import { exportTorch } from "../../compiler/export/torch/index";
import { memoryHost } from "../../compiler/host";
import type { Config, Graph } from "../../compiler/ir/types";
import { cut, cutMaps, scatterAdd } from "../../compiler/train/cut";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { mulberry32 } from "../../compiler/weights/init";
import { encodeSafetensors } from "../../compiler/weights/safetensors";
import { stdlibFiles } from "../helpers/check";
import { relError, sessionOf } from "../helpers/train-check";

const N = 8;
const work = mkdtempSync(join(tmpdir(), "mtl-torch-grad-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Runs train.py's sandwich_step in float64: [cfg] alone (labels), and [largest, cfg] (labels for
// the largest, distillation for cfg); full-size gradients and the losses out as JSON.
const PYTHON = String.raw`
import json, sys
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
torch.set_grad_enabled(True)
import train
from model import Model
job = json.load(open(sys.argv[2]))
x = torch.tensor(job["image"], dtype=torch.float64).reshape(job["shape"])
targets = {t: torch.tensor(v, dtype=torch.int64) for t, v in job["targets"].items()}
class NoScaler:
    def scale(self, loss):
        return loss
def fresh():
    m = Model()
    m.load_weights(job["weights"])
    return m.double().train()
losses = {t: (s["kind"], s["ignore_index"]) for t, s in Model.LOSSES.items() if s is not None}
weights = {t: train.TRAIN["loss_weights"].get(t, 1.0) for t in losses}
def step(configs):
    m = fresh()
    loss = train.sandwich_step(m, m, {"image": x}, targets, configs, losses, weights, NoScaler(), False,
                               torch.device("cpu"), 1)
    grads = {k: (p.grad.flatten().tolist() if p.grad is not None else None) for k, p in m.named_parameters()}
    return m, loss, grads
out = []
for cfg in job["configs"]:
    _, loss, grads = step([cfg])
    r = {"loss": loss, "grads": grads}
    if cfg != job["largest"]:
        m, _, grads = step([job["largest"], cfg])
        with torch.no_grad():
            t_out, t_feat = m({"image": x}, job["largest"], None, True)
            s_out, s_feat = m({"image": x}, cfg, None, True)
            temp = train.TRAIN["distill_temperature"]
            r["distill"] = {t: float(train.distill_loss(k, s_out[t], t_out[t], temp)) for t, (k, _) in losses.items()}
            r["features"] = float(train.feature_loss(m, m.resolve(cfg), s_feat, t_feat))
        r["sandwich"] = grads
        r["distill_outputs"], r["distill_features"] = train.TRAIN["distill_outputs"], train.TRAIN["distill_features"]
        r["distill_temperature"] = train.TRAIN["distill_temperature"]
    out.append(r)
print(json.dumps(out))
`;

interface TorchResult {
  loss: number;
  grads: Record<string, number[] | null>;
  distill?: Record<string, number>;
  features?: number;
  sandwich?: Record<string, number[] | null>;
  distill_outputs?: number;
  distill_features?: number;
  distill_temperature?: number;
}

// A second model, small and fast: a depthwise conv and a concat (two channel segments) in the
// encoder, per-task loss weights and its own distillation weights and temperature.
const SMALL = `block mix(x: tensor) -> tensor {
  y = x |> conv(16, k: 3, bias: false) as c1 |> bn as b1 |> relu
  d = y |> conv(16, k: 3, groups: y.channels, bias: false) as dw |> bn as b2 |> relu6
  p = y |> conv(8, k: 1) as side
  return concat([d, p], axis: 1)
}

model Small {
  input image: f32[N, 3, 8, 8]
  widths 0.5, 0.75, 1.0
  divisor 4
  encoder features = mix(image) |> maxpool(k: 2)
  task a {
    head features |> conv(8, k: 3, bias: false) as h |> bn as hb |> relu |> gap |> flatten |> fixed linear(4) as fc
    decode argmax loss cross_entropy
  }
  task b { head features |> gap |> flatten |> fixed linear(3) as fc decode argmax loss cross_entropy }
  train {
    distill outputs: 0.7, features: 0.3, labels: 0.4, temperature: 3
    loss_weights a: 1.0, b: 0.5
  }
}
`;

const MODELS: Record<string, string> = {
  multimnist: readFileSync("examples/multimnist.mtl", "utf8"),
  "small (depthwise conv, concat)": SMALL,
};

type Outputs = ort.InferenceSession.OnnxValueMapType;

function suite(label: string, source: string): void {
  const host = memoryHost({ ...stdlibFiles, "m.mtl": source });
  const prepared = prepareModel("m.mtl", host, {});
  if (!prepared.ok) throw new Error(`${label} does not compile`);
  const graph: Graph = prepared.prepared.graph;
  const full = prepared.prepared.weights;
  const tasks = graph.tasks.map((t) => t.name);
  const largest: Config = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
  const smallest: Config = Object.fromEntries(graph.groups.map((g) => [g.name, 0]));
  // The encoder's group at its second width, one head's group full, the others smallest.
  const encoder = graph.groups.find((g) => g.name === "backbone") ?? graph.groups[0];
  const head = graph.groups.find((g) => g !== encoder)!;
  const mixed: Config = Object.fromEntries(
    graph.groups.map((g) => [g.name, g === encoder ? 1 : g === head ? g.choices.length - 1 : 0]),
  );
  const CONFIGS: Record<string, Config> = { largest, smallest, mixed };

  const dims = graph.values.get(graph.inputs[0].value)!.type.shape.map((d) => (typeof d === "number" ? d : N));
  const rand = mulberry32(3);
  const image = Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => rand() * 2 - 1);
  const classesOf = (t: string) =>
    graph.values.get(graph.tasks.find((x) => x.name === t)!.output)!.type.shape[1] as number;
  const targets = Object.fromEntries(
    tasks.map((t) => [t, Array.from({ length: N }, () => Math.floor(rand() * classesOf(t)))]),
  );

  /** One training graph at `config`; its outputs and its gradients scattered into full-size zeros. */
  async function mtlStep(
    config: Config,
    teacher: Outputs | null,
  ): Promise<{ out: Outputs; grads: Map<string, Float32Array> }> {
    const train = graph.train!;
    const distill = teacher !== null;
    const tg = buildTrainingGraph(graph, config, {
      tasks,
      lossWeights: train.lossWeights,
      labels: !distill || train.distillLabels > 0,
      labelWeight: distill ? train.distillLabels : 1,
      distillOutputs: distill ? train.distillOutputs : 0,
      distillTemperature: train.distillTemperature,
      distillFeatures: distill ? train.distillFeatures : 0,
      gradients: true,
    });
    const maps = cutMaps(graph, config);
    const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor("float32", image, dims) };
    for (const p of tg.params)
      feeds[p] = new ort.Tensor("float32", cut(full.get(p)!, maps.get(p)!), [...maps.get(p)!.shape]);
    for (const i of tg.model.graph.inputs) {
      if (i.name.startsWith("target."))
        feeds[i.name] = new ort.Tensor("int64", BigInt64Array.from(targets[i.name.slice(7)], BigInt), [N]);
      if (i.name.startsWith("teacher.")) {
        const from = teacher![i.name.startsWith("teacher.feature.") ? i.name.slice(8) : `output.${i.name.slice(8)}`];
        feeds[i.name] = from;
      }
    }
    const session = await sessionOf(tg);
    const out = await session.run(feeds);
    await session.release();
    const grads = new Map<string, Float32Array>();
    for (const p of tg.params) {
      const g = new Float32Array(full.get(p)!.length);
      scatterAdd(g, maps.get(p)!, out[`grad.${p}`].data as Float32Array);
      grads.set(p, g);
    }
    return { out, grads };
  }

  const scalar = (out: Outputs, k: string) => Number((out[k].data as Float32Array)[0]);

  describe(`mtl export torch: one step of train.py against mtl's training graphs (${label})`, () => {
    const mtl: Record<string, { out: Outputs; grads: Map<string, Float32Array> }> = {};
    const distilled: Record<string, { out: Outputs; grads: Map<string, Float32Array> }> = {};
    const torch: Record<string, TorchResult> = {};

    beforeAll(async () => {
      const dir = mkdtempSync(join(work, "m-"));
      const pkg = join(dir, "pkg");
      mkdirSync(pkg);
      expect(graph.train!.distillOutputs * graph.train!.distillFeatures).toBeGreaterThan(0);
      for (const [name, text] of exportTorch(graph, { entry: "m.mtl" }).files) writeFileSync(join(pkg, name), text);
      writeFileSync(join(dir, "w.safetensors"), encodeSafetensors(fullStateDict(graph, full)));
      for (const [name, config] of Object.entries(CONFIGS)) mtl[name] = await mtlStep(config, null);
      for (const name of ["smallest", "mixed"]) distilled[name] = await mtlStep(CONFIGS[name], mtl.largest.out);
      const job = {
        image: Array.from(image),
        shape: dims,
        targets,
        weights: join(dir, "w.safetensors"),
        configs: Object.values(CONFIGS),
        largest,
      };
      writeFileSync(join(dir, "job.json"), JSON.stringify(job));
      const text = execFileSync("/usr/bin/python3", ["-c", PYTHON, pkg, join(dir, "job.json")], {
        encoding: "utf8",
        maxBuffer: 256 << 20,
      });
      const results = JSON.parse(text) as TorchResult[];
      Object.keys(CONFIGS).forEach((name, i) => (torch[name] = results[i]));
    }, 120_000);

    for (const name of Object.keys(CONFIGS)) {
      it(`${name}: the label loss and every full-size parameter gradient`, () => {
        const { out, grads } = mtl[name];
        const want = torch[name];
        expect(Math.abs(scalar(out, "loss") - want.loss) / want.loss, "loss").toBeLessThan(1e-5);
        // Every parameter the configuration uses has a gradient on both sides; the rest none / zero.
        for (const [p, g] of Object.entries(want.grads)) {
          const got = grads.get(p);
          if (got === undefined)
            expect(g === null || g.every((v) => v === 0), `${p}: torch has a gradient, mtl none`).toBe(true);
          else expect(relError(got, g!), `grad of ${p}`).toBeLessThan(1e-4);
        }
        expect([...grads.keys()].every((p) => p in want.grads)).toBe(true);
      });
    }

    for (const name of ["smallest", "mixed"]) {
      it(`${name} taught by the largest: distillation losses and the sandwich's summed gradients`, () => {
        const want = torch[name];
        const { out } = distilled[name];
        expect(want.distill_outputs).toBe(graph.train!.distillOutputs);
        expect(want.distill_features).toBe(graph.train!.distillFeatures);
        expect(want.distill_temperature).toBe(graph.train!.distillTemperature);
        for (const t of tasks) {
          const got = scalar(out, `loss.distill.${t}`);
          expect(Math.abs(got - want.distill![t]) / want.distill![t], `distillation of ${t}`).toBeLessThan(1e-4);
        }
        const features = scalar(out, "loss.features");
        expect(Math.abs(features - want.features!) / want.features!, "feature distillation").toBeLessThan(1e-4);
        expect(want.features!).toBeGreaterThan(0);
        for (const [p, g] of Object.entries(want.sandwich!)) {
          const sum = new Float32Array(mtl.largest.grads.get(p)!);
          const student = distilled[name].grads.get(p);
          if (student) sum.forEach((v, i) => (sum[i] = v + student[i]));
          expect(relError(sum, g!), `summed grad of ${p}`).toBeLessThan(1e-4);
        }
      });
    }
  });
}

for (const [label, source] of Object.entries(MODELS)) suite(label, source);
