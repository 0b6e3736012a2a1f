// Every gradient rule against central finite differences on onnxruntime-node. Each case is a tiny
// graph: a learned input (a `param` node, so it gets a gradient too) -> the op under test (with its
// own parameters, cut to a random width configuration) -> an L2 loss against a random target.
// float32 throughout: onnxruntime's CPU build has no double kernels for Conv, ConvTranspose,
// MaxPool, Resize or Erf, and the rules emit float constants. The check is a directional
// derivative along a random direction per parameter, h = 1e-3, with the L2 loss recomputed in
// float64 from the float32 outputs; relative tolerance 1e-2 (float32 round-off of the outputs over
// 2h is about 1e-4 of the gradient; learned inputs are spread so that no kink lies within h).
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../compiler/ir/builder";
import type { Dim, Graph } from "../../compiler/ir/types";
import { mulberry32 } from "../../compiler/weights/init";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { IM2COL_LIMIT } from "../../compiler/train/grad/conv";
import { GRAD_RULES } from "../../compiler/train/grad/rules";
import { at } from "../helpers/reference-nets";
import { checkGradients, l2In64, randomFeeds, lossOf } from "../helpers/train-check";

const TOL = 1e-2;
const RUNS = { numRuns: 12, seed: 20261201 };
const init = { kind: "normal", std: 1 } as const;

type Build = (b: GraphBuilder) => string; // returns the output value id

/** A graph with group "g" (widths 0.5, 1) for the op to slim with, and task "t" on `build`'s output. */
function graphOf(build: Build): Graph {
  const b = new GraphBuilder("t", [0.5, 1.0], 1);
  b.addGroup("g");
  b.input("unused", "f32", ["N", 1], 1);
  b.addTask({ name: "t", output: build(b), decode: { kind: "identity" }, loss: lossOf("l2"), metric: null });
  return b.finish();
}

async function expectGradientsMatch(graph: Graph, width: number, seed: number): Promise<void> {
  const tg = buildTrainingGraph(
    graph,
    { g: width },
    { tasks: ["t"], labels: true, distillOutputs: 0, distillFeatures: 0, gradients: true },
  );
  expect(tg.diagnostics).toEqual([]);
  const feeds = randomFeeds(tg, seed);
  if (feeds.x) feeds.x = spread(feeds.x, seed);
  const checks = await checkGradients(tg, feeds, seed + 1, 1e-3, l2In64("t"));
  expect(checks.length).toBeGreaterThan(0);
  for (const c of checks)
    expect(c.error, `${c.param}: analytic ${c.analytic} vs numeric ${c.numeric}`).toBeLessThan(TOL);
}

/**
 * The learned input's values as a shuffled evenly spaced grid in [-1, 1]: no two within 2h of
 * each other or of 0, so the finite differences of max-pool and relu never cross a kink.
 */
