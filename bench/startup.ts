// Whole-process start-up: `mtl check examples/nyud.mtl`, `mtl info MODEL.onnx` and `mtl search
// MODEL.onnx` of this checkout against `node -e 0` and, optionally, against another checkout (the
// "before", unpacked with `git archive` and built with its own `npm run build`), interleaved run by
// run so all see the same machine load. Checkouts must run their dist/ bundles (built after the last
// source change), as an installed mtl does. Ratios only; on a shared machine the figures are noisy.
// Run: npx tsx bench/startup.ts MODEL.onnx [BEFORE_CHECKOUT|-] [runs]
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const [model, beforeDir, runsText] = process.argv.slice(2);
if (!model) {
  console.error("usage: npx tsx bench/startup.ts MODEL.onnx [BEFORE_CHECKOUT|-] [runs]");
  process.exit(2);
}
const runs = Number(runsText ?? 7);
const here = resolve(import.meta.dirname, "..");
const example = join(here, "examples", "nyud.mtl");

function time(args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

const before = beforeDir && beforeDir !== "-" ? resolve(beforeDir) : null;
const cases: Record<string, () => number> = { "node -e 0": () => time(["-e", "0"], here) };
for (const [name, args] of [
  ["check", ["check", example]],
  ["info", ["info", resolve(model)]],
  ["search", ["search", resolve(model)]],
] as const) {
  if (before) cases[`${name} before`] = () => time([join(before, "cli", "bin.js"), ...args], before);
  cases[`${name} after`] = () => time([join(here, "cli", "bin.js"), ...args], here);
}
const seen: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const run of Object.values(cases)) run(); // warm the file cache
for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(cases)) seen[name].push(run());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(seen["node -e 0"]);
console.log(`whole process, median of ${runs} interleaved runs (noisy: shared machine)`);
for (const name of Object.keys(cases)) {
  const ms = median(seen[name]);
  console.log(`${name.padEnd(13)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / base).toFixed(2)}x node -e 0`);
}
if (before)
  for (const name of ["check", "info", "search"])
    console.log(`${name} after/before ${(median(seen[`${name} after`]) / median(seen[`${name} before`])).toFixed(2)}x`);
