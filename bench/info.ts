// `mtl info MODEL.onnx`, whole process: wall time and peak RSS of this checkout against another
// (the "before", e.g. the previous commit unpacked with `git archive`), interleaved run by run so
// both see the same machine load. Ratios only; on a shared machine the figures are noisy.
// Run: npx tsx bench/info.ts out/nyud.onnx BEFORE_CHECKOUT [runs]
//   e.g. git archive HEAD~1 | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const [model, beforeDir, runsText] = process.argv.slice(2);
if (!model || !beforeDir) {
  console.error("usage: npx tsx bench/info.ts MODEL.onnx BEFORE_CHECKOUT [runs]");
  process.exit(2);
}
const runs = Number(runsText ?? 5);
const here = resolve(import.meta.dirname, "..");
const preload = join(here, "bench", "report-rss.cjs");

function once(checkout: string): { ms: number; rssMiB: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["-r", preload, join(checkout, "cli", "bin.js"), "info", resolve(model)], {
    encoding: "utf8",
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`mtl info failed in ${checkout}: ${r.stderr}`);
  const kb = Number(/MTL_BENCH_MAX_RSS_KB=(\d+)/.exec(r.stderr)?.[1]);
  return { ms, rssMiB: kb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sides = { before: resolve(beforeDir), after: here };
const seen: Record<string, { ms: number[]; rss: number[] }> = {
  before: { ms: [], rss: [] },
  after: { ms: [], rss: [] },
};
once(sides.before); // warm the file cache and any compile cache
once(sides.after);
for (let i = 0; i < runs; i++) {
  for (const side of i % 2 ? (["after", "before"] as const) : (["before", "after"] as const)) {
    const r = once(sides[side]);
    seen[side].ms.push(r.ms);
    seen[side].rss.push(r.rssMiB);
  }
}
const row = (side: "before" | "after") =>
  `${side.padEnd(7)} ${median(seen[side].ms).toFixed(0).padStart(8)} ms ${median(seen[side].rss).toFixed(0).padStart(8)} MiB`;
console.log(`mtl info ${model}, whole process, median of ${runs} interleaved runs (noisy: shared machine)`);
console.log(row("before"));
console.log(row("after"));
const ms = median(seen.after.ms) / median(seen.before.ms);
const rss = median(seen.after.rss) / median(seen.before.rss);
console.log(`after/before: time ${ms.toFixed(2)}x, peak RSS ${rss.toFixed(2)}x`);
