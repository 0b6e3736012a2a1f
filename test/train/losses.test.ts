// Every loss kind, the ignore index, output distillation (soft targets from a teacher with the
// largest configuration's shapes, cut to the student's channels) and feature distillation:
// values against PyTorch (/usr/bin/python3, float64, from the graph's own outputs), gradients
// against finite differences of the graph's total loss. Distillation at a temperature: values
// and gradients with respect to the head outputs against PyTorch autograd.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../compiler/ir/builder";
import type { Graph, Task } from "../../compiler/ir/types";
import { encodeModel } from "../../compiler/onnx/encode";
import { buildTrainingGraph, type TrainingGraphOptions } from "../../compiler/train/graph";
import { lossSpecOf } from "../../compiler/train/losses";
import { at, convOpts } from "../helpers/reference-nets";
import { checkGradients, randomFeeds, relError, sessionOf, lossOf } from "../helpers/train-check";

const IGNORE = 255;

function net(): Graph {
  const b = new GraphBuilder("losses", [0.5, 1.0], 1);
  b.addGroup("backbone");
  const x = b.input("x", "f32", ["N", 4, 3, 3], 1);
  const f = b.unary(at("enc.relu"), "tanh", b.conv(at("enc.conv", "backbone"), x, convOpts(8, 3, 1, { bias: true })));
  const head = (name: string, out: number) => b.conv(at(`${name}.conv`), f, convOpts(out, 1, 1, { bias: true }));
  const vec = (name: string, out: number) =>
    b.linear(at(`${name}.fc`), b.flatten(at(`${name}.flat`), b.globalAvgPool(at(`${name}.gap`), f), 1), {
      out,
      bias: true,
    });
  const task = (name: string, output: string, loss: Task["loss"]) =>
    b.addTask({ name, output, decode: { kind: "identity" }, loss, metric: null });
  task("seg", head("seg", 3), lossOf("cross_entropy", IGNORE));
  task("cls", vec("cls", 4), lossOf("cross_entropy"));
  task("tags", vec("tags", 5), lossOf("bce"));
  task("depth", head("depth", 1), lossOf("l1"));
  task("reg", vec("reg", 2), lossOf("l2"));
  task("normal", head("normal", 3), lossOf("cosine"));
  // A sequence head [N, T, V]: classes on the last axis (its channel axis).
  const tokens = b.transpose(at("tok.t"), b.reshape(at("tok.r"), f, ["N", 8, 9]), [0, 2, 1]);
  task("tok", b.linear(at("tok.fc"), tokens, { out: 5, bias: true }), lossOf("cross_entropy", IGNORE));
  return b.finish();
}

const TASKS = ["seg", "cls", "tags", "depth", "reg", "normal", "tok"];
const WEIGHTS = { seg: 0.5, cls: 1.5, tags: 2, depth: 1, reg: 0.25, normal: 3, tok: 0.75 };
const opts = {
  tasks: TASKS,
  lossWeights: WEIGHTS,
  labels: true,
  labelWeight: 0.25, // a distilled configuration that keeps a quarter of its label loss
  distillOutputs: 0.5,
  distillFeatures: 0.3,
  gradients: true,
};

