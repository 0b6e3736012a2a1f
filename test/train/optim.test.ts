// Optimisers, schedules and clipping against torch.optim (PyTorch 1.13 via /usr/bin/python3):
// the same start values and fixed per-step gradients, a few steps, equal within 1e-6 relative.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../compiler/weights/init";
import type { OptimizerSpec, ScheduleSpec } from "../../compiler/train/spec";
import { clipGlobalNorm } from "../../runtime/train/clip";
import { makeOptimizer, type Slot } from "../../runtime/train/optim";
import { learningRate } from "../../runtime/train/schedule";

const PY = `
import json, sys, warnings, torch
warnings.filterwarnings("ignore")
cfg = json.load(sys.stdin)
params = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for v in cfg["values"]]
o = cfg["opt"]
decay = [p for p, d in zip(params, cfg["decay"]) if d]
nodecay = [p for p, d in zip(params, cfg["decay"]) if not d]
groups = [{"params": decay, "weight_decay": o["weightDecay"]}, {"params": nodecay, "weight_decay": 0.0}]
if o["kind"] == "sgd":
    opt = torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"])
else:
    opt = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
s = cfg["schedule"]
W = s["warmupSteps"]
S = torch.optim.lr_scheduler
after = None
if s["kind"] == "cosine":
    after = S.CosineAnnealingLR(opt, T_max=cfg["total"] - W, eta_min=s["minLr"])
elif s["kind"] == "step":
    after = S.StepLR(opt, step_size=s["everySteps"], gamma=s["gamma"])
else:
    after = S.ConstantLR(opt, factor=1.0, total_iters=0)
if W > 0:
    # build the warm-up after the main scheduler so the optimiser starts at the warm-up's lr
    warm = S.LinearLR(opt, start_factor=1.0 / W, end_factor=1.0, total_iters=max(W - 1, 0) or 1)
    sched = S.SequentialLR(opt, [warm, after], milestones=[W])
else:
    sched = after
lrs, norms = [], []
for grads in cfg["grads"]:
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float32)
    if cfg["clip"] is not None:
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, cfg["clip"])))
    lrs.append(opt.param_groups[0]["lr"])
    opt.step()
    sched.step()
print(json.dumps({"values": [p.detach().tolist() for p in params], "lrs": lrs, "norms": norms}))
`;

function torchRun(input: unknown): { values: number[][]; lrs: number[]; norms: number[] } {
  const out = execFileSync("/usr/bin/python3", ["-c", PY], { input: JSON.stringify(input), encoding: "utf8" });
  return JSON.parse(out);
}

// Relative to the larger of the two values and `scale` (a tensor's largest magnitude): an entry that
// cancels to near zero is compared at the precision float32 gives its tensor.
const relClose = (a: number, b: number, tol: number, scale = 1e-3) =>
  Math.abs(a - b) <= tol * Math.max(scale, Math.abs(a), Math.abs(b));

function run(opt: OptimizerSpec, schedule: ScheduleSpec, clip: number | null, total = 6) {
  const rand = mulberry32(7);
  const sizes = [12, 5, 3];
  const decay = [true, false, true];
  const values = sizes.map((n) => Float32Array.from({ length: n }, () => rand() * 2 - 1));
  const grads = Array.from({ length: total }, () =>
    sizes.map((n) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 3)),
  );
  const input = {
    values: values.map((v) => [...v]),
    decay,
    opt,
    schedule,
    total,
    clip,
    grads: grads.map((step) => step.map((g) => [...g])),
  };
  const ref = torchRun(input);
  const optimizer = makeOptimizer(opt);
  const lrs: number[] = [];
  const norms: number[] = [];
  grads.forEach((step, k) => {
    const g = step.map((x) => x.slice());
    if (clip !== null) norms.push(clipGlobalNorm(g, clip));
    const lr = learningRate(schedule, opt.lr, k, total);
    lrs.push(lr);
    const slots: Slot[] = values.map((v, i) => ({ name: `p${i}`, value: v, grad: g[i], decay: decay[i] }));
    optimizer.step(slots, lr);
  });
  lrs.forEach((lr, k) => expect(relClose(lr, ref.lrs[k], 1e-6), `lr at step ${k}: ${lr} vs ${ref.lrs[k]}`).toBe(true));
  norms.forEach((n, k) => expect(relClose(n, ref.norms[k], 1e-6), `norm at step ${k}`).toBe(true));
  values.forEach((v, i) => {
    const scale = Math.max(...ref.values[i].map(Math.abs));
    v.forEach((x, j) =>
      expect(relClose(x, ref.values[i][j], 1e-6, scale), `p${i}[${j}]: ${x} vs ${ref.values[i][j]}`).toBe(true),
    );
  });
}

const SGD = (momentum: number, nesterov: boolean): OptimizerSpec => ({
  kind: "sgd",
  lr: 0.1,
  momentum,
  nesterov,
  weightDecay: 5e-4,
});
const ADAMW: OptimizerSpec = { kind: "adamw", lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };

describe("optimisers and schedules match torch.optim", () => {
  it("SGD without momentum, constant lr", () => run(SGD(0, false), { kind: "constant", warmupSteps: 0 }, null));
  it("SGD with momentum, cosine with warm-up", () =>
    run(SGD(0.9, false), { kind: "cosine", warmupSteps: 2, minLr: 0.001 }, null, 7));
  it("SGD Nesterov, step schedule, clipping", () =>
    run(SGD(0.9, true), { kind: "step", warmupSteps: 0, everySteps: 2, gamma: 0.5 }, 1.0));
  it("AdamW, cosine without warm-up, clipping", () => run(ADAMW, { kind: "cosine", warmupSteps: 0, minLr: 0 }, 2.0));
  it("AdamW, step schedule with warm-up", () =>
    run(ADAMW, { kind: "step", warmupSteps: 3, everySteps: 2, gamma: 0.3 }, null, 8));
});
