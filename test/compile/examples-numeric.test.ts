// Every examples/*.mtl: the dynamic model (one file, every configuration), run in onnxruntime at
// a configuration, must compute what the static export of that configuration computes
// (`emitModel(prepared, config, ...)`: widths folded away, weights cut to size). Configurations:
// all of them when there are at most 16, else all-min, all-max and a seeded random sample.
// The smallest example (cifar) is also checked against the reference interpreter.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitModel, prepareModel, type Prepared } from "../../compiler/compile";
import type { Config, Graph } from "../../compiler/ir/types";
import { mulberry32 } from "../../compiler/weights/init";
import { fileHost } from "../../cli/host";
import { allConfigs, feeds } from "../helpers/ort-run";
import { runReference } from "../helpers/reference-interpreter";
import type { Tensor } from "../helpers/reference-ops";
import { testWeights } from "../helpers/test-data";

const root = join(import.meta.dirname, "..", "..");
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".mtl"))
  .sort();
const SAMPLE = 16;
const TOL = 1e-5;

/** All configurations when there are at most `n`, else all-min, all-max and seeded random ones. */
function sampleConfigs(graph: Graph, n: number, seed: number): Config[] {
  const total = graph.groups.reduce((a, g) => a * g.choices.length, 1);
  if (total <= n) return allConfigs(graph);
  const rand = mulberry32(seed);
  const picked = new Map<string, Config>();
  const add = (c: Config) => picked.set(JSON.stringify(c), c);
  add(Object.fromEntries(graph.groups.map((g) => [g.name, 0])));
  add(Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1])));
  while (picked.size < n)
    add(Object.fromEntries(graph.groups.map((g) => [g.name, Math.floor(rand() * g.choices.length)])));
  return [...picked.values()];
}

/** Seeded inputs, batch 1: images in [-1, 1), token ids in [0, 8) with T = 5 (other symbolic dims also 5). */
function inputsFor(graph: Graph, seed: number): Record<string, Tensor> {
  const rand = mulberry32(seed);
  return Object.fromEntries(
    graph.inputs.map((i) => {
      const t = graph.values.get(i.value)!.type;
      const shape = t.shape.map((d) => (typeof d === "number" ? d : d === "N" ? 1 : 5));
      const n = shape.reduce((a, b) => a * b, 1);
      return [
        i.name,
        {
          shape,
          data: Float32Array.from({ length: n }, () => (t.dtype === "i64" ? Math.floor(rand() * 8) : rand() * 2 - 1)),
        },
      ];
    }),
  );
}

/** Feeds restricted to what a session takes (a static model has no `width.*` inputs). */
function feedsFor(
  session: ort.InferenceSession,
  graph: Graph,
  inputs: Record<string, Tensor>,
  config: Config,
): Record<string, ort.Tensor> {
  const all = feeds(graph, inputs, config);
  return Object.fromEntries(session.inputNames.map((n) => [n, all[n]]));
}

const label = (graph: Graph, c: Config) => graph.groups.map((g) => `${g.name}=${g.choices[c[g.name]]}`).join(",");

/** An output in a common form: dims, values as numbers, and whether they are float scores. */
interface Out {
  dims: readonly number[];
  data: ArrayLike<number>;
  float: boolean;
}
const fromOrt = (t: ort.Tensor): Out => ({
  dims: t.dims,
  data:
    t.type === "float32"
      ? (t.data as Float32Array)
      : Array.from(t.data as ArrayLike<number | bigint | boolean>, Number),
  float: t.type === "float32",
});

/** Largest absolute difference over the largest magnitude of `want`. */
function relError(got: Out, want: Out): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < want.data.length; i++) {
    diff = Math.max(diff, Math.abs(got.data[i] - want.data[i]));
    scale = Math.max(scale, Math.abs(want.data[i]));
  }
  return diff / scale;
}

/**
 * The same graph with every integer- or bool-valued decoding (argmax, topk, threshold) replaced by
 * identity, so one more session can show the float scores the decisions were made on.
 */
const DECISIONS = new Set(["argmax", "topk", "threshold"]);
const hasDecisions = (g: Graph) => g.tasks.some((t) => DECISIONS.has(t.decode.kind));
function scoresModel(p: Prepared, config: Config | null, source: string): Uint8Array {
  const graph: Graph = {
    ...p.graph,
    tasks: p.graph.tasks.map((t) => (DECISIONS.has(t.decode.kind) ? { ...t, decode: { kind: "identity" } } : t)),
  };
  return emitModel({ ...p, graph }, config, source).bytes;
}

/**
 * Integer and bool outputs (argmax / top-k indices, thresholded labels) are decisions over float
 * scores. The two models compute those scores in different orders of float operations (sliced
 * vs. cut weights, If branches vs. plain nodes), so they agree only to ~1e-6; where two scores
 * (or a score and the threshold) are closer than that, the decision may legitimately flip. A
 * differing entry is therefore accepted exactly when its scores tie within TOL (relative to the
 * largest score), and the count of such entries is asserted small. Any other difference fails.
 */
