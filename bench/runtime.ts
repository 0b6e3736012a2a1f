// Runtime figures for the closing note, measured side by side in one run:
//  1. a cached (specialised) configuration against a static single-configuration export of the
//     same widths (target <= 1.05x), with the dynamic graph for reference;
//  2. latency against MACs across configurations (Spearman rank correlation);
//  3. the cost of switching configuration (cached and uncached) and the time to plan.
// Run: npx tsx bench/runtime.ts [examples/FILE.mtl] [runs]
import * as ort from "onnxruntime-node";
import { compileProgram } from "../compiler/compile";
import { fileHost } from "../cli/host";
import { randomInputs } from "../cli/commands/inputs";
import { load } from "../runtime/index";
import { diagonalConfigs, median, spearman, timeRuns } from "../runtime/bench";
import { costAt } from "../compiler/cost/table";
import { runInputName } from "../compiler/io-names";

const file = process.argv[2] ?? "examples/captioning.mtl";
const runs = Number(process.argv[3] ?? 10);
const host = fileHost(file);
const dyn = compileProgram(host.entryOf(file), host);
if (!dyn.ok) throw new Error(`${file} does not compile`);
const model = await load(dyn.compiled.bytes);
const inputs = randomInputs(model.meta, 0);
console.log(
  `${model.meta.name} (${file}), median of ${runs} runs after warm-up, onnxruntime-node ${ort.env.versions.common}`,
);
console.log(
  `${"widths".padEnd(12)} ${"MACs".padStart(9)} ${"static".padStart(9)} ${"cached".padStart(9)} ` +
    `${"cached/static".padStart(13)} ${"dynamic".padStart(9)} ${"dyn/static".padStart(10)} ${"switch".padStart(9)}`,
);

const macs: number[] = [];
const lat: number[] = [];
for (const config of diagonalConfigs(model)) {
  const widths = Object.fromEntries(model.meta.groups.map((g) => [g.name, g.choices[config[g.name]]]));
  const stat = compileProgram(host.entryOf(file), host, { staticWidths: widths });
  if (!stat.ok) throw new Error("static export failed");
  const session = await ort.InferenceSession.create(stat.compiled.bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of model.meta.inputs) {
    const t = inputs[i.name];
    feeds[i.name] = new ort.Tensor(
      t.data instanceof BigInt64Array ? "int64" : "float32",
      t.data as Float32Array,
      t.dims as number[],
    );
  }
  for (const t of model.tasks)
    if (session.inputNames.includes(runInputName(t)))
      feeds[runInputName(t)] = new ort.Tensor("bool", Uint8Array.from([1]), []);
  const t0 = performance.now();
  await model.run(inputs, { config });
  const switchMs = performance.now() - t0;
  // Interleave the three so that machine load affects them alike.
  const s: number[] = [],
    c: number[] = [],
    d: number[] = [];
  for (let r = 0; r < 3; r++) {
    s.push(
      await timeRuns(async () => {
        const a = performance.now();
        await session.run(feeds);
        return { ms: performance.now() - a };
      }, runs),
    );
    c.push(await timeRuns(() => model.run(inputs, { config }), runs));
    d.push(await timeRuns(() => model.run(inputs, { config, mode: "dynamic" }), runs));
  }
  const [sm, cm, dm] = [median(s), median(c), median(d)];
  const m = costAt(model.costs, config).macs;
  macs.push(m);
  lat.push(cm);
  const label = [...new Set(Object.values(widths))].join("/");
  console.log(
    `${label.padEnd(12)} ${(m / 1e6).toFixed(1).padStart(8)}M ${sm.toFixed(2).padStart(8)}ms ` +
      `${cm.toFixed(2).padStart(7)}ms ${(cm / sm).toFixed(3).padStart(12)}x ${dm.toFixed(2).padStart(7)}ms ` +
      `${(dm / sm).toFixed(2).padStart(9)}x ${switchMs.toFixed(0).padStart(7)}ms`,
  );
  await session.release();
}
console.log(
  `latency vs MACs on the diagonal: Spearman ${spearman(macs, lat).toFixed(3)} over ${macs.length} configurations`,
);

// Latency against MACs across the configuration table: a seeded sample of configurations.
let seed = 12345;
const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
const sample = Array.from({ length: 16 }, () =>
  Object.fromEntries(model.meta.groups.map((g) => [g.name, Math.floor(rnd() * g.choices.length)])),
);
const sm: number[] = [];
const sl: number[] = [];
for (const config of sample) {
  sm.push(costAt(model.costs, config).macs);
  sl.push(await timeRuns(() => model.run(inputs, { config }), Math.max(3, Math.floor(runs / 2))));
}
const perG = sl.map((ms, i) => ms / (sm[i] / 1e9));
console.log(
  `latency vs MACs over ${sample.length} sampled configurations: Spearman ${spearman(sm, sl).toFixed(3)}; ` +
    `ms per GMAC from ${Math.min(...perG).toFixed(1)} ` +
    `to ${Math.max(...perG).toFixed(1)} (median ${median(perG).toFixed(1)})`,
);

// Switching between two cached configurations costs one run: nothing is rebuilt.
const [a, b] = [diagonalConfigs(model)[0], diagonalConfigs(model).at(-1)!];
const sw: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await model.run(inputs, { config: i % 2 ? a : b });
  sw.push(performance.now() - t);
}
console.log(
  `alternating between two cached configurations: median ${median(sw).toFixed(2)} ms per call (includes the run)`,
);

const planMs: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  model.plan({ budget: `${20 + (i % 80)}%` });
  planMs.push(performance.now() - t);
}
const space = model.costs.groups.reduce((n, g) => n * g.choices.length, 1);
console.log(`plan: median ${median(planMs).toFixed(3)} ms over 200 budgets (${space} configurations)`);
await model.close();
