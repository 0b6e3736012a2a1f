// One training step (forward in training mode, both losses, every parameter gradient) of a small
// two-head CNN at batch 256 on 28x28 inputs: mtl's training graph on onnxruntime-node against the
// same model in PyTorch eager (/usr/bin/python3, forward + backward, no optimiser in either),
// with the same number of threads, side by side in one run.
// Run: npx tsx bench/train-step.ts [threads=2] [steps=5] [batch=256]   (MTL_SPIN=1: onnxruntime's
// default spinning worker threads)
import { execFileSync } from "node:child_process";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../compiler/ir/builder";
import type { Graph, Task } from "../compiler/ir/types";
import { encodeModel } from "../compiler/onnx/encode";
import { buildTrainingGraph } from "../compiler/train/graph";
import { initWeights, mulberry32 } from "../compiler/weights/init";

const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 5);
const batch = Number(process.argv[4] ?? 256);
const src = { file: "bench", line: 1, col: 1 };
const at = (name: string) => ({ name, group: null, source: src });
const conv = (out: number) => ({
  out,
  kernel: [3, 3] as const,
  stride: [1, 1] as const,
  pads: [1, 1, 1, 1] as const,
  dilation: [1, 1] as const,
  groups: 1,
  bias: false,
});

/** conv(32)-bn-relu, conv(64)-bn-relu, maxpool, conv(64)-bn-relu, maxpool, flatten, two linear heads. */
function smallCnn(): Graph {
  const b = new GraphBuilder("cnn", [1.0], 8);
  const x = b.input("image", "f32", ["N", 1, 28, 28], 1);
  const cbr = (v: string, name: string, out: number) =>
    b.unary(
      at(`${name}.relu`),
      "relu",
      b.batchnorm(at(`${name}.bn`), b.conv(at(`${name}.conv`), v, conv(out)), { eps: 1e-5 }),
    );
  const pool = (v: string, name: string) =>
    b.pool(at(name), "maxpool", v, { kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] });
  const f = b.flatten(at("flat"), pool(cbr(pool(cbr(cbr(x, "c1", 32), "c2", 64), "p1"), "c3", 64), "p2"), 1);
  for (const t of ["left", "right"])
    b.addTask({
      name: t,
      output: b.linear(at(`${t}.fc`), f, { out: 10, bias: true }),
      decode: { kind: "argmax", axis: 1 },
      loss: { kind: "cross_entropy", ignoreIndex: null } as unknown as Task["loss"],
      metric: null,
    });
  return b.finish();
}

const PYTHON = String.raw`
import sys, time, json
import torch, torch.nn as nn, torch.nn.functional as F
threads, steps, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        cbr = lambda i, o: nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())
        s.c1, s.c2, s.c3 = cbr(1, 32), cbr(32, 64), cbr(64, 64)
        s.left, s.right = nn.Linear(64 * 49, 10), nn.Linear(64 * 49, 10)
    def forward(s, x):
        f = F.max_pool2d(s.c3(F.max_pool2d(s.c2(s.c1(x)), 2)), 2).flatten(1)
        return s.left(f), s.right(f)
net = Net().train()
x = torch.randn(batch, 1, 28, 28)
yl, yr = torch.randint(0, 10, (batch,)), torch.randint(0, 10, (batch,))
def step():
    net.zero_grad(set_to_none=True)
    l, r = net(x)
    (F.cross_entropy(l, yl) + F.cross_entropy(r, yr)).backward()
for _ in range(2): step()
times, cpu = [], []
for _ in range(steps):
    t, c = time.perf_counter(), time.process_time()
    step()
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({"times": times, "cpu": cpu, "version": torch.__version__}))
`;

const ms = (seconds: number): string => (seconds * 1000).toFixed(1).padStart(9);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const graph = smallCnn();
const tg = buildTrainingGraph(
  graph,
  {},
  { tasks: ["left", "right"], labels: true, distillOutputs: 0, distillFeatures: 0, gradients: true },
);
const weights = initWeights(graph, 0);
const session = await ort.InferenceSession.create(encodeModel(tg.model), {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  // Worker threads that spin between ops burn CPU the other thread (and the machine) could use.
  extra: { session: { intra_op: { allow_spinning: process.env.MTL_SPIN ?? "0" } } },
});
const rand = mulberry32(1);
const feeds: Record<string, ort.Tensor> = {
  image: new ort.Tensor(
    "float32",
    Float32Array.from({ length: batch * 784 }, () => rand() * 2 - 1),
    [batch, 1, 28, 28],
  ),
  "target.left": new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: batch }, () => BigInt(Math.floor(rand() * 10))),
    [batch],
  ),
  "target.right": new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: batch }, () => BigInt(Math.floor(rand() * 10))),
    [batch],
  ),
};
for (const p of tg.params) feeds[p] = new ort.Tensor("float32", weights.get(p)!, [...graph.params.get(p)!.shape]);
for (let i = 0; i < 2; i++) await session.run(feeds);
const mtl: number[] = [];
const mtlCpu: number[] = [];
for (let i = 0; i < steps; i++) {
  const [t, c] = [performance.now(), process.cpuUsage()];
  await session.run(feeds);
  mtl.push((performance.now() - t) / 1000);
  const d = process.cpuUsage(c);
  mtlCpu.push((d.user + d.system) / 1e6);
}
const torch = JSON.parse(
  execFileSync("/usr/bin/python3", ["-c", PYTHON, String(threads), String(steps), String(batch)], { encoding: "utf8" }),
) as { times: number[]; cpu: number[]; version: string };

const row = (name: string, times: number[], cpu: number[]) =>
  console.log(
    `${name.padEnd(24)} ${ms(median(times))} ms ${(batch / median(times)).toFixed(0).padStart(7)} img/s   CPU ${ms(median(cpu))} ms`,
  );
console.log(
  `train step (forward + losses + all gradients), batch ${batch}, 28x28, ${threads} thread(s), median of ${steps}; ` +
    `${tg.model.graph.nodes.length} ONNX nodes`,
);
row(`mtl (onnxruntime ${ort.env.versions.common})`, mtl, mtlCpu);
row(`PyTorch ${torch.version} eager`, torch.times, torch.cpu);
console.log(
  `mtl / PyTorch: wall ${(median(mtl) / median(torch.times)).toFixed(2)}x, CPU ${(median(mtlCpu) / median(torch.cpu)).toFixed(2)}x ` +
    "(CPU time: process, all threads; less sensitive to other load on the machine)",
);
