// Whole-process start-up: `mtl check examples/nyud.mtl` and `mtl info MODEL.onnx` of this checkout
// against another (the "before", unpacked with `git archive` and built with its own `npm run build`)
// and against `node -e 0`, interleaved run by run so all see the same machine load. Both checkouts
// must run their dist/ bundles (built after the last source change), as an installed mtl does.
// Ratios only; on a shared machine the figures are noisy.
// Run: npx tsx bench/startup.ts MODEL.onnx BEFORE_CHECKOUT [runs]
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const [model, beforeDir, runsText] = process.argv.slice(2);
if (!model || !beforeDir) {
  console.error("usage: npx tsx bench/startup.ts MODEL.onnx BEFORE_CHECKOUT [runs]");
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

const cases: Record<string, () => number> = {
  "node -e 0": () => time(["-e", "0"], here),
  "check before": () => time([join(resolve(beforeDir), "cli", "bin.js"), "check", example], resolve(beforeDir)),
  "check after": () => time([join(here, "cli", "bin.js"), "check", example], here),
  "info before": () => time([join(resolve(beforeDir), "cli", "bin.js"), "info", resolve(model)], resolve(beforeDir)),
  "info after": () => time([join(here, "cli", "bin.js"), "info", resolve(model)], here),
};
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
console.log(`check after/before ${(median(seen["check after"]) / median(seen["check before"])).toFixed(2)}x`);
console.log(`info after/before ${(median(seen["info after"]) / median(seen["info before"])).toFixed(2)}x`);
