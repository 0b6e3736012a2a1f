// The evaluation metrics (runtime/eval/metrics.ts): small cases worked out by hand, then random
// batches against PyTorch 1.13 / NumPy computations of the same definitions (/usr/bin/python3).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../compiler/util/prng";
import { averagePrecision, createMetric, taskMetrics } from "../../runtime/eval/metrics";

const score = (name: string, data: number[], dims: number[], target: number[], ignoreIndex: number | null = null) => {
  const m = createMetric(name, { ignoreIndex });
  m.add({ data: Float32Array.from(data), dims }, { data: target });
  return m.value();
};

describe("metrics by hand", () => {
  it("accuracy and top-k with an ignore index", () => {
    // three samples, 3 classes: argmax 1, 0, 2; targets 1, 2, 255 (ignored)
    const x = [0, 5, 1, 4, 1, 3, 0, 0, 9];
    expect(score("accuracy", x, [3, 3], [1, 2, 255], 255)).toBeCloseTo(0.5);
    // a tie for the maximum goes to the first class, as argmax: (2, 2) with target 1 is a miss
    expect(score("accuracy", [2, 2, 2, 2], [2, 2], [1, 0])).toBeCloseTo(0.5);
    // top5 of 3 classes is always a hit
    expect(score("top5", x, [3, 3], [1, 2, 255], 255)).toBe(1);
  });

  it("accuracy over a dense map and a sequence (class axis last)", () => {
    // [1, 2, 1, 2]: pixel 0 scores (1, 0) -> 0, pixel 1 scores (0, 1) -> 1
    expect(score("accuracy", [1, 0, 0, 1], [1, 2, 1, 2], [0, 0])).toBeCloseTo(0.5);
    // [1, 2, 2]: token 0 (1, 0) -> 0, token 1 (0, 1) -> 1
    expect(score("accuracy", [1, 0, 0, 1], [1, 2, 2], [0, 1])).toBe(1);
  });

  it("mIoU: mean over classes present in prediction or target", () => {
    // 4 pixels, 2 classes; predictions 0, 0, 1, 1; targets 0, 1, 1, 1
    // class 0: TP 1, FP 1, FN 0 -> 1/2; class 1: TP 2, FP 0, FN 1 -> 2/3
    const x = [1, 1, 0, 0, 0, 0, 1, 1]; // channel 0 then channel 1 over the 4 pixels
    expect(score("miou", x, [1, 2, 2, 2], [0, 1, 1, 1])).toBeCloseTo((1 / 2 + 2 / 3) / 2);
    // an ignored pixel changes nothing: target 9 at pixel 1
    expect(score("miou", x, [1, 2, 2, 2], [0, 9, 1, 1], 9)).toBeCloseTo((1 + 1) / 2);
  });

  it("regression: rmse, l1, abs_rel (skipping targets <= 0 and NaN)", () => {
    expect(score("rmse", [1, 2, 3], [3, 1], [1, 4, 0])).toBeCloseTo(Math.sqrt((0 + 4 + 9) / 3));
    expect(score("l1", [1, 2, 3], [3, 1], [1, 4, NaN])).toBeCloseTo(1);
    expect(score("abs_rel", [1, 2, 3], [3, 1], [1, 4, 0])).toBeCloseTo((0 + 0.5) / 2);
  });

  it("normals: mean angle and share within 11.25 degrees, skipping zero targets", () => {
    // pixel 0: (1,0,0) vs (1,0,0) -> 0 deg; pixel 1: (1,1,0) vs (1,0,0) -> 45 deg; pixel 2: target 0 -> skipped
    const x = [1, 1, 1, 0, 1, 0, 0, 0, 0]; // [1, 3, 1, 3]: channel-major
    const t = [1, 1, 0, 0, 0, 0, 0, 0, 0];
    expect(score("mean_angle", x, [1, 3, 1, 3], t)).toBeCloseTo(22.5);
    expect(score("within_11_25", x, [1, 3, 1, 3], t)).toBeCloseTo(0.5);
  });

  it("average precision with ties, as scikit-learn defines it", () => {
    // scores 0.9 (pos), 0.8 (neg), 0.8 (pos), 0.1 (neg): thresholds 0.9 -> R 1/2 P 1; 0.8 -> R 1 P 2/3
    expect(averagePrecision([0.9, 0.8, 0.8, 0.1], [1, 0, 1, 0])).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3));
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
    // mAP over two labels of [2, 2] outputs: label 0 perfect (1), label 1 ranked wrong (0.5)
    expect(score("map", [2, 1, 1, 2], [2, 2], [1, 0, 0, 1])).toBeCloseTo(1);
    expect(score("map", [2, 2, 1, 1], [2, 2], [1, 0, 0, 1])).toBeCloseTo((1 + 0.5) / 2);
  });

  it("F-measures at the best threshold", () => {
    // logits far apart: perfect separation, F = 1 for both betas
    expect(score("max_f", [9, -9, 9, -9], [1, 1, 2, 2], [1, 0, 1, 0])).toBeCloseTo(1);
    expect(score("ods_f", [9, -9, 9, -9], [1, 1, 2, 2], [1, 0, 1, 0])).toBeCloseTo(1);
  });

  it("errors: a target out of range, an unknown or unsupported metric", () => {
    expect(() => score("accuracy", [1, 0], [1, 2], [7])).toThrow(/MTL-EVAL-002|target 7/);
    expect(() => createMetric("cider")).toThrow(/does not compute metric `cider`/);
    expect(() => createMetric("bogus")).toThrow(/unknown metric/);
  });

  it("a task's metrics: declared first, then its family", () => {
    expect(taskMetrics("accuracy", "cross_entropy", 10)).toEqual(["accuracy", "top5"]);
    expect(taskMetrics("rmse", "l1", 1)).toEqual(["rmse", "abs_rel"]);
    expect(taskMetrics(null, "cosine", 3)).toEqual(["mean_angle", "within_11_25"]);
    expect(taskMetrics(null, "bce", 4)).toEqual(["map"]);
  });
});

