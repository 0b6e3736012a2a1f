// First use of a configuration against a cached run, at widths 0.25 and 1, on one model, plus this
// process's peak RSS. Two first uses: waiting for the specialised session (mode "specialised": build
// + first run), and the default "auto", where the already-built dynamic graph answers meanwhile. Every configuration is timed
// in a fresh model (so nothing is cached), side by side in one run. Figures are noisy on a shared machine.
// Run: npx tsx bench/first-use.ts out/nyud.onnx [runs]   (compile it first: mtl compile examples/nyud.mtl -o out/nyud.onnx)
import { load } from "../runtime/index";
import { randomInputs } from "../cli/commands/inputs";
import { median } from "../runtime/bench";

const [path, runsText] = process.argv.slice(2);
if (!path) {
  console.error("usage: npx tsx bench/first-use.ts MODEL.onnx [runs]");
  process.exit(2);
}
const runs = Number(runsText ?? 3);

for (const [label, pick] of [
  ["width 0.25", 0],
  ["width 1", -1],
] as const) {
  const first: number[] = [];
  const auto: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < runs; i++) {
    const model = await load(path, { threads: 1 });
    const config = Object.fromEntries(model.meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length - 1 : pick]));
    const inputs = randomInputs(model.meta, 0);
    const t0 = performance.now();
    await model.run(inputs, { config, mode: "specialised" });
    first.push(performance.now() - t0);
    await model.run(inputs, { config });
    // Another configuration's first use under "auto", with the dynamic graph built beforehand.
    const other = Object.fromEntries(
      model.meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length - 2 : pick + 1]),
    );
    await model.run(inputs, { config: other, mode: "dynamic" });
    const t2 = performance.now();
    const r = await model.run(inputs, { config: other });
    auto.push(performance.now() - t2);
    if (r.via !== "dynamic") throw new Error("auto mode did not answer from the dynamic graph");
    for (let j = 0; j < 3; j++) {
      const t1 = performance.now();
      await model.run(inputs, { config });
      cached.push(performance.now() - t1);
    }
    await model.close();
  }
  const f = median(first);
  const a = median(auto);
  const c = median(cached);
  const cells = [
    `first use (wait) ${f.toFixed(0).padStart(5)} ms`,
    `first use (auto, neighbour config) ${a.toFixed(0).padStart(5)} ms`,
    `cached ${c.toFixed(0).padStart(5)} ms`,
  ];
  console.log(
    `${label.padEnd(11)} ${cells.join("  ")}  wait/cached ${(f / c).toFixed(2)}x  auto/cached ${(a / c).toFixed(2)}x`,
  );
}
console.log(
  `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (one thread; noisy: shared machine)`,
);
