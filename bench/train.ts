// Training throughput, mtl against PyTorch 1.13 eager, side by side in one run: the same model
// (examples/multimnist.mtl by default), batch, threads and configurations. One step is the
// sandwich rule's: the largest, the smallest and `configs - 2` random configurations (drawn once
// with the seeded sampler and reused, so neither side pays for building new graphs while timed),
// forward + backward each, gradients summed, one SGD step. PyTorch runs one generated nn.Module
// per configuration (bench/train/torch-codegen.ts) with the same losses: cross-entropy on labels
// for the largest, soft cross-entropy to its detached outputs for the others.
// images/s counts each sample once per step (as US-Nets reports epochs), with "largest only" (one
// configuration per step) beside it. On a shared machine the load changes within a minute, so the
// two sides run in alternating rounds (`--rounds`, each a warm-up step then `--steps` timed ones)
// and the medians are compared; CPU time per step (all threads of the process) is printed too,
// being steadier than wall time under load. Both sides run with the glibc malloc settings `mtl
// train` uses (PyTorch's process inherits them); MTL_TRAINING_MALLOC=1 runs both with glibc's defaults.
// mtl's convs run on onnxruntime's blocked kernels where the CPU has them (compiler/train/nchwc.ts);
// MTL_NCHWC=0 times the standard ops instead.
// Run: npx tsx bench/train.ts [examples/multimnist.mtl] [--batch 256] [--threads 2] [--steps 5] [--rounds 3]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { parseArgs } from "node:util";
import { prepareModel } from "../compiler/compile";
import type { Config } from "../compiler/ir/types";
import { specialise } from "../compiler/passes/specialise";
import { paramRoles } from "../compiler/train/roles";
import { fileHost } from "../cli/host";
import { exitAfterTrainingRerun } from "../cli/training-malloc.js";
import { makeOptimizer } from "../runtime/train/optim";
import { nchwcBlock } from "../runtime/train/nchwc-probe";
import { trainingPrograms } from "../runtime/train/programs";
import { StepRng } from "../runtime/train/rng";
import { sandwich } from "../runtime/train/sandwich";
import { sessionSettings, TrainingSessions } from "../runtime/train/sessions";
import { sandwichStep, TrainState } from "../runtime/train/step";
import { torchModule } from "./train/torch-codegen";

await exitAfterTrainingRerun();

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: "string", default: "256" },
    threads: { type: "string", default: "2" },
    steps: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const file = positionals[0] ?? "examples/multimnist.mtl";
const batch = Number(flags.batch);
const threads = Number(flags.threads);
const steps = Number(flags.steps);
const rounds = Number(flags.rounds);