function spread(t: ort.Tensor, seed: number): ort.Tensor {
  const n = t.data.length;
  const rand = mulberry32(seed);
  const values = Array.from({ length: n }, (_, i) => -1 + (2 * (i + 0.5)) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return new ort.Tensor("float32", Float32Array.from(values), t.dims);
}

const learned = (
  b: GraphBuilder,
  shape: number[],
  channelAxis: number | null = 1,
  group: string | null = null,
): string => b.param(at("x", group), shape, init, channelAxis);

const width = fc.integer({ min: 0, max: 1 });
const seed = fc.integer({ min: 1, max: 1000 });
const covered = new Set<string>();
function prop<T>(ops: string[], arb: fc.Arbitrary<T>, build: (b: GraphBuilder, v: T) => string): () => Promise<void> {
  ops.forEach((o) => covered.add(o));
  return () =>
    fc.assert(
      fc.asyncProperty(arb, width, seed, (v, w, s) =>
        expectGradientsMatch(
          graphOf((b) => build(b, v)),
          w,
          s,
        ),
      ),
      RUNS,
    );
}

const window = fc
  .record({
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  })
  .chain(({ k, s }) =>
    fc.record({
      k: fc.constant(k),
      s: fc.constant(s),
      pads: fc.tuple(
        fc.integer({ min: 0, max: k[0] - 1 }),
        fc.integer({ min: 0, max: k[1] - 1 }),
        fc.integer({ min: 0, max: k[0] - 1 }),
        fc.integer({ min: 0, max: k[1] - 1 }),
      ),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      h: fc.integer({ min: 6, max: 9 }),
      w: fc.integer({ min: 6, max: 9 }),
    }),
  );

describe("gradient rules against finite differences", () => {
  it(
    "conv: strided, dilated, padded, with and without bias, slimming",
    prop(["conv"], fc.tuple(window, fc.boolean(), fc.constantFrom(2, 4)), (b, [o, bias, cin]) => {
      const x = learned(b, [2, cin, o.h, o.w]);
      return b.conv(at("conv", "g"), x, {
        out: 4,
        kernel: o.k,
        stride: o.s,
        pads: o.pads,
        dilation: o.d,
        groups: 1,
        bias,
      });
    }),
  );
  it(
    "conv: grouped and depthwise (slimming with its input)",
    prop(["conv"], fc.tuple(window, fc.constantFrom("grouped", "depthwise")), (b, [o, kind]) => {
      if (kind === "grouped")
        return b.conv(at("conv"), learned(b, [2, 4, o.h, o.w]), {
          out: 6,
          kernel: o.k,
          stride: o.s,
          pads: o.pads,
          dilation: o.d,
          groups: 2,
          bias: true,
        });
      const x = learned(b, [2, 4, o.h, o.w], 1, "g");
      return b.conv(at("conv"), x, {
        out: 4,
        kernel: o.k,
        stride: o.s,
        pads: o.pads,
        dilation: o.d,
        groups: 4,
        bias: true,
      });
    }),
  );
  it(
    "conv: an im2col too large per sample takes the Conv formulation of the weight gradient",
    prop(["conv"], fc.constantFrom(1, 2), (b, dilation) => {
      const x = learned(b, [1, 16, 96, 96]);
      const pad = dilation;
      expect(9 * 16 * 96 * 96).toBeGreaterThan(IM2COL_LIMIT); // same-size output: Ho Wo = 96 x 96
      const o = {
        out: 2,
        kernel: [3, 3],
        stride: [1, 1],
        pads: [pad, pad, pad, pad],
        dilation: [dilation, dilation],
      } as const;
      return b.conv(at("conv"), x, { ...o, groups: 1, bias: true });
    }),
  );
  it(
    "conv: fewer im2col rows (kh kw C) than output channels transposes the im2col instead of dy",
    prop(["conv"], fc.tuple(window, fc.constantFrom(1, 2)), (b, [o, cin]) => {
      const kernel = o.k.map((k) => Math.min(k, 2)) as [number, number];
      expect(kernel[0] * kernel[1] * cin).toBeLessThan(16); // 16 output channels at either width
      return b.conv(at("conv", "g"), learned(b, [2, cin, o.h, o.w]), {
        out: 32,
        kernel,
        stride: o.s,
        pads: o.pads.map((p, i) => Math.min(p, kernel[i % 2] - 1)) as [number, number, number, number],
        dilation: o.d,
        groups: 1,
        bias: false,
      });
    }),
  );
  it(
    "linear on rank 2 and 3",
    prop(["linear"], fc.tuple(fc.boolean(), fc.boolean()), (b, [rank3, bias]) =>
      b.linear(at("fc", "g"), learned(b, rank3 ? [2, 3, 5] : [3, 5], rank3 ? 2 : 1), { out: 4, bias }),
    ),
  );
  it(
    "batchnorm (training mode, switchable) on rank 4 and 2",
    prop(["batchnorm"], fc.boolean(), (b, rank4) => {
      const x = learned(b, rank4 ? [3, 4, 3, 3] : [5, 4], 1, "g");
      return b.batchnorm(at("bn", "g"), x, { eps: 1e-5 });
    }),
  );
  it(
    "groupnorm (slimming: groups divide every width)",
    prop(["groupnorm"], fc.tuple(fc.constantFrom(1, 2), fc.boolean()), (b, [groups, rank4]) => {
      const x = learned(b, rank4 ? [2, 4, 3, 3] : [3, 4, 5], 1, "g");
      return b.op(at("gn", "g"), "groupnorm", [x], { groups, eps: 1e-5 });
    }),
  );
  it(
    "layernorm",
    prop(["layernorm"], fc.integer({ min: 3, max: 6 }), (b, d) =>
      b.layernorm(at("ln"), learned(b, [2, 3, d], 2), { eps: 1e-5 }),
    ),
  );
  const unary = ["relu", "relu6", "gelu", "sigmoid", "tanh", "silu", "identity"] as const;
  it(
    "activations (scaled by a constant to reach relu6's upper kink)",
    prop([...unary, "mul", "const"], fc.constantFrom(...unary), (b, op) => {
      const x = b.binary(at("scale"), "mul", learned(b, [2, 3, 4]), b.constant(at("k"), 4));
      return b.unary(at("act"), op, x);
    }),
  );
  it(
    "softmax along any axis",
    prop(["softmax"], fc.integer({ min: -3, max: 2 }), (b, axis) => b.softmax(at("sm"), learned(b, [2, 3, 4]), axis)),
  );
  const pool = window.map((o) => ({
    ...o,
    pads: o.pads.map((p, i) => Math.min(p, Math.floor(o.k[i % 2] / 2))) as [number, number, number, number],
  }));
  it(
    "maxpool and avgpool (padded, strided)",
    prop(
      ["maxpool", "avgpool"],
      fc.tuple(pool, fc.constantFrom("maxpool", "avgpool") as fc.Arbitrary<"maxpool" | "avgpool">),
      (b, [o, op]) => b.pool(at("pool"), op, learned(b, [2, 3, o.h, o.w]), { kernel: o.k, stride: o.s, pads: o.pads }),
    ),
  );
  const reluPool = (b: GraphBuilder, o: { k: number[]; s: number[]; pads: number[]; h: number; w: number }): string =>
    b.pool(at("pool"), "maxpool", b.unary(at("act"), "relu", learned(b, [2, 3, o.h, o.w])), {
      kernel: o.k as [number, number],
      stride: o.s as [number, number],
      pads: o.pads as [number, number, number, number],
    });
  it("relu then maxpool (the pool masks its pooled gradient, the relu passes it through)", async () => {
    const names = buildTrainingGraph(
      graphOf((b) => reluPool(b, { k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], h: 6, w: 6 })),
      { g: 1 },
      { tasks: ["t"], labels: true, distillOutputs: 0, distillFeatures: 0, gradients: true },
    ).model.graph.nodes.map((n) => n.name);
    expect(names.some((n) => n.startsWith("pool/grad/Greater"))).toBe(true);
    expect(names.some((n) => n.startsWith("act/grad/"))).toBe(false);
    await prop(["relu", "maxpool"], pool, reluPool)();
  });
  it(
    "globalavgpool",
    prop(["globalavgpool"], fc.integer({ min: 2, max: 5 }), (b, h) =>
      b.globalAvgPool(at("gap"), learned(b, [2, 3, h, h + 1])),
    ),
  );
  it(
    "resize nearest and linear, by scales and to sizes",
    prop(
      ["resize"],
      fc.tuple(
        fc.constantFrom("nearest", "linear") as fc.Arbitrary<"nearest" | "linear">,
        fc.constantFrom<[number, number] | null>([2, 2], [1.5, 2], [0.5, 3], null),
      ),
      (b, [mode, scales]) =>
        b.resize(at("up"), learned(b, [2, 2, 4, 6]), scales ? { scales, mode } : { size: [7, 5], mode }),
    ),
  );
  it(
    "concat, including size-1 broadcasting",
    prop(["concat"], fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()), (b, [axis, broadcast]) => {
      const a = b.param(at("a"), [2, 3, 4], init, null);
      const shape = [2, 3, 4];
      shape[axis] = 2;
      if (broadcast) shape[axis === 0 ? 1 : 0] = 1;
      return b.concat(at("cat"), [a, b.param(at("c"), shape, init, null)], axis);
    }),
  );
  const shapes: [number[], number[]][] = [
    [
      [2, 3, 4],
      [2, 3, 4],
    ],
    [
      [2, 3, 4],
      [3, 1],
    ],
    [
      [2, 3, 4],
      [1, 4],
    ],
    [
      [2, 1, 4],
      [3, 1],
    ],
    [
      [3, 4],
      [2, 1, 4],
    ],
  ];
  it(
    "add, sub, mul, div with broadcasting",
    prop(
      ["add", "sub", "mul", "div"],
      fc.tuple(
        fc.constantFrom("add", "sub", "mul", "div") as fc.Arbitrary<"add" | "sub" | "mul" | "div">,
        fc.constantFrom(...shapes),
      ),
      (b, [op, [sa, sb]]) => {
        const a = b.param(at("a"), sa, init, null);
        let c = b.param(at("c"), sb, init, null);
        if (op === "div")
          c = b.binary(at("shift"), "add", b.unary(at("pos"), "sigmoid", c), b.constant(at("half"), 0.5)); // away from 0
        return b.binary(at("op"), op, a, c);
      },
    ),
  );
  it(
    "reshape, flatten, transpose, select, mean",
    prop(
      ["reshape", "flatten", "transpose", "select", "mean"],
      fc.constantFrom("reshape", "flatten", "transpose", "select", "mean"),
      (b, op) => {
        const x = b.param(at("x"), [2, 3, 4], init, null);
        // Times a learned tensor, so that the loss is not linear in x alone.
        const mix = (v: string) =>
          b.binary(at("mix"), "mul", v, b.param(at("w"), b.type(v).shape as number[], init, null));
        switch (op) {
          case "reshape":
            return mix(b.reshape(at("op"), x, [2, 2, 6] as Dim[]));
          case "flatten":
            return mix(b.flatten(at("op"), x, 2));
          case "transpose":
            return mix(b.transpose(at("op"), x, [2, 0, 1]));
          case "select":
            return mix(b.select(at("op"), x, 1, 2));
          default:
            return mix(b.mean(at("op"), x, [0, 2], false));
        }
      },
    ),
  );
  it(
    "attention (heads slimming)",
    prop(["attention"], fc.constantFrom(2, 4), (b, heads) =>
      b.attention(at("attn", "g"), learned(b, [2, 3, 8], 2), { heads }),
    ),
  );
  it(
    "causal attention (masked positions get no gradient)",
    prop(["attention"], fc.constantFrom(2, 4), (b, heads) =>
      b.attention(at("attn", "g"), learned(b, [2, 4, 8], 2), { heads, causal: true }),
    ),
  );
  it(
    "cross_attention (queries and memory both learned, heads slimming)",
    prop(["cross_attention"], fc.constantFrom(2, 4), (b, heads) => {
      const memory = b.param(at("memory"), [2, 5, 8], init, 2);
      return b.crossAttention(at("xattn", "g"), learned(b, [2, 3, 8], 2), memory, { heads });
    }),
  );
  it(
    "embedding (repeated indices add up)",
    prop(["embedding", "param"], fc.integer({ min: 3, max: 6 }), (b, vocab) => {
      const idx = b.input("ids", "i64", ["N", 5], null);
      return b.embedding(at("emb", "g"), idx, { vocab, dim: 4 });
    }),
  );
  it(
    "shared weights: one layer applied twice sums both uses' gradients",
    prop(["linear"], fc.boolean(), (b, bias) => {
      const once = b.linear(at("fc"), learned(b, [3, 4]), { out: 4, bias });
      return b.linear(at("fc"), b.unary(at("act"), "tanh", once), { out: 4, bias });
    }),
  );
  it("covers every op kind", () => {
    expect(Object.keys(GRAD_RULES).filter((op) => !covered.has(op))).toEqual([]);
  });
});
