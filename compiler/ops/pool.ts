// maxpool and avgpool: sliding-window pooling over NCHW (one family, one rule).
import { int } from "../elaborate/values";
import { pool, type PoolOptions } from "../ir/ops-spatial";
import { lowerPool } from "../lower/ops-conv";
import { expectAtLeast, pairArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, type OpSpec } from "./spec";
import { windowWords } from "./window";
import { torchPool } from "../export/torch/ops";
import type { GradRule } from "../train/grad/ctx";
import { gradAvgPool, gradMaxPool } from "../train/grad/pool";

function poolLayer(op: "maxpool" | "avgpool"): LayerDef {
  return {
    name: op,
    doc: `${op === "maxpool" ? "Max" : "Average"} pooling over NCHW with kernel \`k\`, \`stride\` (default: k) and \`pad\`.`,
    hasParams: false,
    params: [
      X,
      { name: "k", type: "int|int[]" },
      { name: "stride", type: "int|int[]", default: int(0) },
      { name: "pad", type: "int|int[]", default: int(0) },
    ],
    apply: ({ b, ctx, args }) => {
      expectAtLeast(args, "k");
      const kernel = pairArg(args, "k");
      const stride = pairArg(args, "stride");
      const [ph, pw] = pairArg(args, "pad");
      return b.pool(ctx, op, tensorArg(args, "x"), {
        kernel,
        stride: stride[0] === 0 ? kernel : stride,
        pads: [ph, pw, ph, pw],
      });
    },
  };
}

function poolSpec<K extends "maxpool" | "avgpool">(
  kind: K,
  summary: string,
  gradient: GradRule,
): OpSpec<K, PoolOptions> {
  return {
    kind,
    gradient,
    pytorch: torchPool,
    summary,
    docs: { layers: [poolLayer(kind)] },
    shape: (_c, [x], o) => pool(kind, x, o),
    arity: 1,
    params: [],
    macs: noMacs,
    lower: lowerPool,
    specialise: keepNode,
    dump: (n) => windowWords(n.attrs),
  };
}

export const maxpoolSpec = poolSpec("maxpool", "max pooling over NCHW", gradMaxPool);
export const avgpoolSpec = poolSpec("avgpool", "average pooling over NCHW (padding counted, as PyTorch)", gradAvgPool);
