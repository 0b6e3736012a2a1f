// A slimmable two-task network (convs with switchable BN, a depthwise conv, max-pool, concat,
// resize, a token branch with linear, layernorm and attention) against PyTorch autograd
// (/usr/bin/python3, float64): the same cut weights and inputs give the same losses, the same
// gradient for every parameter (relative to the tensor's largest magnitude, 1e-4) and the same
// running statistics after one step (momentum 0.1, unbiased variance), at the largest, the
// smallest and one mixed configuration.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { GraphBuilder } from "../../compiler/ir/builder";
import type { Config, Graph } from "../../compiler/ir/types";
import { specialise } from "../../compiler/passes/specialise";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { mulberry32 } from "../../compiler/weights/init";
import { at, convOpts } from "../helpers/reference-nets";
import { testWeights } from "../helpers/test-data";
import { lossOf, relError, sessionOf } from "../helpers/train-check";

const N = 4;
const IGNORE = 255;
const SEG_WEIGHT = 0.7;

function net(): Graph {
  const b = new GraphBuilder("torchnet", [0.5, 1.0], 2);
  for (const g of ["backbone", "seg", "cls"]) b.addGroup(g);
  const image = b.input("image", "f32", ["N", 3, 8, 8], 1);
  const cbr = (x: string, name: string, group: string | null, o: ReturnType<typeof convOpts>) =>
    b.unary(
      at(`${name}.relu`),
      "relu",
      b.batchnorm(at(`${name}.bn`, group), b.conv(at(`${name}.conv`, group), x, o), { eps: 1e-5 }),
    );
  const stem = cbr(image, "stem", "backbone", convOpts(8, 3));
  const dw = b.unary(
    at("dw.relu6"),
    "relu6",
    b.batchnorm(at("dw.bn", "backbone"), b.conv(at("dw.conv"), stem, convOpts(8, 3, 1, { groups: 8 })), { eps: 1e-5 }),
  );
  const pooled = b.pool(at("pool"), "maxpool", dw, { kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] }); // [N, 8, 4, 4]
  const side = b.conv(at("side.conv", "backbone"), pooled, convOpts(4, 1, 1, { bias: true }));
  const feat = b.concat(at("cat"), [pooled, side], 1); // [N, 12, 4, 4], two segments

  let s = cbr(feat, "seg.head", "seg", convOpts(8, 3));
  s = b.resize(at("seg.up"), s, { scales: [2, 2], mode: "linear" });
  s = b.conv(at("seg.out"), s, convOpts(3, 1, 1, { bias: true }));
  b.addTask({
    name: "seg",
    output: s,
    decode: { kind: "identity" },
    loss: lossOf("cross_entropy", IGNORE),
    metric: null,
  });

  let t = b.transpose(at("cls.tokens"), b.reshape(at("cls.flat"), feat, ["N", 12, 16]), [0, 2, 1]); // [N, 16, 12]
  t = b.linear(at("cls.embed"), t, { out: 8, bias: true });
  const a = b.attention(at("cls.attn", "cls"), b.layernorm(at("cls.ln"), t, { eps: 1e-5 }), { heads: 2 });
  t = b.unary(at("cls.gelu"), "gelu", b.binary(at("cls.res"), "add", t, a));
  const c = b.linear(at("cls.fc"), b.mean(at("cls.mean"), t, [1], false), { out: 5, bias: true });
  b.addTask({ name: "cls", output: c, decode: { kind: "identity" }, loss: lossOf("cross_entropy"), metric: null });
  return b.finish();
}

