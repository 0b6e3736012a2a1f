// Where the dynamic graph's extra time goes: one configuration run on the dynamic graph (width
// inputs) and on its specialised model, with onnxruntime's profiler: kernel time per op type and run.
// Kernels inside an If are counted both on their own and in the If's time.
// Run: npx tsx bench/dyn-profile.ts MODEL.onnx [widthIndex|-1] [runs]
import { readFileSync, readdirSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { readArtifact } from "../runtime/artifact";
import { controlFeeds } from "../runtime/sequence";
import { randomInputs } from "../cli/commands/inputs";

const [path, pickText, runsText] = process.argv.slice(2);
const pick = Number(pickText ?? 0);
const runs = Number(runsText ?? 10);
const bytes = new Uint8Array(readFileSync(path));
const art = readArtifact(bytes, path);
const widths = Object.fromEntries(art.meta.groups.map((g) => [g.name, pick < 0 ? g.choices.length + pick : pick]));
const run = Object.fromEntries(art.meta.tasks.map((t) => [t.name, true]));
const inputs = randomInputs(art.meta, 0);
const make = (dtype: string, data: unknown, dims: number[]) => new ort.Tensor(dtype as never, data as never, dims);
const feeds: Record<string, ort.Tensor> = {};
for (const [k, v] of Object.entries(inputs))
  feeds[k] = make(v.data instanceof BigInt64Array ? "int64" : "float32", v.data, v.dims as number[]);
const fetch = art.meta.tasks.flatMap((t) => t.outputs);

async function profile(label: string, model: Uint8Array, extra: Record<string, ort.Tensor>) {
  const dir = mkdtempSync(join(tmpdir(), "prof-"));
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: "all",
    enableProfiling: true,
    profileFilePrefix: join(dir, "p"),
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  } as never);
  const f = { ...feeds, ...extra };
  await s.run(f, fetch);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(f, fetch);
    times.push(performance.now() - t0);
  }
  s.endProfiling();
  await s.release();
  const file = readdirSync(dir).find((x) => x.endsWith(".json"))!;
  const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    cat: string;
    name: string;
    ts: number;
    dur: number;
    args?: { op_name?: string };
  }[];
  // Kernel time per op type over the timed runs (the warm-up, at sizes not seen before, is left out).
  const timed = events.filter((e) => e.name === "model_run").slice(1);
  const per: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    if (!timed.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur)) continue;
    const op = e.args?.op_name ?? "?";
    per[op] = (per[op] ?? 0) + e.dur / 1000 / runs;
  }
  rmSync(dir, { recursive: true });
  times.sort((a, b) => a - b);
  console.log(`${label}: median ${times[Math.floor(runs / 2)].toFixed(1)} ms`);
  for (const [k, v] of Object.entries(per)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14))
    console.log(`  ${k.padEnd(24)} ${v.toFixed(2)} ms`);
}

const controls = controlFeeds(
  art.meta,
  widths,
  art.meta.tasks.map((t) => t.name),
  make as never,
) as Record<string, ort.Tensor>;
await profile(`specialised ${JSON.stringify(widths)}`, art.ir!.bytesFor({ widths, run }), {});
await profile("dynamic", bytes, controls);
