// concat: joins values along an axis; along the channel axis the layouts stack.
import { int } from "../elaborate/values";
import { concat } from "../ir/ops-combine";
import { lowerConcat } from "../lower/ops-shape";
import { ArgError, itemsOf, numArg, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchConcat } from "../export/torch/ops";
import { gradConcat } from "../train/grad/shape";

const layer: LayerDef = {
  name: "concat",
  doc: "Concatenates a list of tensors along `axis` (default 1, channels).",
  hasParams: false,
  params: [
    { name: "xs", type: "tensor[]" },
    { name: "axis", type: "int", default: int(1) },
  ],
  apply: ({ b, ctx, args }) => {
    const xs = itemsOf(args.xs).map((x) => (x as { id: string }).id);
    if (!xs.length) throw new ArgError("xs", "`concat` needs at least one tensor");
    return b.concat(ctx, xs, numArg(args, "axis"));
  },
};

export const concatSpec: OpSpec<"concat", { axis: number }> = {
  kind: "concat",
  gradient: gradConcat,
  pytorch: torchConcat,
  summary: "concatenation along an axis",
  docs: { layers: [layer] },
  shape: (_c, xs, { axis }) => concat(xs, axis),
  arity: "variadic",
  params: [],
  macs: noMacs,
  lower: lowerConcat,
  specialise: keepNode,
  dump: sortedAttrs,
};
