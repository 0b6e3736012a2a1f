// Shape rules of the layers that work on a feature axis: linear, normalisation, attention and
// embedding. Parameter names and initialisations follow PyTorch's modules.

import { fixedSeg, groupsOf, describeLayout, layoutOnAxis, outLayout, paramAxis } from "./layout";
import {
  expectFloat,
  expectMinRank,
  expectPositive,
  expectRank,
  one,
  param,
  zero,
  type OpCtx,
  type OpResult,
} from "./op-common";
import { fail } from "./shape-errors";
import type { Segment, ValueType } from "./types";
import { layoutMax } from "./width";

export function linear(c: OpCtx, x: ValueType, o: { out: number; bias: boolean }): OpResult {
  expectMinRank(x, 1, "linear");
  expectFloat(x, "linear");
  expectPositive([o.out], "linear output size");
  const last = x.shape.length - 1;
  const inSegs = layoutOnAxis(x, last, "linear");
  const inF = layoutMax(inSegs);
  const outSegs = outLayout(o.out, c.group, c.divisor);
  return {
    type: { dtype: "f32", shape: [...x.shape.slice(0, last), o.out], channelAxis: last, channels: outSegs },
    params: {
      weight: param(`${c.name}.weight`, [o.out, inF], [paramAxis(outSegs), paramAxis(inSegs)], {
        kind: "he",
        fanIn: inF,
      }),
      ...(o.bias ? { bias: param(`${c.name}.bias`, [o.out], [paramAxis(outSegs)], zero) } : {}),
    },
  };
}

/**
 * Switchable BatchNorm over axis 1: when the channels slim, every parameter and statistic keeps one
 * row per width choice of their group (Slimmable Networks), so the layout must slim with one group.
 */
export function batchnorm(c: OpCtx, x: ValueType, o: { eps: number }): OpResult {
  expectMinRank(x, 2, "batchnorm");
  expectFloat(x, "batchnorm");
  if (!(o.eps > 0)) fail("BadOption", `batchnorm eps must be positive, got ${o.eps}`);
  const segs = layoutOnAxis(x, 1, "batchnorm");
  const groups = groupsOf(segs);
  if (groups.length > 1)
    fail(
      "MixedGroupNorm",
      `batchnorm over ${describeLayout(segs)} would need statistics for every combination of groups ` +
        `${groups.map((g) => `'${g}'`).join(" and ")}`,
      "normalise each branch before concatenating them",
    );
  const perWidth = groups.length > 0 ? groups : null; // keyed by every upstream group in builder.finish()
  const C = layoutMax(segs);
  const axes = [paramAxis(segs)];
  const p = (role: string, init: typeof one) => param(`${c.name}.${role}`, [C], axes, init, perWidth);
  return {
    type: x,
    attrs: { eps: o.eps },
    params: {
      weight: p("weight", one),
      bias: p("bias", zero),
      running_mean: p("running_mean", zero),
      running_var: p("running_var", one),
    },
  };
}

/** LayerNorm over the last axis; its parameters slim when that axis carries slimming channels. */
export function layernorm(c: OpCtx, x: ValueType, o: { eps: number }): OpResult {
  expectMinRank(x, 1, "layernorm");
  expectFloat(x, "layernorm");
  if (!(o.eps > 0)) fail("BadOption", `layernorm eps must be positive, got ${o.eps}`);
  const last = x.shape.length - 1;
  const d = x.shape[last];
  let segs: readonly Segment[];
  if (x.channelAxis === last) segs = x.channels;
  else if (typeof d === "number") segs = [fixedSeg(d)];
  else fail("SymbolicSize", `layernorm needs a known size on its last axis, but it is the symbolic '${d}'`);
  const D = layoutMax(segs);
  return {
    type: x,
    attrs: { eps: o.eps },
    params: {
      weight: param(`${c.name}.weight`, [D], [paramAxis(segs)], one),
      bias: param(`${c.name}.bias`, [D], [paramAxis(segs)], zero),
    },
  };
}

/**
 * Batch-first multi-head self-attention with nn.MultiheadAttention's parameters. It slims by its
 * number of heads (each head keeps its full size); the output keeps the input's layout so that
 * residual connections line up.
 */
export function attention(c: OpCtx, x: ValueType, o: { heads: number }): OpResult {
  expectRank(x, 3, "attention", "[N, T, D]");
  expectFloat(x, "attention");
  expectPositive([o.heads], "attention heads");
  const segs = layoutOnAxis(x, 2, "attention");
  const D = layoutMax(segs);
  if (D % o.heads !== 0)
    fail(
      "HeadsDivide",
      `attention over ${D} features cannot be split into ${o.heads} heads`,
      `use a number of heads that divides ${D}`,
    );
  const headDim = D / o.heads;
  const heads: Segment = { max: o.heads, group: c.group, scale: headDim, divisor: 1 };
  const qkv = paramAxis([heads, heads, heads]);
  const io = paramAxis(segs);
  return {
    type: { ...x, channelAxis: 2, channels: segs },
    attrs: { heads: o.heads, headDim },
    params: {
      in_proj_weight: param(`${c.name}.in_proj_weight`, [3 * D, D], [qkv, io], {
        kind: "xavier",
        fanIn: D,
        fanOut: 3 * D,
      }),
      in_proj_bias: param(`${c.name}.in_proj_bias`, [3 * D], [qkv], zero),
      "out_proj.weight": param(`${c.name}.out_proj.weight`, [D, D], [io, paramAxis([heads])], {
        kind: "xavier",
        fanIn: D,
        fanOut: D,
      }),
      "out_proj.bias": param(`${c.name}.out_proj.bias`, [D], [io], zero),
    },
  };
}

export function embedding(c: OpCtx, idx: ValueType, o: { vocab: number; dim: number }): OpResult {
  if (idx.dtype !== "i64") fail("DType", `embedding expects i64 indices, got ${idx.dtype}`);
  expectPositive([o.vocab, o.dim], "embedding vocabulary and dimension");
  const outSegs = outLayout(o.dim, c.group, c.divisor);
  return {
    type: { dtype: "f32", shape: [...idx.shape, o.dim], channelAxis: idx.shape.length, channels: outSegs },
    attrs: { vocab: o.vocab },
    // N(0, 1), PyTorch's default for nn.Embedding
    params: {
      weight: param(`${c.name}.weight`, [o.vocab, o.dim], [null, paramAxis(outSegs)], { kind: "normal", std: 1 }),
    },
  };
}
