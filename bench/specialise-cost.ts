// What a configuration's first use costs, by step, for the two ways of building its session:
// "ir" (runtime/specialise-ir.ts: the IR cut to the configuration, only its weights encoded) and
// "patch" (runtime/specialise.ts: the whole file with its control inputs made constants, folded by
// onnxruntime), against "static", the static export of that configuration (`mtl compile --config`)
// read from disk, at the smallest and the full width, one thread, side by side in one run.
// Run: npx tsx bench/specialise-cost.ts out/nyud.onnx [examples/nyud.mtl]   (a file compiled by this
// mtl, so it has "mtl.ir"; with the source, the static exports are compiled and timed too)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { randomInputs } from "../cli/commands/inputs";
import { decodeMetadata } from "../compiler/onnx/decode-metadata";
import { readArtifact } from "../runtime/artifact";
import { specialiseBytes } from "../runtime/specialise";
import { IrSpecialiser } from "../runtime/specialise-ir";

const [path, source] = process.argv.slice(2);
if (!path) {
  console.error("usage: npx tsx bench/specialise-cost.ts MODEL.onnx");
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(path));
const ir = IrSpecialiser.from(decodeMetadata(bytes), bytes, path);
if (!ir) throw new Error(`${path} has no "mtl.ir": compile it with this checkout`);
const { meta } = readArtifact(bytes, path);
const feeds = Object.fromEntries(
  Object.entries(randomInputs(meta, 0)).map(([k, v]) => [
    k,
    new ort.Tensor("float32", v.data as Float32Array, [...v.dims]),
  ]),
);
const options = { intraOpNumThreads: 1, logSeverityLevel: 4 as const };
const run = Object.fromEntries(meta.tasks.map((t) => [t.name, true]));

console.log("one thread; noisy: shared machine");
for (const [label, pick] of [
  ["width 0.25", 0],
  ["width 1", -1],
] as const) {
  const widths = Object.fromEntries(meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length - 1 : pick]));
  const ways: [string, () => Uint8Array][] = [
    ["ir", () => ir.bytesFor({ widths, run })],
    ["patch", () => specialiseBytes(bytes, { widths, run })],
  ];
  if (source) {
    const file = join(mkdtempSync(join(tmpdir(), "mtl-static-")), "static.onnx");
    const config = meta.groups.map((g) => `${g.name}=${g.choices[widths[g.name]]}`).join(",");
    const bin = join(import.meta.dirname, "..", "cli", "bin.js");
    const r = spawnSync(process.execPath, [bin, "compile", source, "--config", config, "-o", file], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`cannot compile the static export: ${r.stderr}`);
    ways.push(["static", () => new Uint8Array(readFileSync(file))]);
  }
  for (const [way, make] of ways) {
    const t0 = performance.now();
    const model = make();
    const t1 = performance.now();
    const session = await ort.InferenceSession.create(model, options);
    const t2 = performance.now();
    // The static export keeps its task switches (run.<task>) as inputs: every task runs.
    const on = new ort.Tensor("bool", Uint8Array.from([1]), []);
    const all = {
      ...feeds,
      ...Object.fromEntries(session.inputNames.filter((n) => n.startsWith("run.")).map((n) => [n, on])),
    };
    await session.run(all);
    const t3 = performance.now();
    await session.run(all);
    const t4 = performance.now();
    const ms = (a: number, b: number) => `${(b - a).toFixed(0)} ms`;
    const cells = [`model ${(model.length / 1e6).toFixed(1)} MB in ${ms(t0, t1)}`, `session ${ms(t1, t2)}`];
    cells.push(
      `first run ${ms(t2, t3)}`,
      `cached run ${ms(t3, t4)}`,
      `first use / cached ${((t3 - t0) / (t4 - t3)).toFixed(2)}x`,
    );
    console.log(`${label.padEnd(11)} ${way.padEnd(6)} ${cells.join("  ")}`);
    await session.release();
  }
}
