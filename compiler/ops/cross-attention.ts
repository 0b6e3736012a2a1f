// cross_attention: queries from the tokens [N, T, D], keys and values from a memory [N, S, D]
// (image features); nn.MultiheadAttention's parameters, slims by heads like `attention`.
import { sizeAt, typeOf } from "../cost/measure";
import { crossAttention } from "../ir/ops-dense";
import { layoutLength } from "../ir/width";
import { lowerCrossAttention } from "../lower/ops-attention";
import { expectAtLeast, numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { sortedAttrs, type OpSpec } from "./spec";
import { specialiseHeads } from "./attention";
import { torchCrossAttention } from "../export/torch/ops";
import { gradCrossAttention } from "../train/grad/cross-attention";

const layer: LayerDef = {
  name: "cross_attention",
  doc:
    "Multi-head cross-attention: queries from x [N, T, D], keys and values from memory [N, S, D] " +
    "(PyTorch nn.MultiheadAttention, batch first, as TransformerDecoderLayer's multihead_attn). Slims by number of heads.",
  hasParams: true,
  params: [X, { name: "memory", type: "tensor" }, { name: "heads", type: "int" }],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "heads");
    return b.crossAttention(ctx, tensorArg(args, "x"), tensorArg(args, "memory"), { heads: numArg(args, "heads") });
  },
};

export const crossAttentionSpec: OpSpec<"cross_attention", { heads: number }> = {
  kind: "cross_attention",
  gradient: gradCrossAttention,
  pytorch: torchCrossAttention,
  summary: "multi-head cross-attention, queries [N, T, D] against a memory [N, S, D]",
  docs: { layers: [layer] },
  shape: (c, [x, memory], o) => crossAttention(c, x, memory, o),
  arity: 2,
  params: ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"],
  // q from T tokens, k and v from S memory positions, the output projection, Q.K^T and A.V.
  macs: (graph, n, config) => {
    const x = typeOf(graph, n.inputs[0]);
    const m = typeOf(graph, n.inputs[1]);
    const T = sizeAt(graph, x, 1, config);
    const S = sizeAt(graph, m, 1, config);
    const D = sizeAt(graph, x, 2, config);
    const w = graph.params.get(n.params["out_proj.weight"])!;
    const inner = w.axes[1] ? layoutLength(graph, w.axes[1], config) : w.shape[1];
    return T * D * inner + 2 * S * D * inner + T * inner * D + 2 * T * S * inner;
  },
  lower: lowerCrossAttention,
  specialise: specialiseHeads,
  dump: sortedAttrs,
};
