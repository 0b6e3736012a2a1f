// layernorm: LayerNorm over the last axis; its parameters slim with that axis.
import { float } from "../elaborate/values";
import { layernorm } from "../ir/ops-dense";
import { lowerLayernorm } from "../lower/ops-dense";
import { numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchLayernorm } from "../export/torch/ops";
import { gradLayernorm } from "../train/grad/norm";

const layer: LayerDef = {
  name: "layernorm",
  doc: "Layer normalisation over the last axis.",
  hasParams: true,
  params: [X, { name: "eps", type: "float", default: float(1e-5) }],
  apply: ({ b, ctx, args }) => b.layernorm(ctx, tensorArg(args, "x"), { eps: numArg(args, "eps") }),
};

export const layernormSpec: OpSpec<"layernorm", { eps: number }> = {
  kind: "layernorm",
  gradient: gradLayernorm,
  pytorch: torchLayernorm,
  summary: "LayerNorm over the last axis",
  docs: { layers: [layer] },
  shape: (c, [x], o) => layernorm(c, x, o),
  arity: 1,
  params: ["weight", "bias"],
  macs: noMacs,
  lower: lowerLayernorm,
  specialise: keepNode,
  dump: sortedAttrs,
};