const PYTHON = String.raw`
import json, sys
import torch, torch.nn.functional as F
j = json.load(open(sys.argv[1]))
T = lambda k, dt=torch.float64: torch.tensor(j[k]["data"], dtype=dt).reshape(j[k]["shape"])
out = {}
o = lambda t: T("output." + t)
tg = lambda t: T("teacher." + t)
out["seg"] = F.cross_entropy(o("seg"), T("target.seg", torch.long), ignore_index=j["ignore"]).item()
out["cls"] = F.cross_entropy(o("cls"), T("target.cls", torch.long)).item()
out["tags"] = F.binary_cross_entropy_with_logits(o("tags"), T("target.tags")).item()
out["depth"] = F.l1_loss(o("depth"), T("target.depth")).item()
out["reg"] = F.mse_loss(o("reg"), T("target.reg")).item()
out["normal"] = (1 - F.cosine_similarity(o("normal"), T("target.normal"), dim=1).mean()).item()
out["tok"] = F.cross_entropy(o("tok").transpose(1, 2), T("target.tok", torch.long), ignore_index=j["ignore"]).item()
soft = lambda s, t: (-(torch.softmax(t, 1) * torch.log_softmax(s, 1)).sum(1)).mean().item()
out["distill.seg"] = soft(o("seg"), tg("seg"))
out["distill.cls"] = soft(o("cls"), tg("cls"))
out["distill.tags"] = F.binary_cross_entropy_with_logits(o("tags"), torch.sigmoid(tg("tags"))).item()
out["distill.depth"] = F.l1_loss(o("depth"), tg("depth")).item()
out["distill.reg"] = F.mse_loss(o("reg"), tg("reg")).item()
out["distill.normal"] = (1 - F.cosine_similarity(o("normal"), tg("normal"), dim=1).mean()).item()
out["distill.tok"] = (-(torch.softmax(tg("tok"), -1) * torch.log_softmax(o("tok"), -1)).sum(-1)).mean().item()
f = T("feature.0")
out["features"] = F.mse_loss(f, T("teacher.feature.0")[:, : f.shape[1]]).item()
print(json.dumps(out))
`;

