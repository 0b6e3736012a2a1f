// onnxruntime's memory pattern on and off, for specialised sessions of one model: process CPU time
// of the first run, the second and a cached one (median of 6) at widths 0.25 and 1, batch 1 and 4,
// the two settings alternating within each round; then peak RSS of a fresh process per setting at
// full width (4 runs). Why runtime/session-options.ts turns the pattern off. Noisy on a shared machine.
// Run: npx tsx bench/mem-pattern.ts MODEL.onnx [rounds]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { readArtifact } from "../runtime/artifact";

const [path, roundsText, child] = process.argv.slice(2);
if (!path) {
  console.error("usage: npx tsx bench/mem-pattern.ts MODEL.onnx [rounds]");
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(path));
const art = readArtifact(bytes, path);
if (!art.ir) throw new Error(`${path} carries no IR: compile it with this mtl`);
const fetch = art.meta.tasks.flatMap((t) => t.outputs);
const run = Object.fromEntries(art.meta.tasks.map((t) => [t.name, true]));
const at = (pick: number) =>
  Object.fromEntries(art.meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length + pick : pick]));

function feeds(batch: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const i of art.meta.inputs) {
    const dims = i.shape.map((d) => (typeof d === "number" ? d : batch));
    const n = dims.reduce((a, b) => a * b, 1);
    f[i.name] = new ort.Tensor(
      "float32",
      Float32Array.from({ length: n }, (_, k) => Math.sin(k)),
      dims,
    );
  }
  return f;
}

const session = (pick: number, pattern: boolean) =>
  ort.InferenceSession.create(art.ir!.bytesFor({ widths: at(pick), run }), {
    intraOpNumThreads: 1,
    graphOptimizationLevel: "all",
    enableMemPattern: pattern,
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  } as ort.InferenceSession.SessionOptions);

async function cpuMs(s: ort.InferenceSession, f: Record<string, ort.Tensor>): Promise<number> {
  const c0 = process.cpuUsage();
  await s.run(f, fetch);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

if (child) {
  // A fresh process: peak RSS after four runs at full width, batch 4.
  const s = await session(-1, child === "on");
  const f = feeds(4);
  for (let i = 0; i < 4; i++) await s.run(f, fetch);
  console.log(process.resourceUsage().maxRSS);
  process.exit(0);
}

const rounds = Number(roundsText ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seen: Record<string, number[][]> = {};
for (let r = 0; r < rounds; r++)
  for (const [width, pick] of [
    ["0.25", 0],
    ["1", -1],
  ] as const)
    for (const batch of [1, 4])
      for (const pattern of r % 2 ? [false, true] : [true, false]) {
        const s = await session(pick, pattern);
        const f = feeds(batch);
        const firstTwo = [await cpuMs(s, f), await cpuMs(s, f)];
        const cached: number[] = [];
        for (let i = 0; i < 6; i++) cached.push(await cpuMs(s, f));
        await s.release();
        (seen[`width ${width.padEnd(4)} batch ${batch}  pattern ${pattern ? "on " : "off"}`] ??= []).push([
          ...firstTwo,
          median(cached),
        ]);
      }
console.log(`CPU ms (process, one intra-op thread), medians of ${rounds} rounds:`);
for (const [k, v] of Object.entries(seen)) {
  const m = (i: number) =>
    median(v.map((x) => x[i]))
      .toFixed(0)
      .padStart(5);
  console.log(`  ${k}   first ${m(0)}   second ${m(1)}   cached ${m(2)}`);
}
for (const pattern of ["on", "off", "on", "off"]) {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], path, "1", pattern], {
    encoding: "utf8",
  });
  console.log(`peak RSS, width 1 batch 4, pattern ${pattern}: ${(Number(r.stdout.trim()) / 1024).toFixed(0)} MiB`);
}