const PYTHON = String.raw`
import json, sys, math
import torch, torch.nn.functional as F
torch.set_grad_enabled(True)
def run(job):
    def t(e, grad=False):
        x = torch.tensor(e["data"], dtype=torch.float64).reshape(e["shape"])
        return x.requires_grad_(grad)
    P = {k: t(v, True) for k, v in job["params"].items()}
    R = {k: t(v) for k, v in job["running"].items()}
    x = t(job["image"])
    def bn(v, name):
        stats = R[name + ".running_mean"], R[name + ".running_var"]
        return F.batch_norm(v, *stats, P[name + ".weight"], P[name + ".bias"], training=True, momentum=0.1, eps=1e-5)
    def cbr(v, name, groups=1, pad=1):
        return F.relu(bn(F.conv2d(v, P[name + ".conv.weight"], P.get(name + ".conv.bias"), padding=pad, groups=groups), name + ".bn"))
    stem = cbr(x, "stem")
    c = stem.shape[1]
    dw = torch.clamp(bn(F.conv2d(stem, P["dw.conv.weight"], None, padding=1, groups=c), "dw.bn"), 0, 6)
    pooled = F.max_pool2d(dw, 2, 2)
    side = F.conv2d(pooled, P["side.conv.weight"], P["side.conv.bias"])
    feat = torch.cat([pooled, side], 1)
    s = cbr(feat, "seg.head")
    s = F.interpolate(s, scale_factor=2, mode="bilinear", align_corners=False)
    seg = F.conv2d(s, P["seg.out.weight"], P["seg.out.bias"])
    n = feat.shape[0]
    tok = feat.reshape(n, feat.shape[1], 16).transpose(1, 2)
    tok = F.linear(tok, P["cls.embed.weight"], P["cls.embed.bias"])
    h = F.layer_norm(tok, (tok.shape[-1],), P["cls.ln.weight"], P["cls.ln.bias"], 1e-5)
    hd = job["headDim"]
    qkv = F.linear(h, P["cls.attn.in_proj_weight"], P["cls.attn.in_proj_bias"])
    q, k, v = qkv.chunk(3, dim=-1)
    split = lambda z: z.reshape(n, z.shape[1], -1, hd).transpose(1, 2)
    q, k, v = split(q), split(k), split(v)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), -1) @ v
    att = att.transpose(1, 2).reshape(n, tok.shape[1], -1)
    att = F.linear(att, P["cls.attn.out_proj.weight"], P["cls.attn.out_proj.bias"])
    tok = F.gelu(tok + att)
    cls = F.linear(tok.mean(1), P["cls.fc.weight"], P["cls.fc.bias"])
    seg_t = torch.tensor(job["segTarget"]["data"]).reshape(job["segTarget"]["shape"])
    cls_t = torch.tensor(job["clsTarget"]["data"]).reshape(job["clsTarget"]["shape"])
    l_seg = F.cross_entropy(seg, seg_t, ignore_index=job["ignore"])
    l_cls = F.cross_entropy(cls, cls_t)
    loss = job["segWeight"] * l_seg + l_cls
    loss.backward()
    out = {"loss": loss.item(), "loss.seg": l_seg.item(), "loss.cls": l_cls.item(),
           "grads": {k: v.grad.flatten().tolist() for k, v in P.items()},
           "running": {k: v.flatten().tolist() for k, v in R.items()}}
    return out
print(json.dumps([run(j) for j in json.load(open(sys.argv[1]))]))
`;

const graph = net();
const weights = testWeights(graph, 5);
const work = mkdtempSync(join(tmpdir(), "mtl-torch-train-"));
const flat = (data: ArrayLike<number>, shape: readonly number[]) => ({ data: Array.from(data), shape: [...shape] });

interface Torch {
  loss: number;
  "loss.seg": number;
  "loss.cls": number;
  grads: Record<string, number[]>;
  running: Record<string, number[]>;
}

interface Run {
  got: ort.InferenceSession.OnnxValueMapType;
  job: object;
  cut: ReadonlyMap<string, Float32Array>;
  tgParams: readonly string[];
  stats: ReturnType<typeof buildTrainingGraph>["batchStats"];
}

