// reshape: to a target shape; a slim channel axis takes its run-time length.
import type { Dim } from "../ir/types";
import { reshape } from "../ir/ops-shape";
import { lowerReshape } from "../lower/ops-shape";
import { ArgError, intsArg, tensorArg, X, type LayerDef } from "./layer-def";
import { noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchReshape } from "../export/torch/ops";
import { gradReshape } from "../train/grad/shape";

const layer: LayerDef = {
  name: "reshape",
  doc: "Reshape to `shape` (0 keeps that axis' size, -1 infers one axis).",
  hasParams: false,
  params: [X, { name: "shape", type: "int[]" }],
  apply: ({ b, ctx, args }) => {
    const x = tensorArg(args, "x");
    const from = b.type(x).shape;
    const shape = intsArg(args, "shape").map((d, i): Dim => {
      if (d !== 0) return d;
      if (i >= from.length)
        throw new ArgError(
          "shape",
          `\`0\` at position ${i} keeps an axis the input (rank ${from.length}) does not have`,
        );
      return from[i];
    });
    return b.reshape(ctx, x, shape);
  },
};

export const reshapeSpec: OpSpec<"reshape", readonly Dim[]> = {
  kind: "reshape",
  gradient: gradReshape,
  pytorch: torchReshape,
  summary: "reshape to a target shape",
  docs: { layers: [layer] },
  shape: (_c, [x], shape) => reshape(x, shape),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerReshape,
  // The channel axis of the target shape takes the configuration's channel count.
  specialise: (n, s) => {
    const out = s.values.get(n.outputs[0])!.type;
    if (out.channelAxis === null) return n;
    const shape = n.attrs.shape.map((d, i) => (i === out.channelAxis && d !== -1 ? out.shape[i] : d));
    return { ...n, attrs: { ...n.attrs, shape } };
  },
  dump: sortedAttrs,
};
