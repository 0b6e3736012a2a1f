// Thread count and spin-waiting on this machine: nyud's cached specialised session at widths 0.25
// and 1, batch 1, for onnxruntime's default (one thread per core, spinning), 1 and 2 threads with
// spinning on and off, measured in interleaved rounds so every setting sees the same machine load.
// The defaults in docs/architecture.md ("Session options") come from this bench.
// Run: npx tsx bench/threads.ts out/nyud.onnx [rounds]
import { cpus } from "node:os";
import { randomInputs } from "../cli/commands/inputs";
import { load, type LoadOptions, type MtlModel } from "../runtime/index";

const [path, roundsText] = process.argv.slice(2);
if (!path) {
  console.error("usage: npx tsx bench/threads.ts MODEL.onnx [rounds]");
  process.exit(2);
}
const rounds = Number(roundsText ?? 7);
const settings: [string, LoadOptions][] = [
  ["default", {}],
  ["1 thread, spin", { threads: 1, spinning: true }],
  ["1 thread, no spin", { threads: 1, spinning: false }],
  ["2 threads, spin", { threads: 2, spinning: true }],
  ["2 threads, no spin", { threads: 2, spinning: false }],
];
const models: [string, MtlModel][] = [];
for (const [name, opts] of settings) models.push([name, await load(path, opts)]);
const meta = models[0][1].meta;
const inputs = randomInputs(meta, 0);
console.log(
  `${cpus().length} logical cores; load average ${(await import("node:os")).loadavg()[0].toFixed(1)}; noisy: shared machine`,
);
for (const [label, pick] of [
  ["width 0.25", 0],
  ["width 1", -1],
] as const) {
  const config = Object.fromEntries(meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length - 1 : pick]));
  const times = new Map<string, number[]>(models.map(([n]) => [n, []]));
  for (const [, m] of models) await m.run(inputs, { config, mode: "specialised" }); // build + warm
  for (let r = 0; r < rounds; r++)
    for (const [name, m] of models) {
      const t0 = performance.now();
      await m.run(inputs, { config, mode: "specialised" });
      times.get(name)!.push(performance.now() - t0);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(times.get("default")!);
  console.log(label);
  for (const [name, xs] of times)
    console.log(
      `  ${name.padEnd(20)} median ${median(xs).toFixed(0).padStart(5)} ms  ${(median(xs) / base).toFixed(2)}x default`,
    );
}
for (const [, m] of models) await m.close();