async function decisionsAgree(
  graph: Graph,
  name: string,
  got: Out,
  want: Out,
  raw: (task: string) => Promise<Out>,
): Promise<string | null> {
  if (got.dims.join() !== want.dims.join()) return `${name}: dims [${got.dims}] vs [${want.dims}]`;
  const differing: number[] = [];
  for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) differing.push(i);
  if (differing.length === 0) return null;
  const task = graph.tasks.find((t) => t.name === name || name.startsWith(`${t.name}.`))!;
  if (differing.length > Math.max(3, want.data.length * 1e-3))
    return `${name}: ${differing.length} of ${want.data.length} entries differ (too many to be ties)`;
  const s = await raw(task.name);
  let scale = 1e-6;
  for (let i = 0; i < s.data.length; i++) scale = Math.max(scale, Math.abs(s.data[i]));
  const tol = TOL * scale;
  const d = task.decode;
  const rank = s.dims.length;
  if (d.kind === "threshold") {
    for (const i of differing) {
      const prob = 1 / (1 + Math.exp(-s.data[i]));
      if (Math.abs(prob - d.value) > TOL)
        return `${name}[${i}]: ${got.data[i]} vs ${want.data[i]}, but sigmoid = ${prob} is not at the threshold ${d.value}`;
    }
    return null;
  }
  if (d.kind !== "argmax" && d.kind !== "topk") return `${name}: unexpected integer output for decode ${d.kind}`;
  // Strides of the scores along the decoded axis; an output entry (same dims, axis of length 1
  // for argmax / k for topk) maps back to its row of scores.
  const axis = d.axis < 0 ? d.axis + rank : d.axis;
  const inner = s.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const L = s.dims[axis];
  const outL = d.kind === "topk" ? d.k : 1;
  const score = (i: number, index: number) => {
    const outer = Math.floor(i / (outL * inner));
    const rest = i % inner;
    return s.data[outer * L * inner + index * inner + rest];
  };
  for (const i of differing) {
    const a = score(i, got.data[i]);
    const b = score(i, want.data[i]);
    if (Math.abs(a - b) > tol)
      return `${name}[${i}]: index ${got.data[i]} (score ${a}) vs ${want.data[i]} (score ${b}): not a tie within ${TOL}`;
  }
  return null;
}

async function compare(
  graph: Graph,
  got: Record<string, Out>,
  want: Record<string, Out>,
  raw: (task: string) => Promise<Out>,
): Promise<string[]> {
  const problems: string[] = [];
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const name of Object.keys(want)) {
    const [g, w] = [got[name], want[name]];
    if (w.float || g.float) {
      if (g.dims.join() !== w.dims.join()) problems.push(`${name}: dims [${g.dims}] vs [${w.dims}]`);
      else if (!(relError(g, w) < TOL)) problems.push(`${name}: relative error ${relError(g, w)}`);
      continue;
    }
    const p = await decisionsAgree(graph, name, g, w, raw);
    if (p) problems.push(p);
  }
  return problems;
}

const toOuts = (r: ort.InferenceSession.ReturnType): Record<string, Out> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fromOrt(v)]));