interface Rate {
  readonly imagesPerSecond: number;
  readonly cpuMsPerStep: number;
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const host = fileHost(file);
const r = prepareModel(host.entryOf(file), host);
if (!r.ok) throw new Error(`${file} does not compile`);
const { graph, weights } = r.prepared;
const spec = graph.train;
const configs = sandwich(graph, spec.configsPerStep, new StepRng(1));
const input = graph.inputs[0];
const shape = graph.values.get(input.value)!.type.shape.map((d) => (typeof d === "number" ? d : batch));
const size = shape.reduce((a, b) => a * b, 1);
let seed = 7;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const x = Float32Array.from({ length: size }, () => rand());
const labels = Object.fromEntries(
  graph.tasks.map((t) => [t.name, BigInt64Array.from({ length: batch }, () => BigInt(Math.floor(rand() * 10)))]),
);

/** Builds the training state once; each call of the returned function is one timed round. */
async function mtlRunner(
  which: readonly Config[],
): Promise<{ round: () => Promise<Rate>; close: () => Promise<void> }> {
  const settings = sessionSettings(threads);
  const sessions = new TrainingSessions(settings);
  const roles = paramRoles(graph);
  const trainable = new Set([...roles].filter(([, v]) => v.trainable).map(([k]) => k));
  const decay = new Set([...roles].filter(([, v]) => v.decay).map(([k]) => k));
  const state = new TrainState(
    graph,
    new Map([...weights].map(([k, v]) => [k, v.slice()])),
    trainable,
    decay,
    trainingPrograms(graph, spec, undefined, await nchwcBlock(settings)),
    sessions,
  );
  const feeds: Record<string, ort.Tensor> = { [input.name]: new ort.Tensor("float32", x, shape) };
  for (const t of graph.tasks) feeds[`target.${t.name}`] = new ort.Tensor("int64", labels[t.name], [batch]);
  const opt = makeOptimizer({ kind: "sgd", lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  let step = 0;
  await sandwichStep(state, which, feeds, opt, 0.01, step++, null); // warm-up: builds every graph and session
  const round = async (): Promise<Rate> => {
    await sandwichStep(state, which, feeds, opt, 0.01, step++, null);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await sandwichStep(state, which, feeds, opt, 0.01, step++, null);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return { imagesPerSecond: (batch * steps) / seconds, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps };
  };
  return { round, close: () => sessions.close() };
}

function torchRate(which: readonly Config[]): Rate {
  const dir = mkdtempSync(join(tmpdir(), "mtl-bench-train-"));
  try {
    const modules = which.map((c, i) =>
      torchModule(specialise(graph, weights, c).graph).replace("class Net(", `class Net${i}(`),
    );
    const tasks = JSON.stringify(graph.tasks.map((t) => t.name));
    const py = `
import json, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(${threads})
torch.manual_seed(0)
${modules.join("\n")}
nets = [${which.map((_, i) => `Net${i}()`).join(", ")}]
params = [p for n in nets for p in n.parameters()]
opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
x = torch.rand(${JSON.stringify(shape)})
y = {t: torch.randint(0, 10, (${batch},)) for t in ${tasks}}
def step():
    opt.zero_grad()
    teacher = None
    for i, net in enumerate(nets):
        out = net(x)
        if i == 0:
            loss = sum(F.cross_entropy(out[t], y[t]) for t in ${tasks})
            teacher = {t: out[t].detach() for t in ${tasks}}
        else:
            loss = sum(-(F.softmax(teacher[t], 1) * F.log_softmax(out[t], 1)).sum(1).mean() for t in ${tasks})
        loss.backward()
    opt.step()
step()
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(${steps}):
    step()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"imagesPerSecond": ${batch} * ${steps} / wall, "cpuMsPerStep": 1000 * cpu / ${steps}}))
`;
    const path = join(dir, "bench.py");
    writeFileSync(path, py);
    return JSON.parse(execFileSync("/usr/bin/python3", [path], { encoding: "utf8" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const torchVersion = execFileSync("/usr/bin/python3", ["-c", "import torch; print(torch.__version__)"], {
  encoding: "utf8",
}).trim();
console.log(
  `${graph.name} (${file}): batch ${batch}, ${threads} threads, ${steps} timed steps after one warm-up; ` +
    `onnxruntime-node ${ort.env.versions.common}, PyTorch ${torchVersion}; ` +
    `blocked convs: ${(await nchwcBlock(sessionSettings(threads))) || "off"}; ` +
    `malloc: ${process.env.GLIBC_TUNABLES ? `GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}` : "glibc defaults"}`,
);
console.log(
  `${rounds} alternating rounds; medians (wall images/s, CPU ms per step over all threads)\n` +
    `${"step".padEnd(30)} ${"mtl img/s".padStart(10)} ${"torch img/s".padStart(12)} ${"mtl/torch".padStart(10)}` +
    ` ${"mtl CPU ms".padStart(11)} ${"torch CPU ms".padStart(13)} ${"torch/mtl CPU".padStart(14)}`,
);
for (const [label, which] of [
  ["largest only", configs.slice(0, 1)],
  [`sandwich (${configs.length} configurations)`, configs],
] as const) {
  const runner = await mtlRunner(which);
  const m: Rate[] = [];
  const t: Rate[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      m.push(await runner.round());
      t.push(torchRate(which));
    }
  } finally {
    await runner.close();
  }
  const [mw, tw] = [median(m.map((x) => x.imagesPerSecond)), median(t.map((x) => x.imagesPerSecond))];
  const [mc, tc] = [median(m.map((x) => x.cpuMsPerStep)), median(t.map((x) => x.cpuMsPerStep))];
  console.log(
    `${label.padEnd(30)} ${mw.toFixed(0).padStart(10)} ${tw.toFixed(0).padStart(12)} ${(mw / tw).toFixed(2).padStart(10)}` +
      ` ${mc.toFixed(0).padStart(11)} ${tc.toFixed(0).padStart(13)} ${(tc / mc).toFixed(2).padStart(14)}`,
  );
}
