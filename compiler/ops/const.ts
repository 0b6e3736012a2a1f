// const: a scalar f32 constant, from a number in arithmetic with a tensor (`x * 0.5`).
import { lowerConst } from "../lower/ops-elementwise";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchConst } from "../export/torch/ops";
import { gradConst } from "../train/grad/elementwise";

export const constSpec: OpSpec<"const", { value: number }> = {
  kind: "const",
  gradient: gradConst,
  pytorch: torchConst,
  summary: "a scalar f32 constant",
  docs: { mention: "a number becomes a scalar constant" },
  shape: (_c, _inputs, { value }) => ({
    type: { dtype: "f32", shape: [], channelAxis: null, channels: [] },
    attrs: { value },
  }),
  arity: 0,
  params: [],
  macs: noMacs,
  lower: lowerConst,
  specialise: keepNode,
  dump: sortedAttrs,
};