const PYTHON = `
import json, sys, math
import numpy as np, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
r = {}
x = torch.tensor(d["cls"], dtype=torch.float64).reshape(d["clsDims"]); t = torch.tensor(d["clsT"])
r["accuracy"] = (x.argmax(1) == t).double().mean().item()
r["top5"] = (x.topk(5, dim=1).indices == t[:, None]).any(1).double().mean().item()
s = torch.tensor(d["seg"], dtype=torch.float64).reshape(d["segDims"]); st = torch.tensor(d["segT"]).reshape(3, 4, 6)
keep = st != 255; pred = s.argmax(1)[keep]; tgt = st[keep]; C = d["segDims"][1]
conf = torch.bincount(tgt * C + pred, minlength=C * C).reshape(C, C).double()
inter = conf.diag(); union = conf.sum(0) + conf.sum(1) - inter
r["miou"] = (inter[union > 0] / union[union > 0]).mean().item()
p = torch.tensor(d["dep"], dtype=torch.float64); g = torch.tensor(d["depT"], dtype=torch.float64)
r["rmse"] = torch.sqrt(F.mse_loss(p, g)).item(); r["l1"] = F.l1_loss(p, g).item()
v = g > 0; r["abs_rel"] = ((p[v] - g[v]).abs() / g[v]).mean().item()
n = torch.tensor(d["nor"], dtype=torch.float64).reshape(d["norDims"])
nt = torch.tensor(d["norT"], dtype=torch.float64).reshape(d["norDims"])
cos = F.cosine_similarity(n, nt, dim=1, eps=0).clamp(-1, 1); ang = torch.rad2deg(torch.acos(cos))
valid = nt.norm(dim=1) > 0
r["mean_angle"] = ang[valid].mean().item(); r["within_11_25"] = (ang[valid] < 11.25).double().mean().item()
ms = np.array(d["ml"]).reshape(d["mlDims"]); ml = np.array(d["mlT"]).reshape(d["mlDims"])
aps = []
for j in range(ms.shape[1]):
    sc, lb = ms[:, j], ml[:, j]
    if lb.sum() == 0: continue
    thr = np.unique(sc)[::-1]; prev = 0.0; ap = 0.0
    for th in thr:
        sel = sc >= th; tp = (lb[sel] > 0.5).sum()
        rec = tp / lb.sum(); ap += (rec - prev) * tp / sel.sum(); prev = rec
    aps.append(ap)
r["map"] = float(np.mean(aps))
print(json.dumps(r))
`;

