// mean over axes.
import { bool } from "../elaborate/values";
import { mean } from "../ir/ops-shape";
import { lowerMean } from "../lower/ops-shape";
import { flagArg, intsArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchMean } from "../export/torch/ops";
import { gradMean } from "../train/grad/shape";

const layer: LayerDef = {
  name: "mean",
  doc: "Mean over `axes`, keeping them as size 1 when `keepdims`.",
  hasParams: false,
  params: [X, { name: "axes", type: "int[]" }, { name: "keepdims", type: "bool", default: bool(false) }],
  apply: ({ b, ctx, args }) => b.mean(ctx, tensorArg(args, "x"), intsArg(args, "axes"), flagArg(args, "keepdims")),
};

export const meanSpec: OpSpec<"mean", { axes: readonly number[]; keepdims: boolean }> = {
  kind: "mean",
  gradient: gradMean,
  pytorch: torchMean,
  summary: "mean over axes",
  docs: { layers: [layer] },
  shape: (_c, [x], { axes, keepdims }) => mean(x, axes, keepdims),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerMean,
  specialise: keepNode,
  dump: sortedAttrs,
};
