// Training throughput, mtl against PyTorch 1.13 eager, side by side in one run: the same model
// (examples/multimnist.mtl by default), batch, threads and configurations. One step is the
// sandwich rule's: the largest, the smallest and `configs - 2` random configurations (drawn once
// with the seeded sampler and reused, so neither side pays for building new graphs while timed),
// forward + backward each, gradients summed, one SGD step. PyTorch runs one generated nn.Module
// per configuration (bench/train/torch-codegen.ts) with the same losses, the file's `distill`
// recipe: cross-entropy on labels for the largest; for the others, soft cross-entropy to its
// detached outputs, their own label loss (`labels:`) and the feature term (`features:`, the mean
// squared difference to the largest's encoder features on the channels they have).
// images/s counts each sample once per step (as US-Nets reports epochs), with "largest only" (one
// configuration per step) beside it. On a shared machine the load changes within a minute, so the
// two sides run in alternating rounds (`--rounds`, each a warm-up step then `--steps` timed ones)
// and the medians are compared (PyTorch in one Python process started first: see TorchWorker);
// CPU time per step (all threads of the process) is printed too, being steadier than wall time
// under load. Both sides run with the glibc malloc settings `mtl train` uses (PyTorch's process
// inherits them); MTL_TRAINING_MALLOC=1 runs both with glibc's defaults.
// mtl's convs run on onnxruntime's blocked kernels where the CPU has them (compiler/train/nchwc.ts);
// MTL_NCHWC=0 times the standard ops instead.
// --each adds one row per configuration of the sandwich, trained alone (labels only, as the largest).
// Run: npx tsx bench/train.ts [examples/multimnist.mtl] [--batch 256] [--threads 2] [--steps 5] [--rounds 3] [--each]
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import * as ort from "onnxruntime-node";
import { parseArgs } from "node:util";
import { prepareModel } from "../compiler/compile";
import type { Config } from "../compiler/ir/types";
import { specialise } from "../compiler/passes/specialise";
import { encoderFeatures } from "../compiler/train/graph";
import { paramRoles } from "../compiler/train/roles";
import { fileHost } from "../cli/host";
import { exitAfterTrainingRerun } from "../cli/training-malloc.js";
import { makeOptimizer } from "../runtime/train/optim";
import { nchwcBlock } from "../runtime/train/nchwc-probe";
import { trainingPrograms } from "../runtime/train/programs";
import { StepRng } from "../runtime/train/rng";
import { sandwich } from "../runtime/train/sandwich";
import { defaultSplit, sessionSettings, TrainingSessions, type Split } from "../runtime/train/sessions";
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
    each: { type: "boolean", default: false },
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
  /** Minor page faults per step (mtl only): a step that keeps faulting in fresh pages pays in CPU. */
  readonly faults?: number;
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
  split: Split,
): Promise<{ round: () => Promise<Rate>; close: () => Promise<void> }> {
  const settings = sessionSettings(threads);
  const sessions = new TrainingSessions(settings, undefined, split);
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
  // warm-up: builds every graph and session; the worker threads' first runs also grow their heaps
  for (let i = 0; i < 3; i++) await sandwichStep(state, which, feeds, opt, 0.01, step++, null);
  const round = async (): Promise<Rate> => {
    await sandwichStep(state, which, feeds, opt, 0.01, step++, null);
    const c0 = process.cpuUsage();
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await sandwichStep(state, which, feeds, opt, 0.01, step++, null);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const faults = (process.resourceUsage().minorPageFault - f0) / steps;
    return { imagesPerSecond: (batch * steps) / seconds, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps, faults };
  };
  return { round, close: () => sessions.close() };
}

/**
 * PyTorch's side: one long-lived Python process holding every row's networks, started before mtl
 * builds anything. Spawning a child forks this process, and every page of its heap then faults once
 * more on the next write (copy-on-write): on this virtual machine about 120,000 faults and 1-2 s of
 * CPU spread over the next steps, which a child spawned per round charged to mtl's timed steps.
 */
class TorchWorker {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  private readonly dir = mkdtempSync(join(tmpdir(), "mtl-bench-train-"));

