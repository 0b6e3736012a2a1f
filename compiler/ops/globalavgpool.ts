// globalavgpool: [N, C, H, W] -> [N, C, 1, 1].
import { globalAvgPool } from "../ir/ops-spatial";
import { lowerGlobalAvgPool } from "../lower/ops-conv";
import { tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchGlobalAvgPool } from "../export/torch/ops";
import { gradGlobalAvgPool } from "../train/grad/pool";

const layer: LayerDef = {
  name: "gap",
  doc: "Global average pooling: [N, C, H, W] -> [N, C, 1, 1].",
  hasParams: false,
  params: [X],
  apply: ({ b, ctx, args }) => b.globalAvgPool(ctx, tensorArg(args, "x")),
};

export const globalavgpoolSpec: OpSpec<"globalavgpool", void> = {
  kind: "globalavgpool",
  gradient: gradGlobalAvgPool,
  pytorch: torchGlobalAvgPool,
  summary: "global average pooling, keeping the rank",
  docs: { layers: [layer] },
  shape: (_c, [x]) => globalAvgPool(x),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerGlobalAvgPool,
  specialise: keepNode,
  dump: sortedAttrs,
};