/** Runs the training graph at `config` and prepares the same computation for PyTorch. */
async function run(config: Config): Promise<Run> {
  const tg = buildTrainingGraph(graph, config, {
    tasks: ["seg", "cls"],
    lossWeights: { seg: SEG_WEIGHT },
    labels: true,
    distillOutputs: 0,
    distillFeatures: 0,
    gradients: true,
  });
  const cut = specialise(graph, weights, config).weights;
  const fixed = new Map(tg.model.graph.inputs.map((i) => [i.name, i.shape]));
  const rand = mulberry32(11);
  const image = Float32Array.from({ length: N * 3 * 64 }, () => rand() * 2 - 1);
  const seg = BigInt64Array.from({ length: N * 64 }, () =>
    rand() < 0.2 ? BigInt(IGNORE) : BigInt(Math.floor(rand() * 3)),
  );
  const cls = BigInt64Array.from({ length: N }, () => BigInt(Math.floor(rand() * 5)));
  const feeds: Record<string, ort.Tensor> = {
    image: new ort.Tensor("float32", image, [N, 3, 8, 8]),
    "target.seg": new ort.Tensor("int64", seg, [N, 8, 8]),
    "target.cls": new ort.Tensor("int64", cls, [N]),
  };
  for (const p of tg.params) feeds[p] = new ort.Tensor("float32", cut.get(p)!, fixed.get(p) as number[]);
  const got = await (await sessionOf(tg)).run(feeds);
  const shapeOf = (p: string) => [...specialise(graph, weights, config).graph.params.get(p)!.shape];
  const job = {
    image: flat(image, [N, 3, 8, 8]),
    segTarget: flat(Array.from(seg, Number), [N, 8, 8]),
    clsTarget: flat(Array.from(cls, Number), [N]),
    ignore: IGNORE,
    segWeight: SEG_WEIGHT,
    headDim: 4,
    params: Object.fromEntries(tg.params.map((p) => [p, flat(cut.get(p)!, shapeOf(p))])),
    running: Object.fromEntries(tg.buffers.map((p) => [p, flat(cut.get(p)!, shapeOf(p))])),
  };
  return { got, job, cut, tgParams: tg.params, stats: tg.batchStats };
}

const CONFIGS: Record<string, Config> = {
  largest: { backbone: 1, seg: 1, cls: 1 },
  smallest: { backbone: 0, seg: 0, cls: 0 },
  mixed: { backbone: 0, seg: 1, cls: 0 },
};

describe("training graph against PyTorch autograd", () => {
  const results: Record<string, Run & { want: Torch }> = {};
  beforeAll(async () => {
    const runs = Object.fromEntries(
      await Promise.all(Object.entries(CONFIGS).map(async ([name, config]) => [name, await run(config)] as const)),
    );
    const file = join(work, "jobs.json");
    writeFileSync(file, JSON.stringify(Object.values(runs).map((r) => r.job)));
    const wants = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PYTHON, file], { encoding: "utf8", maxBuffer: 64 << 20 }),
    ) as Torch[];
    Object.keys(runs).forEach((name, i) => (results[name] = { ...runs[name], want: wants[i] }));
  }, 120_000);

  for (const name of Object.keys(CONFIGS)) {
    it(`${name} configuration: losses, every parameter gradient, running statistics`, () => {
      const { got, want, cut, tgParams, stats } = results[name];
      const scalar = (k: string) => (got[k].data as Float32Array)[0];
      for (const k of ["loss", "loss.seg", "loss.cls"] as const)
        expect(Math.abs(scalar(k) - want[k]) / Math.abs(want[k]), k).toBeLessThan(1e-5);
      expect(tgParams.length).toBe(Object.keys(want.grads).length);
      for (const p of tgParams)
        expect(relError(got[`grad.${p}`].data as Float32Array, want.grads[p]), `grad of ${p}`).toBeLessThan(1e-4);
      expect(stats.map((s) => s.node)).toEqual(["stem.bn", "dw.bn", "seg.head.bn"]);
      for (const s of stats) {
        const update = (old: Float32Array, batch: Float32Array) => Array.from(old, (v, i) => 0.9 * v + 0.1 * batch[i]);
        const mean = update(cut.get(s.runningMean)!, got[s.mean].data as Float32Array);
        const variance = update(cut.get(s.runningVar)!, got[s.var].data as Float32Array);
        expect(relError(mean, want.running[s.runningMean]), s.runningMean).toBeLessThan(1e-5);
        expect(relError(variance, want.running[s.runningVar]), s.runningVar).toBeLessThan(1e-5);
      }
    });
  }
  it("the configurations really differ in size", () => {
    expect(results.largest.cut.get("stem.conv.weight")!.length).toBeGreaterThan(
      results.smallest.cut.get("stem.conv.weight")!.length,
    );
  });
});
