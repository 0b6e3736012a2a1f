// attention: batch-first multi-head self-attention (nn.MultiheadAttention); slims by heads.
import { bool } from "../elaborate/values";
import { sizeAt, typeOf } from "../cost/measure";
import { attention } from "../ir/ops-dense";
import { channelsAt, layoutLength, widthOf } from "../ir/width";
import { lowerAttention } from "../lower/ops-attention";
import { expectAtLeast, flagArg, numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { sortedAttrs, type OpSpec, type SpecialiseCtx } from "./spec";
import type { Node, TypedNode } from "../ir/types";
import { torchAttention } from "../export/torch/ops";
import { gradAttention } from "../train/grad/attention";

const layer: LayerDef = {
  name: "attention",
  doc:
    "Multi-head self-attention over [N, T, D] (PyTorch nn.MultiheadAttention, batch first). Slims by number of heads. " +
    "`causal: true` lets position t attend to positions <= t only (a decoder's self-attention).",
  hasParams: true,
  params: [X, { name: "heads", type: "int" }, { name: "causal", type: "bool", default: bool(false) }],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "heads");
    return b.attention(ctx, tensorArg(args, "x"), { heads: numArg(args, "heads"), causal: flagArg(args, "causal") });
  },
};

/** Self- and cross-attention specialised: the number of heads follows the configuration (out_proj's input axis). */
export function specialiseHeads<K extends "attention" | "cross_attention">(n: TypedNode<K>, s: SpecialiseCtx): Node {
  const w = s.graph.params.get(n.params["out_proj.weight"])!;
  const heads = w.axes[1]
    ? channelsAt(w.axes[1][0].max, widthOf(s.graph, w.axes[1][0].group, s.config), 1)
    : n.attrs.heads;
  return { ...n, attrs: { ...n.attrs, heads } };
}

export const attentionSpec: OpSpec<"attention", { heads: number; causal?: boolean }> = {
  kind: "attention",
  gradient: gradAttention,
  pytorch: torchAttention,
  summary: "multi-head self-attention, batch first [N, T, D]",
  docs: { layers: [layer] },
  shape: (c, [x], o) => attention(c, x, o),
  arity: 1,
  params: ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"],
  // Projections (q, k, v and out) plus Q.K^T and A.V.
  macs: (graph, n, config) => {
    const x = typeOf(graph, n.inputs[0]);
    const T = sizeAt(graph, x, 1, config);
    const D = sizeAt(graph, x, 2, config);
    const w = graph.params.get(n.params["out_proj.weight"])!;
    const inner = w.axes[1] ? layoutLength(graph, w.axes[1], config) : w.shape[1];
    return T * D * 3 * inner + T * inner * D + 2 * T * T * inner;
  },
  lower: lowerAttention,
  specialise: specialiseHeads,
  dump: sortedAttrs,
};
