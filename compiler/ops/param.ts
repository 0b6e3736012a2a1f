// param: a learned tensor used as a value (class token, positional embedding).
import { float, str } from "../elaborate/values";
import { formatShape, isPositiveInt } from "../ir/dims";
import { outLayout } from "../ir/layout";
import { fail } from "../ir/shape-errors";
import type { InitKind, Param } from "../ir/types";
import { lowerParam } from "../lower/ops-dense";
import { ArgError, intsArg, numArg, textArg, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchParam } from "../export/torch/ops";
import { gradParam } from "../train/grad/dense";

export interface ParamOptions {
  readonly shape: readonly number[];
  readonly init: InitKind;
  readonly channelAxis: number | null;
}

const layer: LayerDef = {
  name: "param",
  doc: 'A learned tensor of `shape` (e.g. a class token or positional embedding), initialised normal(0, `std`) or "zeros".',
  hasParams: true,
  params: [
    { name: "shape", type: "int[]" },
    { name: "init", type: "string", default: str("normal") },
    { name: "std", type: "float", default: float(0.02) },
  ],
  apply: ({ b, ctx, args }) => {
    const shape = intsArg(args, "shape");
    if (shape.some((d) => d < 1)) throw new ArgError("shape", "every dimension of a `param` must be at least 1");
    const init = textArg(args, "init");
    if (init !== "normal" && init !== "zeros")
      throw new ArgError("init", `unknown init "${init}"`, 'use "normal" or "zeros"');
    const kind: InitKind =
      init === "zeros" ? { kind: "const", value: 0 } : { kind: "normal", std: numArg(args, "std") };
    return b.param(ctx, shape, kind, shape.length >= 2 ? shape.length - 1 : null);
  },
};

export const paramSpec: OpSpec<"param", ParamOptions> = {
  kind: "param",
  gradient: gradParam,
  pytorch: torchParam,
  summary: "a parameter as a value; its channel axis slims with the layer's group",
  docs: { layers: [layer] },
  shape: (c, _inputs, { shape, init, channelAxis }) => {
    for (const d of shape)
      if (!isPositiveInt(d)) fail("NonPositiveSize", `parameter '${c.name}' has shape ${formatShape(shape)}`);
    if (channelAxis !== null && (channelAxis < 0 || channelAxis >= shape.length))
      fail("AxisRange", `parameter '${c.name}': channel axis ${channelAxis} is out of range for ${formatShape(shape)}`);
    const channels = channelAxis === null ? [] : outLayout(shape[channelAxis], c.group, c.divisor);
    const axes = shape.map((_, i) => (i === channelAxis && c.group !== null ? channels : null));
    const p: Param = { name: c.name, shape: [...shape], axes, perWidth: null, init };
    return { type: { dtype: "f32", shape: [...shape], channelAxis, channels }, params: { value: p } };
  },
  arity: 0,
  params: ["value"],
  macs: noMacs,
  lower: lowerParam,
  specialise: keepNode,
  dump: sortedAttrs,
};
