// `mtl check` speed: the largest example, and a generated 5,000-line file, timed in-process after
// warm-up (the figure the closing note reports; target: the 5,000-line file under 300 ms).
// Run: npx tsx bench/check.ts
import { readFileSync, readdirSync } from "node:fs";
import v8 from "node:v8";
import { join } from "node:path";
import { checkProgram } from "../compiler/index";
import { memoryHost } from "../compiler/host";
import { stdlibFiles } from "./stdlib-files";

const root = join(import.meta.dirname, "..");
v8.setFlagsFromString("--max-semi-space-size=64"); // as cli/bin.js does

/** A 5,000-line program: many blocks, each a few layers, chained into one deep encoder. */
export function generated(lines = 5000): string {
  const out: string[] = [];
  let i = 0;
  while (out.length < lines - 20) {
    out.push(
      `// block ${i}`,
      `block b${i}(x: tensor, out: int = 16) -> tensor {`,
      `  y = x |> conv(out, k: 3, bias: false) as c1 |> bn as n1 |> relu`,
      `  y = y |> conv(out, k: 3, bias: false) as c2 |> bn as n2`,
      `  return relu(x + y)`,
      `}`,
      ``,
    );
    i++;
  }
  const body = Array.from({ length: i }, (_, j) => `  x = b${j}(x) as l${j}`);
  out.push(
    `block deep(x: tensor) -> tensor {`,
    `  x = x |> conv(16, k: 3) as stem`,
    ...body,
    `  return x`,
    `}`,
    ``,
    `model Big {`,
    `  input image: f32[N, 16, 16, 16]`,
    `  encoder e = deep(image)`,
    `  task t { head e |> gap |> flatten |> fixed linear(10) decode argmax }`,
    `}`,
  );
  return out.join("\n");
}

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
