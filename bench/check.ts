// `mtl check` speed: the examples, and a generated 5,000-line file, timed in-process after warm-up
// (the figure the closing note reports; target: the 5,000-line file under 300 ms). The front end
// is timed as `mtl` runs it, bundled by esbuild: under tsx every closure is wrapped in a `__name`
// call (keepNames), which made the TypeScript sources' own figure about 2x the bundle's.
// Run: npx tsx bench/check.ts
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import v8 from "node:v8";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { checkProgram as CheckProgram } from "../compiler/index";
import type { memoryHost as MemoryHost } from "../compiler/host";
import { generated } from "./generated-mtl";
import { stdlibFiles } from "./stdlib-files";

const root = join(import.meta.dirname, "..");
const bundle = join(mkdtempSync(join(tmpdir(), "mtl-check-bench-")), "front.mjs");
await build({
  stdin: {
    contents: `export { checkProgram } from "./compiler/index";\nexport { memoryHost } from "./compiler/host";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  outfile: bundle,
  logLevel: "error",
});
const { checkProgram, memoryHost } = (await import(pathToFileURL(bundle).href)) as {
  checkProgram: typeof CheckProgram;
  memoryHost: typeof MemoryHost;
};
v8.setFlagsFromString("--max-semi-space-size=64"); // as cli/bin.js does

function time(label: string, files: Record<string, string>, entry: string, runs = 5): void {
  const host = memoryHost(files);
  checkProgram(entry, host); // warm-up: JIT and Chevrotain's lookahead caches
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const res = checkProgram(entry, host);
    ms.push(performance.now() - t0);
    if (res.diagnostics.some((d) => d.severity === "error"))
      throw new Error(`${label} has errors: ${res.diagnostics[0].message}`);
  }
  ms.sort((a, b) => a - b);
  const lines = files[entry].split("\n").length;
  console.log(
    `${label.padEnd(28)} ${String(lines).padStart(6)} lines   median ` +
      `${ms[Math.floor(runs / 2)].toFixed(1).padStart(7)} ms   min ${ms[0].toFixed(1).padStart(7)} ms`,
  );
}

const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".mtl"));
for (const e of examples)
  time(`examples/${e}`, { ...stdlibFiles, [e]: readFileSync(join(root, "examples", e), "utf8") }, e);
time("generated", { "big.mtl": generated() }, "big.mtl");
