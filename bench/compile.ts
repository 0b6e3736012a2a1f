// Compiling the examples: per example, the compile time (prepare = check + passes + weights + cost
// table; emit = lowering + encoding), the size of the one dynamic file against the full-width
// weight bytes (sum of parameters x 4; target: within 2%), and for a handful of configurations
// the run time of the dynamic model next to the static export of the same widths (median of
// --runs runs after --warmup runs each, alternating the two models so drift hits both alike).
// Run: npx tsx bench/compile.ts [--runs 7] [--warmup 2] [--threads 1] [--configs 4] [example.mtl ...]

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { emitModel, prepareModel } from "../compiler/compile";
import type { Config, Graph } from "../compiler/ir/types";
import { mulberry32 } from "../compiler/weights/init";
import { fileHost } from "../cli/host";
import { runInputName, widthInputName } from "../compiler/io-names";

const root = join(import.meta.dirname, "..");
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "7" },
    warmup: { type: "string", default: "2" },
    threads: { type: "string", default: "1" },
    configs: { type: "string", default: "4" },
  },
});
const RUNS = Math.max(5, Number(opts.runs));
const WARMUP = Math.max(1, Number(opts.warmup));
const THREADS = Number(opts.threads);
const CONFIGS = Math.max(2, Number(opts.configs));
const examples = positionals.length
  ? positionals
  : readdirSync(join(root, "examples"))
      .filter((f) => f.endsWith(".mtl"))
      .sort();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** All-min, all-max, then seeded random configurations (distinct). */
function pickConfigs(graph: Graph, n: number): [string, Config][] {
  const min = Object.fromEntries(graph.groups.map((g) => [g.name, 0]));
  const max = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
  const picked = new Map<string, [string, Config]>([
    [JSON.stringify(min), ["all-min", min]],
    [JSON.stringify(max), ["all-max", max]],
  ]);
  const total = graph.groups.reduce((a, g) => a * g.choices.length, 1);
  const rand = mulberry32(11);
  while (picked.size < Math.min(n, total)) {
    const c = Object.fromEntries(graph.groups.map((g) => [g.name, Math.floor(rand() * g.choices.length)]));
    if (!picked.has(JSON.stringify(c))) picked.set(JSON.stringify(c), [`random-${picked.size - 1}`, c]);
  }
  return [...picked.values()];
}

/** Seeded feeds, batch 1 (other symbolic dims 5); `width.*` only for sessions that take them. */
function feedsFor(session: ort.InferenceSession, graph: Graph, config: Config): Record<string, ort.Tensor> {
  const rand = mulberry32(5);
  const f: Record<string, ort.Tensor> = {};
  for (const i of graph.inputs) {
    const t = graph.values.get(i.value)!.type;
    const shape = t.shape.map((d) => (typeof d === "number" ? d : d === "N" ? 1 : 5));
    const n = size(shape);
    f[i.name] =
      t.dtype === "i64"
        ? new ort.Tensor(
            "int64",
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 8))),
            shape,
          )
        : new ort.Tensor(
            "float32",
            Float32Array.from({ length: n }, () => rand() * 2 - 1),
            shape,
          );
  }
  for (const g of graph.groups)
    f[widthInputName(g.name)] = new ort.Tensor("int64", BigInt64Array.from([BigInt(config[g.name])]), []);
  for (const t of graph.tasks) f[runInputName(t.name)] = new ort.Tensor("bool", [true], []);
  return Object.fromEntries(session.inputNames.map((n) => [n, f[n]]));
}

const sessionOptions: ort.InferenceSession.SessionOptions = { intraOpNumThreads: THREADS, interOpNumThreads: 1 };

console.log(
  `mtl compile bench: ${examples.length} examples; run times are medians of ${RUNS} runs after ${WARMUP} ` +
    `warm-up runs, ${THREADS} intra-op thread(s), batch 1\n`,
);
const summary: string[] = [];
for (const file of examples) {
  const source = `examples/${file}`;
  const host = fileHost(join(root, source), root);
  const t0 = performance.now();
  const r = prepareModel(source, host);
  if (!r.ok)
    throw new Error(`${source} does not compile: ${r.message ?? r.diagnostics.map((d) => d.message).join("; ")}`);
  const t1 = performance.now();
  const dyn = emitModel(r.prepared, null, source);
  const t2 = performance.now();
  const graph = r.prepared.graph;
  const fullParams = [...graph.params.values()].reduce((n, p) => n + size(p.shape), 0);
  // What the file really stores for parameters: switchable rows are kept only when they differ.
  const stored = dyn.onnx.graph.initializers
    .filter((t) => graph.params.has(t.name))
    .reduce((n, t) => n + t.data.length, 0);
  const ratio = dyn.bytes.length / (fullParams * 4);
  const configs = graph.groups.reduce((a, g) => a * g.choices.length, 1);
  console.log(
    `== ${source}: ${graph.name}, ${graph.tasks.length} tasks, ${graph.groups.length} groups, ` +
      `${configs > 1e6 ? configs.toExponential(2) : configs} configurations`,
  );
  console.log(
    `compile: prepare ${(t1 - t0).toFixed(0)} ms + emit ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms`,
  );
  console.log(
    `size: file ${mb(dyn.bytes.length)} vs full-width weights ${mb(fullParams * 4)} (${fullParams} ` +
      `params x 4): ratio ${ratio.toFixed(4)} ${Math.abs(ratio - 1) <= 0.02 ? "(within 2%)" : "(NOT within 2%)"}` +
      `; per-width BatchNorm rows add ${mb((stored - fullParams) * 4)}, graph + constants + metadata ${mb(dyn.bytes.length - stored * 4)}`,
  );

  const dynamic = await ort.InferenceSession.create(dyn.bytes, sessionOptions);
  console.log(
    `${"configuration".padEnd(12)} ${"dynamic ms".padStart(11)} ${"static ms".padStart(10)} ` +
      `${"dyn/static".padStart(10)}  widths (${graph.groups.map((g) => g.name).join(", ")})`,
  );
  const ratios: number[] = [];
  for (const [name, config] of pickConfigs(graph, CONFIGS)) {
    const fixed = await ort.InferenceSession.create(emitModel(r.prepared, config, source).bytes, sessionOptions);
    const dFeeds = feedsFor(dynamic, graph, config);
    const sFeeds = feedsFor(fixed, graph, config);
    for (let i = 0; i < WARMUP; i++) {
      await dynamic.run(dFeeds);
      await fixed.run(sFeeds);
    }
    const [d, s]: number[][] = [[], []];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await dynamic.run(dFeeds);
      d.push(performance.now() - t);
      t = performance.now();
      await fixed.run(sFeeds);
      s.push(performance.now() - t);
    }
    await fixed.release();
    const [dm, sm] = [median(d), median(s)];
    ratios.push(dm / sm);
    const widths = graph.groups.map((g) => g.choices[config[g.name]]).join(" ");
    console.log(
      `${name.padEnd(12)} ${dm.toFixed(2).padStart(11)} ${sm.toFixed(2).padStart(10)} ${(dm / sm).toFixed(2).padStart(10)}  ${widths}`,
    );
  }
  await dynamic.release();
  summary.push(
    `${file.padEnd(18)} compile ${(t2 - t0).toFixed(0).padStart(6)} ms  size ratio ${ratio.toFixed(4)} ` +
      ` dynamic/static run time ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}`,
  );
  console.log("");
}
console.log("summary:");
for (const s of summary) console.log(`  ${s}`);