describe.skipIf(!existsSync("/usr/bin/python3"))("metrics against PyTorch / NumPy", () => {
  it("agrees on random batches of every kind", () => {
    const rnd = mulberry32(7);
    const arr = (n: number, f: () => number) => Array.from({ length: n }, f);
    const int = (k: number) => Math.floor(rnd() * k);
    const d = {
      cls: arr(40 * 8, () => rnd() * 4 - 2),
      clsDims: [40, 8],
      clsT: arr(40, () => int(8)),
      seg: arr(3 * 5 * 4 * 6, () => rnd() * 2),
      segDims: [3, 5, 4, 6],
      segT: arr(3 * 4 * 6, () => (rnd() < 0.1 ? 255 : int(5))),
      dep: arr(200, () => rnd() * 5),
      depT: arr(200, () => (rnd() < 0.1 ? 0 : rnd() * 5)),
      nor: arr(2 * 3 * 5 * 5, () => rnd() * 2 - 1),
      norT: arr(2 * 3 * 5 * 5, () => rnd() * 2 - 1),
      norDims: [2, 3, 5, 5],
      ml: arr(30 * 4, () => Math.round(rnd() * 20) / 10), // ties on purpose
      mlT: arr(30 * 4, () => (rnd() < 0.3 ? 1 : 0)),
      mlDims: [30, 4],
    };
    // zero some target normals: they are skipped
    for (const i of [0, 7]) for (let c = 0; c < 3; c++) d.norT[c * 25 + i] = 0;
    const want = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PYTHON], { input: JSON.stringify(d), encoding: "utf8" }),
    );
    const got: Record<string, number> = {
      accuracy: score("accuracy", d.cls, d.clsDims, d.clsT),
      top5: score("top5", d.cls, d.clsDims, d.clsT),
      miou: score("miou", d.seg, d.segDims, d.segT, 255),
      rmse: score("rmse", d.dep, [200], d.depT),
      l1: score("l1", d.dep, [200], d.depT),
      abs_rel: score("abs_rel", d.dep, [200], d.depT),
      mean_angle: score("mean_angle", d.nor, d.norDims, d.norT),
      within_11_25: score("within_11_25", d.nor, d.norDims, d.norT),
      map: score("map", d.ml, d.mlDims, d.mlT),
    };
    for (const k of Object.keys(got)) expect(got[k], k).toBeCloseTo(want[k], 5);
  });

  it("is the same whether the data comes in one batch or several", () => {
    const rnd = mulberry32(3);
    const x = Float32Array.from({ length: 60 }, () => rnd());
    const t = Array.from({ length: 20 }, () => Math.floor(rnd() * 3));
    const whole = createMetric("miou");
    whole.add({ data: x, dims: [20, 3] }, { data: t });
    const parts = createMetric("miou");
    parts.add({ data: x.slice(0, 30), dims: [10, 3] }, { data: t.slice(0, 10) });
    parts.add({ data: x.slice(30), dims: [10, 3] }, { data: t.slice(10) });
    expect(parts.value()).toBeCloseTo(whole.value(), 12);
  });
});
