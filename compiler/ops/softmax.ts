// softmax along one axis.
import { int } from "../elaborate/values";
import { expectFloat } from "../ir/op-common";
import { softmax } from "../ir/ops-shape";
import { lowerElementwise } from "../lower/ops-elementwise";
import { numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchSoftmax } from "../export/torch/ops";
import { gradSoftmax } from "../train/grad/elementwise";

const layer: LayerDef = {
  name: "softmax",
  doc: "Softmax along `axis` (default: last).",
  hasParams: false,
  params: [X, { name: "axis", type: "int", default: int(-1) }],
  apply: ({ b, ctx, args }) => b.softmax(ctx, tensorArg(args, "x"), numArg(args, "axis")),
};

export const softmaxSpec: OpSpec<"softmax", { axis: number }> = {
  kind: "softmax",
  gradient: gradSoftmax,
  pytorch: torchSoftmax,
  summary: "softmax along an axis",
  docs: { layers: [layer] },
  shape: (_c, [x], { axis }) => {
    expectFloat(x, "softmax");
    return softmax(x, axis);
  },
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerElementwise,
  specialise: keepNode,
  dump: sortedAttrs,
};