  constructor(rowConfigs: readonly (readonly Config[])[]) {
    const path = join(this.dir, "bench.py");
    writeFileSync(path, torchScript(rowConfigs));
    this.child = spawn("/usr/bin/python3", [path], { stdio: ["pipe", "pipe", "inherit"] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** One round of row `row`: a warm-up step, then `steps` timed ones. */
  async round(row: number): Promise<Rate> {
    this.child.stdin.write(`${row}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch worker stopped (its error is above)");
    return JSON.parse(line.value) as Rate;
  }

  close(): void {
    this.child.stdin.end();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function torchScript(rowConfigs: readonly (readonly Config[])[]): string {
  const tasks = JSON.stringify(graph.tasks.map((t) => t.name));
  const rows = rowConfigs.map((which, r) => {
    const modules = which.map((c, i) => {
      const fixed = specialise(graph, weights, c).graph;
      const features = spec.distillFeatures > 0 ? encoderFeatures(fixed, fixed.tasks) : [];
      return torchModule(fixed, features).replace("class Net(", `class Net${r}_${i}(`);
    });
    return { modules, nets: `[${which.map((_, i) => `Net${r}_${i}()`).join(", ")}]` };
  });
  return `
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(${threads})
torch.manual_seed(0)
${rows.flatMap((r) => r.modules).join("\n")}
rows = []
for nets in [${rows.map((r) => r.nets).join(", ")}]:
    params = [p for n in nets for p in n.parameters()]
    rows.append((nets, torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)))
x = torch.rand(${JSON.stringify(shape)})
y = {t: torch.randint(0, 10, (${batch},)) for t in ${tasks}}
tasks = ${tasks}
outputs, features, labels, T = ${spec.distillOutputs}, ${spec.distillFeatures}, ${spec.distillLabels}, ${spec.distillTemperature}
def soft(s, t):
    return T * T * -(F.softmax(t / T, 1) * F.log_softmax(s / T, 1)).sum(1).mean()
def step(nets, opt):
    opt.zero_grad()
    teacher = None
    for i, net in enumerate(nets):
        out = net(x)
        if i == 0:
            teacher = {k: v.detach() for k, v in out.items()}
        if i == 0 or outputs == 0:
            loss = sum(F.cross_entropy(out[t], y[t]) for t in tasks)
        else:
            loss = outputs * sum(soft(out[t], teacher[t]) for t in tasks)
            if labels > 0:
                loss = loss + labels * sum(F.cross_entropy(out[t], y[t]) for t in tasks)
        if i > 0 and features > 0:
            f = [k for k in out if k.startswith("feature.")]
            loss = loss + features * sum(F.mse_loss(out[k], teacher[k][:, :out[k].shape[1]]) for k in f)
        loss.backward()
    opt.step()
for line in sys.stdin:
    nets, opt = rows[int(line)]
    step(nets, opt)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(${steps}):
        step(nets, opt)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"imagesPerSecond": ${batch} * ${steps} / wall, "cpuMsPerStep": 1000 * cpu / ${steps}}), flush=True)
`;
}

// [label, configurations, how mtl spreads a step over the threads (sessions.ts)]
const split = defaultSplit(sessionSettings(threads));
const rows: [string, readonly Config[], Split][] = [
  ["largest only", configs.slice(0, 1), split],
  [`sandwich (${configs.length} configurations)`, configs, split],
];
if (threads > 1) {
  rows.push(["largest, --split configs", configs.slice(0, 1), "configs"]);
  rows.push(["sandwich, --split configs", configs, "configs"]);
  rows.push(["sandwich, --split serial", configs, "serial"]);
}
if (flags.each)
  for (const c of configs.slice(1))
    rows.push([`alone: ${graph.groups.map((g) => g.choices[c[g.name]]).join("/")}`, [c], split]);
const torchVersion = execFileSync("/usr/bin/python3", ["-c", "import torch; print(torch.__version__)"], {
  encoding: "utf8",
}).trim();
// Before mtl builds anything, so that no fork happens while mtl's heap is in use (TorchWorker).
const torch = new TorchWorker(rows.map(([, which]) => which));
console.log(
  `${graph.name} (${file}): batch ${batch}, ${threads} threads, ${steps} timed steps after one warm-up; ` +
    `onnxruntime-node ${ort.env.versions.common}, PyTorch ${torchVersion}; ` +
    `blocked convs: ${(await nchwcBlock(sessionSettings(threads))) || "off"}; ` +
    `malloc: ${process.env.GLIBC_TUNABLES ? `GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}` : "glibc defaults"}`,
);
console.log(
  `${rounds} alternating rounds; medians (wall images/s, CPU ms per step over all threads)\n` +
    `${"step".padEnd(30)} ${"mtl img/s".padStart(10)} ${"torch img/s".padStart(12)} ${"mtl/torch".padStart(10)}` +
    ` ${"mtl CPU ms".padStart(11)} ${"torch CPU ms".padStart(13)} ${"torch/mtl CPU".padStart(14)} ${"mtl faults".padStart(11)}`,
);
for (const [row, [label, which, how]] of rows.entries()) {
  const runner = await mtlRunner(which, how);
  const m: Rate[] = [];
  const t: Rate[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      m.push(await runner.round());
      t.push(await torch.round(row));
    }
  } finally {
    await runner.close();
  }
  const [mw, tw] = [median(m.map((x) => x.imagesPerSecond)), median(t.map((x) => x.imagesPerSecond))];
  const [mc, tc] = [median(m.map((x) => x.cpuMsPerStep)), median(t.map((x) => x.cpuMsPerStep))];
  console.log(
    `${label.padEnd(30)} ${mw.toFixed(0).padStart(10)} ${tw.toFixed(0).padStart(12)} ${(mw / tw).toFixed(2).padStart(10)}` +
      ` ${mc.toFixed(0).padStart(11)} ${tc.toFixed(0).padStart(13)} ${(tc / mc).toFixed(2).padStart(14)}` +
      ` ${median(m.map((x) => x.faults ?? 0))
        .toFixed(0)
        .padStart(11)}`,
  );
}
torch.close();
