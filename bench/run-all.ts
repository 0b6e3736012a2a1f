// `npm run bench`: every benchmark in turn, each in its own process (so one's warm caches and
// heap do not colour the next), printing their figures. Extra arguments go to bench/runtime.ts.
// Run: npm run bench [-- examples/FILE.mtl]
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The session benches need a compiled nyud (compiled here by this checkout, so it carries its IR).
const nyud = join(mkdtempSync(join(tmpdir(), "mtl-bench-")), "nyud.onnx");
const compiled = spawnSync(
  process.execPath,
  [
    join(import.meta.dirname, "..", "cli", "bin.js"),
    "compile",
    join(import.meta.dirname, "..", "examples", "nyud.mtl"),
    "-o",
    nyud,
  ],
  { stdio: "inherit" },
);
if (compiled.status !== 0) throw new Error("cannot compile examples/nyud.mtl for the benches");

const BENCHES: [string, string[]][] = [
  ["check.ts", []],
  ["compile.ts", []],
  ["runtime.ts", process.argv.slice(2)],
  ["search.ts", []],
  ["serve.ts", ["--seconds", "3", "--soak", "30"]],
  ["serve-probes.ts", []],
  ["captioning-decode.ts", []],
  ["first-use.ts", [nyud, "3"]],
  ["specialise-cost.ts", [nyud, join(import.meta.dirname, "..", "examples", "nyud.mtl")]],
  ["threads.ts", [nyud, "5"]],
  ["startup.ts", [nyud, "-", "5"]],
  ["rss-vs-torch.ts", [join(import.meta.dirname, "..", "examples", "nyud.mtl"), "3"]],
];

let failed = 0;
for (const [file, args] of BENCHES) {
  console.log(`\n== bench/${file} ==`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, file), ...args], {
    stdio: "inherit",
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