describe("losses and distillation", () => {
  it("reads a LossSpec or the bare kind name", () => {
    expect(lossSpecOf("l1")).toEqual({ kind: "l1", ignoreIndex: null });
    expect(lossSpecOf({ kind: "cross_entropy", ignoreIndex: 3 })).toEqual({ kind: "cross_entropy", ignoreIndex: 3 });
    expect(lossSpecOf(null)).toBeNull();
  });

  it("values equal PyTorch's; gradients equal finite differences (student at half width)", async () => {
    const tg = buildTrainingGraph(net(), { backbone: 0 }, opts);
    const inputs = tg.model.graph.inputs.map((i) => `${i.name}[${i.shape}]`);
    expect(inputs).toContain("teacher.feature.0[N,8,3,3]"); // the largest configuration's shape
    expect(tg.features).toEqual(["feature.0"]);
    const feeds = randomFeeds(tg, 3, 3, { "target.seg": 3, "target.cls": 4, "target.tok": 5 });
    expect(feeds["target.tok"].dims).toEqual([3, 9]);
    const tok = feeds["target.tok"].data as BigInt64Array;
    tok[4] = BigInt(IGNORE);
    // Some ignored pixels; targets in [0, 1] for bce.
    const seg = feeds["target.seg"].data as BigInt64Array;
    for (let i = 0; i < seg.length; i += 4) seg[i] = BigInt(IGNORE);
    const tags = feeds["target.tags"].data as Float32Array;
    tags.forEach((v, i) => (tags[i] = (v + 1) / 2));
    const got = await (await sessionOf(tg)).run(feeds);

    const dump: Record<string, { data: number[]; shape: number[] }> = {};
    const put = (name: string, t: ort.Tensor) =>
      (dump[name] = { data: Array.from(t.data as ArrayLike<number | bigint>, Number), shape: [...t.dims] });
    for (const [k, v] of Object.entries(feeds)) put(k, v);
    for (const k of [...TASKS.map((t) => `output.${t}`), "feature.0"]) put(k, got[k]);
    const file = join(mkdtempSync(join(tmpdir(), "mtl-losses-")), "job.json");
    writeFileSync(file, JSON.stringify({ ...dump, ignore: IGNORE }));
    const want = JSON.parse(execFileSync("/usr/bin/python3", ["-c", PYTHON, file], { encoding: "utf8" })) as Record<
      string,
      number
    >;

    const value = (k: string) => (got[k].data as Float32Array)[0];
    const close = (a: number, b: number, what: string) =>
      expect(Math.abs(a - b) / Math.max(Math.abs(b), 1e-6), `${what}: ${a} vs ${b}`).toBeLessThan(1e-5);
    let total = 0;
    for (const t of TASKS) {
      close(value(`loss.${t}`), want[t], t);
      close(value(`loss.distill.${t}`), want[`distill.${t}`], `distill ${t}`);
      total += WEIGHTS[t as keyof typeof WEIGHTS] * (0.25 * want[t] + 0.5 * want[`distill.${t}`]);
    }
    close(value("loss.features"), want.features, "features");
    close(value("loss"), total + 0.3 * want.features, "total");

    const checks = await checkGradients(tg, feeds, 9);
    for (const c of checks) expect(c.error, `${c.param}: ${c.analytic} vs ${c.numeric}`).toBeLessThan(1e-2);
  }, 60_000);

  describe("distillation temperature", () => {
    // Each task's output is a learned tensor (a `param` node), so the graph's `grad.<task>` is the
    // gradient of the weighted total with respect to that output: classes [3, 5], a dense head
    // [2, 4, 3, 3], a sequence head [2, 3, 5] (classes on its channel axis, the last), and an l2
    // task, whose distillation ignores the temperature.
    const OUTPUTS = { cls: [3, 5], seg: [2, 4, 3, 3], tok: [2, 3, 5], reg: [3, 2] };
    const KD_WEIGHTS = { cls: 1.5, seg: 0.5, tok: 0.75, reg: 2 };
    function outputsNet(): Graph {
      const b = new GraphBuilder("kd", [0.5, 1.0], 1);
      b.addGroup("g");
      b.input("unused", "f32", ["N", 1], 1);
      for (const [name, shape] of Object.entries(OUTPUTS)) {
        const out = b.param(at(name), shape, { kind: "normal", std: 1 }, name === "tok" ? 2 : 1);
        const loss = lossOf(name === "reg" ? "l2" : "cross_entropy");
        b.addTask({ name, output: out, decode: { kind: "identity" }, loss, metric: null });
      }
      return b.finish();
    }
    const kdOpts = (temperature?: number): TrainingGraphOptions => ({
      tasks: Object.keys(OUTPUTS),
      lossWeights: KD_WEIGHTS,
      labels: false,
      distillOutputs: 0.5,
      distillFeatures: 0,
      gradients: true,
      ...(temperature === undefined ? {} : { distillTemperature: temperature }),
    });

    const KD_PYTHON = String.raw`
import json, sys
import torch, torch.nn.functional as F
j = json.load(open(sys.argv[1]))
T = j["temperature"]
out = {}
for task, w in j["weights"].items():
    x = torch.tensor(j["x"][task]["data"], dtype=torch.float64).reshape(j["x"][task]["shape"]).requires_grad_()
    t = torch.tensor(j["teacher"][task]["data"], dtype=torch.float64).reshape(j["teacher"][task]["shape"])
    if task == "reg":
        d = F.mse_loss(x, t)
    else:
        axis = 2 if x.dim() == 3 else 1
        d = T * T * (-(torch.softmax(t / T, axis) * torch.log_softmax(x / T, axis)).sum(axis)).mean()
    (w * j["distill"] * d).backward()
    out[task] = {"value": d.item(), "grad": x.grad.flatten().tolist()}
print(json.dumps(out))
`;

    it("T = 1 emits the same graph as no temperature; T = 4 adds ops", () => {
      const plain = encodeModel(buildTrainingGraph(outputsNet(), { g: 0 }, kdOpts()).model);
      const one = encodeModel(buildTrainingGraph(outputsNet(), { g: 0 }, kdOpts(1)).model);
      const four = buildTrainingGraph(outputsNet(), { g: 0 }, kdOpts(4)).model;
      expect(Buffer.from(one).equals(Buffer.from(plain))).toBe(true);
      const nodes = (m: typeof four) => m.graph.nodes.length;
      expect(nodes(four)).toBeGreaterThan(nodes(buildTrainingGraph(outputsNet(), { g: 0 }, kdOpts(1)).model));
    });

    for (const temperature of [1, 4]) {
      it(`T = ${temperature}: soft cross-entropy value and output gradient equal PyTorch autograd`, async () => {
        const tg = buildTrainingGraph(outputsNet(), { g: 0 }, kdOpts(temperature));
        expect(tg.params.slice().sort()).toEqual(Object.keys(OUTPUTS).sort());
        const feeds = randomFeeds(tg, 11, 2);
        // Logits of several units, so that the temperature changes the soft targets a lot.
        for (const [k, t] of Object.entries(feeds)) {
          if (k === "unused") continue;
          const d = t.data as Float32Array;
          d.forEach((v, i) => (d[i] = v * (k.startsWith("teacher.") ? 6 : 4)));
        }
        const got = await (await sessionOf(tg)).run(feeds);
        const arr = (t: ort.Tensor) => ({ data: Array.from(t.data as Float32Array), shape: [...t.dims] });
        const job = {
          temperature,
          distill: 0.5,
          weights: KD_WEIGHTS,
          x: Object.fromEntries(Object.keys(OUTPUTS).map((k) => [k, arr(feeds[k])])),
          teacher: Object.fromEntries(Object.keys(OUTPUTS).map((k) => [k, arr(feeds[`teacher.${k}`])])),
        };
        const file = join(mkdtempSync(join(tmpdir(), "mtl-kd-")), "job.json");
        writeFileSync(file, JSON.stringify(job));
        const want = JSON.parse(
          execFileSync("/usr/bin/python3", ["-c", KD_PYTHON, file], { encoding: "utf8" }),
        ) as Record<string, { value: number; grad: number[] }>;
        let total = 0;
        for (const k of Object.keys(OUTPUTS)) {
          const value = (got[`loss.distill.${k}`].data as Float32Array)[0];
          expect(
            Math.abs(value - want[k].value) / want[k].value,
            `value of ${k}: ${value} vs ${want[k].value}`,
          ).toBeLessThan(1e-5);
          expect(relError(got[`grad.${k}`].data as Float32Array, want[k].grad), `gradient of ${k}`).toBeLessThan(1e-5);
          total += 0.5 * KD_WEIGHTS[k as keyof typeof KD_WEIGHTS] * want[k].value;
        }
        expect(Math.abs((got.loss.data as Float32Array)[0] - total) / total).toBeLessThan(1e-5);
      });
    }
  });

  it("feature distillation keeps the leading channels of each segment of a concatenated feature", async () => {
    const b = new GraphBuilder("cat", [0.5, 1.0], 1);
    b.addGroup("backbone");
    const x = b.input("x", "f32", ["N", 2, 2, 2], 1);
    const a = b.conv(at("a", "backbone"), x, convOpts(4, 1));
    const f = b.concat(at("cat"), [a, b.conv(at("b", "backbone"), x, convOpts(6, 1))], 1); // segments of 4 and 6
    for (const t of ["p", "q"])
      b.addTask({
        name: t,
        output: b.conv(at(`${t}.out`), f, convOpts(2, 1)),
        decode: { kind: "identity" },
        loss: lossOf("l2"),
        metric: null,
      });
    const tg = buildTrainingGraph(
      b.finish(),
      { backbone: 0 },
      { tasks: ["p", "q"], labels: false, distillOutputs: 0, distillFeatures: 1, gradients: true },
    );
    expect(tg.features).toEqual(["feature.0"]);
    const feeds = randomFeeds(tg, 5, 2);
    expect(feeds["teacher.feature.0"].dims).toEqual([2, 10, 2, 2]);
    const got = await (await sessionOf(tg)).run(feeds);
    const student = got["feature.0"].data as Float32Array; // [2, 2 + 3, 2, 2]
    const teacher = feeds["teacher.feature.0"].data as Float32Array;
    const kept = [0, 1, 4, 5, 6]; // the first 2 of 4 and the first 3 of 6
    let sum = 0;
    for (let n = 0; n < 2; n++)
      kept.forEach((tc, sc) => {
        for (let p = 0; p < 4; p++) sum += (student[(n * 5 + sc) * 4 + p] - teacher[(n * 10 + tc) * 4 + p]) ** 2;
      });
    expect((got["loss.features"].data as Float32Array)[0]).toBeCloseTo(sum / student.length, 5);
    for (const c of await checkGradients(tg, feeds, 6)) expect(c.error, c.param).toBeLessThan(1e-2);
  });
});
