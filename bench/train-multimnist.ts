// A full MultiMNIST experiment with `mtl train`'s loop: the multi-task model of
// examples/multimnist.mtl trained (1) as declared (sandwich rule, in-place and feature
// distillation), (2) the same with the smaller configurations keeping their label loss (`distill
// labels: 1`), (3) without the distillation terms, and (4) on each task alone (same steps);
// then test accuracy per task at every uniform width (largest and smallest included), with
// calibrated BatchNorm. Goals (issue 9): largest within 1 point of single-task; distillation worth
// >= 2 points at the smallest; accuracy never lower at a wider configuration.
// Run: npx tsx bench/train-multimnist.ts [--data DIR] [--steps N] [--batch B] [--threads T] [--calibrate N]
// (defaults: the full 60k/10k data built into out/multimnist if missing; the model's own epochs.)
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { prepareModel } from "../compiler/compile";
import type { Config } from "../compiler/ir/types";
import type { TrainSpec } from "../compiler/train/spec";
import { fileHost } from "../cli/host";
import { buildMultiMnist } from "../runtime/data/multimnist";
import { openDataset } from "../runtime/data/index";
import { train } from "../runtime/train/loop";
import { nchwcBlock } from "../runtime/train/nchwc-probe";
import { trainingPrograms } from "../runtime/train/programs";
import { Progress } from "../runtime/train/progress";
import { sessionCapacity, sessionSettings, TrainingSessions } from "../runtime/train/sessions";
import { validate } from "../runtime/train/validate";

const { values: flags } = parseArgs({
  options: {
    data: { type: "string", default: "out/multimnist" },
    model: { type: "string", default: "examples/multimnist.mtl" },
    steps: { type: "string" },
    batch: { type: "string" },
    threads: { type: "string" },
    calibrate: { type: "string" },
  },
});
if (!existsSync(join(flags.data, "manifest.json"))) {
  console.log(`building MultiMNIST (60,000 / 10,000) into ${flags.data}`);
  await buildMultiMnist({ output: flags.data, seed: 0 });
}
const data = await openDataset(flags.data);
const host = fileHost(flags.model);
const r = prepareModel(host.entryOf(flags.model), host);
if (!r.ok) throw new Error(`${flags.model} does not compile`);
const { graph, weights } = r.prepared;
const base: TrainSpec = {
  ...graph.train,
  ...(flags.steps ? { steps: Number(flags.steps), epochs: null } : {}),
  ...(flags.batch ? { batchSize: Number(flags.batch) } : {}),
  ...(flags.calibrate ? { calibrationBatches: Number(flags.calibrate) } : {}),
};
const settings = sessionSettings(flags.threads ? Number(flags.threads) : undefined);
const widths = Math.max(...graph.groups.map((g) => g.choices.length));
const uniform = (k: number): Config =>
  Object.fromEntries(graph.groups.map((g) => [g.name, Math.min(k, g.choices.length - 1)]));

async function experiment(label: string, spec: TrainSpec, tasks: readonly string[]): Promise<Record<string, number[]>> {
  const sessions = new TrainingSessions(settings, sessionCapacity(graph, settings.threads));
  const t0 = performance.now();
  try {
    const res = await train({
      graph,
      spec,
      weights,
      data,
      build: trainingPrograms(graph, spec, tasks, await nchwcBlock(settings)),
      sessions,
      settings,
      runDir: mkdtempSync(join(tmpdir(), "mtl-mm-run-")),
      resume: false,
      valSplit: undefined,
      progress: new Progress((s) => void process.stdout.write(s), Boolean(process.stdout.isTTY), 50),
    });
    const acc: Record<string, number[]> = Object.fromEntries(tasks.map((t) => [t, []]));
    for (let k = 0; k < widths; k++) {
      const scores = await validate(graph, res.calibrated, uniform(k), data, {
        split: "test",
        batchSize: 500,
        settings,
      });
      for (const t of tasks) acc[t].push(scores[t].value * 100);
    }
    const minutes = ((performance.now() - t0) / 60000).toFixed(1);
    const shown = Object.entries(acc).map(([t, xs]) => `${t} ${xs.map((x) => x.toFixed(2)).join(" / ")}`);
    console.log(`${label}: ${res.steps} steps in ${minutes} min; test accuracy by width: ${shown.join("; ")}`);
    return acc;
  } finally {
    await sessions.close();
  }
}

const all = graph.tasks.map((t) => t.name);
const results: [string, Record<string, number[]>][] = [];
results.push(["multi-task, distillation", await experiment("multi-task, distillation", base, all)]);
results.push([
  "multi-task, distillation + labels",
  await experiment("multi-task, distillation + labels", { ...base, distillLabels: 1 }, all),
]);
results.push([
  "multi-task, no distillation",
  await experiment("multi-task, no distillation", { ...base, distillOutputs: 0, distillFeatures: 0 }, all),
]);
for (const t of all) results.push([`single-task ${t}`, await experiment(`single-task ${t}`, base, [t])]);

const choices = graph.groups[0].choices;
console.log(
  `\ntest accuracy (%) at each uniform width (${choices.join(", ")}), BatchNorm calibrated; batch ${base.batchSize}`,
);
for (const [label, acc] of results) {
  for (const [task, xs] of Object.entries(acc)) {
    const monotone = xs.every((x, i) => i === 0 || x >= xs[i - 1]);
    console.log(
      `${label.padEnd(30)} ${task.padEnd(6)} ${xs.map((x) => x.toFixed(2).padStart(6)).join(" ")}  ${monotone ? "" : "(not monotone)"}`,
    );
  }
}
