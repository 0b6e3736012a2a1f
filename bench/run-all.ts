// `npm run bench`: every benchmark in turn, each in its own process (so one's warm caches and
// heap do not colour the next), printing their figures. Extra arguments go to bench/runtime.ts.
// Run: npm run bench [-- examples/FILE.mtl]
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const BENCHES: [string, string[]][] = [
  ["check.ts", []],
  ["compile.ts", []],
  ["runtime.ts", process.argv.slice(2)],
  ["search.ts", []],
  ["serve.ts", ["--seconds", "3", "--soak", "30"]],
  ["captioning-decode.ts", []],
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
