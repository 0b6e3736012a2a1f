// transpose: permutes the axes.
import { transpose } from "../ir/ops-shape";
import { lowerTranspose } from "../lower/ops-shape";
import { intsArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchTranspose } from "../export/torch/ops";
import { gradTranspose } from "../train/grad/shape";

const layer: LayerDef = {
  name: "transpose",
  doc: "Permutes the axes by `perm`.",
  hasParams: false,
  params: [X, { name: "perm", type: "int[]" }],
  apply: ({ b, ctx, args }) => b.transpose(ctx, tensorArg(args, "x"), intsArg(args, "perm")),
};

export const transposeSpec: OpSpec<"transpose", { perm: readonly number[] }> = {
  kind: "transpose",
  gradient: gradTranspose,
  pytorch: torchTranspose,
  summary: "axis permutation",
  docs: { layers: [layer] },
  shape: (_c, [x], { perm }) => transpose(x, perm),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerTranspose,
  specialise: keepNode,
  dump: sortedAttrs,
};