describe.each(examples)("examples/%s", (file) => {
  const source = `examples/${file}`;
  let prepared: Prepared;
  let graph: Graph;
  let inputs: Record<string, Tensor>;
  let dynamic: ort.InferenceSession;
  let scores: ort.InferenceSession | undefined;
  const configs: Config[] = [];

  /** The float scores behind a task's decisions, from the dynamic scores model at `config` (run once). */
  const rawScores = (config: Config) => {
    let run: Promise<ort.InferenceSession.ReturnType> | undefined;
    return async (task: string): Promise<Out> => {
      run ??= (async () => {
        scores ??= await ort.InferenceSession.create(scoresModel(prepared, null, source));
        return scores.run(feedsFor(scores, graph, inputs, config));
      })();
      return fromOrt((await run)[task]);
    };
  };

  beforeAll(async () => {
    const r = prepareModel(source, fileHost(join(root, source), root));
    if (!r.ok)
      throw new Error(`${source} does not compile: ${r.message ?? r.diagnostics.map((d) => d.message).join("; ")}`);
    graph = r.prepared.graph;
    // Seeded weights where every switchable row differs, so a wrong width row changes outputs.
    prepared = { ...r.prepared, weights: testWeights(graph, 1) };
    inputs = inputsFor(graph, 2);
    dynamic = await ort.InferenceSession.create(emitModel(prepared, null, source).bytes);
    configs.push(...sampleConfigs(graph, SAMPLE, 3));
  });
  afterAll(async () => {
    await dynamic?.release();
    await scores?.release();
  });

  it(
    `matches the static export at ${SAMPLE} sampled configurations (all when fewer; all-min and ` +
      `all-max included), decisions and the scores behind them`,
    async () => {
      const total = graph.groups.reduce((a, g) => a * g.choices.length, 1);
      expect(configs.length).toBe(Math.min(SAMPLE, total));
      const keys = configs.map((c) => JSON.stringify(c));
      expect(keys).toContain(JSON.stringify(Object.fromEntries(graph.groups.map((g) => [g.name, 0]))));
      expect(keys).toContain(
        JSON.stringify(Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]))),
      );
      const failures: string[] = [];
      for (const config of configs) {
        const raw = rawScores(config);
        const fixed = await ort.InferenceSession.create(emitModel(prepared, config, source).bytes);
        try {
          const want = toOuts(await fixed.run(feedsFor(fixed, graph, inputs, config)));
          const got = toOuts(await dynamic.run(feedsFor(dynamic, graph, inputs, config)));
          for (const [name, o] of Object.entries(want)) {
            expect(o.data.length, `${name} is empty`).toBeGreaterThan(0);
            if (o.float) expect(Array.from(o.data).every(Number.isFinite), `${name} is not finite`).toBe(true);
          }
          failures.push(...(await compare(graph, got, want, raw)).map((p) => `${label(graph, config)}: ${p}`));
        } finally {
          await fixed.release();
        }
        // Decisions can hide a wrong head (nyud's seeded semseg head picks one class everywhere):
        // compare the float scores behind them as well, static against dynamic.
        if (hasDecisions(graph)) {
          const fixedScores = await ort.InferenceSession.create(scoresModel(prepared, config, source));
          try {
            const want = toOuts(await fixedScores.run(feedsFor(fixedScores, graph, inputs, config)));
            for (const t of graph.tasks.filter((x) => DECISIONS.has(x.decode.kind))) {
              const [g, w] = [await raw(t.name), want[t.name]];
              if (g.dims.join() !== w.dims.join() || !(relError(g, w) < TOL))
                failures.push(
                  `${label(graph, config)}: scores of ${t.name}: dims [${g.dims}] vs [${w.dims}], relative error ${relError(g, w)}`,
                );
            }
          } finally {
            await fixedScores.release();
          }
        }
      }
      expect(failures).toEqual([]);
    },
    170_000,
  ); // nyud (ResNet-34 at 288x384) takes ~40 s alone; the machine is shared

  // The reference interpreter runs every op with plain loops: affordable for the smallest example.
  if (file === "cifar_mtl.mtl")
    it("matches the reference interpreter at 4 configurations", async () => {
      const picked = [configs[0], configs[1], configs[2], configs[3]];
      for (const config of picked) {
        const got = toOuts(await dynamic.run(feedsFor(dynamic, graph, inputs, config)));
        const want: Record<string, Out> = {};
        for (const [name, t] of runReference(graph, prepared.weights, config, inputs))
          want[name] = { dims: t.shape, data: t.data, float: got[name]?.float ?? true };
        expect(await compare(graph, got, want, rawScores(config)), label(graph, config)).toEqual([]);
      }
    });
});

describe("the tie rule for integer outputs", () => {
  // Scores [1, 3 classes, 2 positions]: position 0 has classes 0 and 2 tied, position 1 does not.
  const graph = {
    tasks: [
      { name: "t", decode: { kind: "argmax", axis: 1 } },
      { name: "k", decode: { kind: "topk", axis: 1, k: 2 } },
    ],
  } as unknown as Graph;
  const scores: Out = { dims: [1, 3, 2], data: [5, 0, 1, 9, 5 + 1e-7, 3], float: true };
  const raw = async () => scores;
  const ints = (dims: number[], data: number[]): Out => ({ dims, data, float: false });

  it("accepts an argmax flip between tied scores and rejects any other", async () => {
    expect(await decisionsAgree(graph, "t", ints([1, 2], [0, 1]), ints([1, 2], [2, 1]), raw)).toBeNull();
    expect(await decisionsAgree(graph, "t", ints([1, 2], [2, 0]), ints([1, 2], [2, 1]), raw)).toMatch(/not a tie/);
  });

  it("accepts a top-k index swap between tied scores and rejects any other", async () => {
    // top-2 at position 0: classes {0, 2} in either order; at position 1: [1, 2]
    expect(
      await decisionsAgree(graph, "k.indices", ints([1, 2, 2], [0, 1, 2, 2]), ints([1, 2, 2], [2, 1, 0, 2]), raw),
    ).toBeNull();
    expect(
      await decisionsAgree(graph, "k.indices", ints([1, 2, 2], [2, 2, 0, 1]), ints([1, 2, 2], [2, 1, 0, 2]), raw),
    ).toMatch(/not a tie/);
  });
});
