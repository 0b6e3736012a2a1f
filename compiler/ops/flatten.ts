// flatten: to 2-D, axes before `axis` and the rest (ONNX Flatten).
import { int } from "../elaborate/values";
import { flatten } from "../ir/ops-shape";
import { lowerFlatten } from "../lower/ops-shape";
import { numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchFlatten } from "../export/torch/ops";
import { gradFlatten } from "../train/grad/shape";

const layer: LayerDef = {
  name: "flatten",
  doc: "Flattens into 2-D: axes before `axis` (default 1) and the rest.",
  hasParams: false,
  params: [X, { name: "axis", type: "int", default: int(1) }],
  apply: ({ b, ctx, args }) => b.flatten(ctx, tensorArg(args, "x"), numArg(args, "axis")),
};

export const flattenSpec: OpSpec<"flatten", { axis: number }> = {
  kind: "flatten",
  gradient: gradFlatten,
  pytorch: torchFlatten,
  summary: "flatten to 2-D",
  docs: { layers: [layer] },
  shape: (_c, [x], { axis }) => flatten(x, axis),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerFlatten,
  specialise: keepNode,
  dump: sortedAttrs,
};
