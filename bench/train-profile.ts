// One training step of the largest configuration's teacher graph of a model (examples/multimnist.mtl
// by default) on onnxruntime-node, with the session options `mtl train` uses: CPU and wall time per
// run, then (unless --no-profile) onnxruntime's profile, kernel time per op type and the top nodes.
// Profiled runs use onnxruntime's memory arena (see below), so time whole runs with --no-profile;
// --dump writes the graph for a closer look.
// Run: npx tsx bench/train-profile.ts [MODEL.mtl] [--batch 256] [--threads 1] [--steps 4] [--nodes 15]
//      [--dump FILE.onnx] [--nchwc BLOCK (0: standard convs; default: as mtl train)]
//      [--config largest|smallest|I,J,... (each width group's choice index)] [--role teacher|student]
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { prepareModel } from "../compiler/compile";
import { fileHost } from "../cli/host";
import { exitAfterTrainingRerun } from "../cli/training-malloc.js";
import { nchwcBlock } from "../runtime/train/nchwc-probe";
import { trainingPrograms } from "../runtime/train/programs";
import type { ProgramRole } from "../runtime/train/program";
import { largestConfig, smallestConfig } from "../runtime/train/sandwich";
import { seededFeeds } from "../runtime/train/seeded-feeds";
import { ortOptions, sessionSettings } from "../runtime/train/sessions";

// As `mtl train` does (cli/training-malloc.js); MTL_TRAINING_MALLOC=1 runs with glibc's defaults.
await exitAfterTrainingRerun();

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: "string", default: "256" },
    threads: { type: "string", default: "1" },
    steps: { type: "string", default: "4" },
    nodes: { type: "string", default: "15" },
    dump: { type: "string" },
    nchwc: { type: "string" }, // the conv channel block; default: what `mtl train` uses (the probe's)
    "no-profile": { type: "boolean", default: false },
    config: { type: "string", default: "largest" },
    role: { type: "string", default: "teacher" },
  },
});
const file = positionals[0] ?? "examples/multimnist.mtl";
const batch = Number(flags.batch);
const profile = !flags["no-profile"];
const host = fileHost(file);
const r = prepareModel(host.entryOf(file), host);
if (!r.ok) throw new Error(`${file} does not compile`);
const { graph } = r.prepared;
const tasks = graph.tasks.map((t) => t.name);
const block =
  flags.nchwc === undefined ? await nchwcBlock(sessionSettings(Number(flags.threads))) : Number(flags.nchwc);
const config =
  flags.config === "largest"
    ? largestConfig(graph)
    : flags.config === "smallest"
      ? smallestConfig(graph)
      : Object.fromEntries(graph.groups.map((g, i) => [g.name, Number(flags.config!.split(",")[i])]));
for (const g of graph.groups)
  if (!Number.isInteger(config[g.name]) || config[g.name] < 0 || config[g.name] >= g.choices.length)
    throw new Error(
      `--config: give largest, smallest or ${graph.groups.length} choice indices (${graph.groups
        .map((x) => `${x.name} 0-${x.choices.length - 1}`)
        .join(", ")})`,
    );
if (flags.role !== "teacher" && flags.role !== "student") throw new Error("--role: teacher or student");
const role: ProgramRole = flags.role;
const program = trainingPrograms(graph, graph.train, tasks, block)(config, role);
if (flags.dump) writeFileSync(flags.dump, program.bytes);

const session = await ort.InferenceSession.create(program.bytes, {
  ...ortOptions(sessionSettings(Number(flags.threads))),
  enableProfiling: profile,
  // With the arena off, profiled runs page-fault their tensors in and the profiler charges that to
  // the ops; with it on, the per-node figures add up to the run's time (docs/training.md, Speed).
  enableCpuMemArena: profile,
  profileFilePrefix: `/tmp/mtl-train-profile-${process.pid}`,
});
const feeds = seededFeeds(session, batch, 7);
await session.run(feeds); // warm-up
const steps = Number(flags.steps);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await session.run(feeds);
const wall = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(c0);
console.log(
  `${graph.name}, ${flags.config} configuration (${role}), batch ${batch}, ${flags.threads} threads, ` +
    `blocked convs ${block || "off"}: wall ${wall.toFixed(0)} ms, ` +
    `CPU ${((cpu.user + cpu.system) / 1000 / steps).toFixed(0)} ms per step`,
);
if (!profile) process.exit(0);
const prefix = `mtl-train-profile-${process.pid}`;
session.endProfiling(); // writes the file; onnxruntime-node does not return its name
await session.release();
const path = `/tmp/${readdirSync("/tmp").find((f) => f.startsWith(prefix))}`;

interface Event {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { op_name?: string };
}
const events = (JSON.parse(readFileSync(path, "utf8")) as Event[]).filter(
  (e) => e.cat === "Node" && e.name.endsWith("_kernel_time"),
);
rmSync(path);
// Per node, the median over the runs (the warm-up included, whose allocations are slower).
const durations = new Map<string, number[]>();
for (const e of events) {
  const node = `${e.args?.op_name ?? "?"} ${e.name.replace(/_kernel_time$/, "")}`;
  durations.set(node, [...(durations.get(node) ?? []), e.dur]);
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const byNode = new Map([...durations].map(([k, v]) => [k, median(v)]));
const byOp = new Map<string, number>();
for (const [node, us] of byNode) byOp.set(node.split(" ")[0], (byOp.get(node.split(" ")[0]) ?? 0) + us);
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
console.log(`kernels ${(total / 1000).toFixed(0)} ms per run (sum of per-node medians)`);
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, us]) => console.log(`  ${(us / 1000).toFixed(1).padStart(7)} ms  ${k}`));
show(byOp, 40);
console.log("top nodes:");
show(byNode, Number(flags.nodes));
