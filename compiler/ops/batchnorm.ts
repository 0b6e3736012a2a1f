// batchnorm: switchable BatchNorm over axis 1 (one row of parameters and statistics per width).
import { float } from "../elaborate/values";
import { batchnorm } from "../ir/ops-dense";
import { lowerBatchnorm } from "../lower/ops-conv";
import { numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchBatchnorm } from "../export/torch/ops";
import { gradBatchnorm } from "../train/grad/norm";

const layer: LayerDef = {
  name: "bn",
  doc: "Batch normalisation over the channel axis. Switchable: one set of statistics per width choice.",
  hasParams: true,
  params: [X, { name: "eps", type: "float", default: float(1e-5) }],
  apply: ({ b, ctx, args }) => b.batchnorm(ctx, tensorArg(args, "x"), { eps: numArg(args, "eps") }),
};

export const batchnormSpec: OpSpec<"batchnorm", { eps: number }> = {
  kind: "batchnorm",
  gradient: gradBatchnorm,
  pytorch: torchBatchnorm,
  summary: "inference-mode BatchNorm over axis 1 with per-width statistics",
  docs: { layers: [layer] },
  shape: (c, [x], o) => batchnorm(c, x, o),
  arity: 1,
  params: ["weight", "bias", "running_mean", "running_var"],
  buffers: ["running_mean", "running_var"],
  verify: (n, t, say) => {
    const w = t.params.get("weight");
    if (w && w[0] !== t.inputs[0].shape[1])
      say(`node '${n.id}': batchnorm size is ${w[0]} but should be ${t.inputs[0].shape[1]}`);
  },
  macs: noMacs, // normalisation is not counted (the usual convention for published figures)
  lower: lowerBatchnorm,
  specialise: keepNode,
  dump: sortedAttrs,
};
