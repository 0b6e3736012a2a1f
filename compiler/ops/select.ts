// select: one position along an axis, dropping the axis (the class token).
import { select } from "../ir/ops-shape";
import { lowerSelect } from "../lower/ops-shape";
import { numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchSelect } from "../export/torch/ops";
import { gradSelect } from "../train/grad/shape";

const layer: LayerDef = {
  name: "select",
  doc: "Takes position `index` along `axis`, dropping that axis (e.g. the class token: `select(x, axis: 1, index: 0)`).",
  hasParams: false,
  params: [X, { name: "axis", type: "int" }, { name: "index", type: "int" }],
  apply: ({ b, ctx, args }) => b.select(ctx, tensorArg(args, "x"), numArg(args, "axis"), numArg(args, "index")),
};

export const selectSpec: OpSpec<"select", { axis: number; index: number }> = {
  kind: "select",
  gradient: gradSelect,
  pytorch: torchSelect,
  summary: "one position along an axis, the axis dropped",
  docs: { layers: [layer] },
  shape: (_c, [x], { axis, index }) => select(x, axis, index),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerSelect,
  specialise: keepNode,
  dump: sortedAttrs,
};
