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

/** Wall and process CPU time (all threads) of one awaited call: CPU is the steadier under load. */
async function timed<T>(into: { ms: number[]; cpu: number[] }, f: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  into.ms.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  into.cpu.push((c.user + c.system) / 1000);
  return r;
}

for (const [label, pick] of [
  ["width 0.25", 0],
  ["width 1", -1],
] as const) {
  const sample = () => ({ ms: [] as number[], cpu: [] as number[] });
  const first = sample();
  const auto = sample();
  const warm = sample();
  const cached = sample();
  for (let i = 0; i < runs; i++) {
    // Waiting: a fresh model, the configuration's specialised session built, then its first run.
    const waiting = await load(path, { threads: 1 });
    const pickOf = (g: { choices: readonly number[] }, shift: number) =>
      pick < 0 ? g.choices.length - 1 - shift : pick + shift;
    const config = Object.fromEntries(waiting.meta.groups.map((g) => [g.name, pickOf(g, 0)]));
    const inputs = randomInputs(waiting.meta, 0);
    await timed(first, () => waiting.run(inputs, { config, mode: "specialised" }));
    await waiting.close();
    // Auto, cold: a fresh model whose dynamic graph served another configuration; this one's first request.
    const model = await load(path, { threads: 1 });
    const other = Object.fromEntries(model.meta.groups.map((g) => [g.name, pickOf(g, 1)]));
    await model.run(inputs, { config: other, mode: "dynamic" });
    const r = await timed(auto, () => model.run(inputs, { config }));
    if (r.via !== "dynamic") throw new Error("auto mode did not answer from the dynamic graph");
    await model.run(inputs, { config, mode: "specialised" }); // the background build finishes
    await model.run(inputs, { config });
    for (let j = 0; j < 3; j++) await timed(cached, () => model.run(inputs, { config }));
    await model.close();
    // Auto, warm: a fresh model whose preload (of another configuration) warmed the dynamic graph.
    const preloaded = await load(path, { threads: 1, preload: [other] });
    if (!(await preloaded.preloaded).dynamic) throw new Error("the preload did not warm the dynamic graph");
    const w = await timed(warm, () => preloaded.run(inputs, { config }));
    if (w.via !== "dynamic") throw new Error("a warm auto run did not answer from the dynamic graph");
    await preloaded.close();
  }
  for (const key of ["ms", "cpu"] as const) {
    const [f, a, w, c] = [first, auto, warm, cached].map((x) => median(x[key]));
    const v = (x: number) => `${x.toFixed(0)} ms`;
    const cells = [`first use: wait ${v(f)}`, `auto cold ${v(a)}`, `auto warm ${v(w)}`, `cached ${v(c)}`];
    const ratios = [`wait ${(f / c).toFixed(2)}x`, `cold ${(a / c).toFixed(2)}x`, `warm ${(w / c).toFixed(2)}x`];
    const what = key === "ms" ? "wall" : "CPU ";
    console.log(`${label.padEnd(11)} ${what} ${cells.join("  ")}  /cached: ${ratios.join("  ")}`);
  }
}
console.log(
  `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (one thread; noisy: shared machine)`,
);
