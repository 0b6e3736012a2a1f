// First use of a configuration against a cached run, at widths 0.25 and 1, on one model, plus this
// process's peak RSS. Two first uses: waiting for the specialised session (mode "specialised": build
// + first run, in a fresh model), and the default "auto", where the dynamic graph answers while the
// specialised session builds in the background: "auto cold", the dynamic graph built by a run of
// another configuration, and "auto warm", a model loaded with a preload (of another configuration),
// which builds the dynamic graph and warms it at the largest configuration first. Every
// configuration is timed in a fresh model (so nothing is cached), side by side in one run. Figures
// are noisy on a shared machine.
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
  const warm: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Waiting: a fresh model, the configuration's specialised session built, then its first run.
    const waiting = await load(path, { threads: 1 });
    const pickOf = (g: { choices: readonly number[] }, shift: number) =>
      pick < 0 ? g.choices.length - 1 - shift : pick + shift;
    const config = Object.fromEntries(waiting.meta.groups.map((g) => [g.name, pickOf(g, 0)]));
    const inputs = randomInputs(waiting.meta, 0);
    const t0 = performance.now();
    await waiting.run(inputs, { config, mode: "specialised" });
    first.push(performance.now() - t0);
    await waiting.close();
    // Auto: a fresh model whose dynamic graph served another configuration; this one's first request.
    const model = await load(path, { threads: 1 });
    const other = Object.fromEntries(model.meta.groups.map((g) => [g.name, pickOf(g, 1)]));
    await model.run(inputs, { config: other, mode: "dynamic" });
    const t1 = performance.now();
    const r = await model.run(inputs, { config });
    auto.push(performance.now() - t1);
    if (r.via !== "dynamic") throw new Error("auto mode did not answer from the dynamic graph");
    await model.run(inputs, { config, mode: "specialised" }); // the background build finishes
    await model.run(inputs, { config });
    for (let j = 0; j < 3; j++) {
      const t2 = performance.now();
      await model.run(inputs, { config });
      cached.push(performance.now() - t2);
    }
    await model.close();
    // Auto, warm: a fresh model whose preload (of another configuration) warmed the dynamic graph.
    const preloaded = await load(path, { threads: 1, preload: [other] });
    if (!(await preloaded.preloaded).dynamic) throw new Error("the preload did not warm the dynamic graph");
    const t3 = performance.now();
    const w = await preloaded.run(inputs, { config });
    warm.push(performance.now() - t3);
    if (w.via !== "dynamic") throw new Error("a warm auto run did not answer from the dynamic graph");
    await preloaded.close();
  }
  const f = median(first);
  const a = median(auto);
  const w = median(warm);
  const c = median(cached);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const cells = [`first use: wait ${ms(f)}`, `auto cold ${ms(a)}`, `auto warm ${ms(w)}`, `cached ${ms(c)}`];
  const ratios = [`wait ${(f / c).toFixed(2)}x`, `cold ${(a / c).toFixed(2)}x`, `warm ${(w / c).toFixed(2)}x`];
  console.log(`${label.padEnd(11)} ${cells.join("  ")}  /cached: ${ratios.join("  ")}`);
}
console.log(
  `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (one thread; noisy: shared machine)`,
);
