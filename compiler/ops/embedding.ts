// embedding: int64 ids to vectors from a [vocab, dim] table.
import { embedding } from "../ir/ops-dense";
import { lowerEmbedding } from "../lower/ops-dense";
import { expectAtLeast, numArg, tensorArg, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchEmbedding } from "../export/torch/ops";
import { gradEmbedding } from "../train/grad/dense";

const layer: LayerDef = {
  name: "embedding",
  doc: "Looks up int64 token ids in a [vocab, dim] table.",
  hasParams: true,
  params: [
    { name: "ids", type: "tensor" },
    { name: "vocab", type: "int" },
    { name: "dim", type: "int" },
  ],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "vocab");
    expectAtLeast(args, "dim");
    return b.embedding(ctx, tensorArg(args, "ids"), { vocab: numArg(args, "vocab"), dim: numArg(args, "dim") });
  },
};

export const embeddingSpec: OpSpec<"embedding", { vocab: number; dim: number }> = {
  kind: "embedding",
  gradient: gradEmbedding,
  pytorch: torchEmbedding,
  summary: "table lookup of int64 ids",
  docs: { layers: [layer] },
  shape: (c, [ids], o) => embedding(c, ids, o),
  arity: 1,
  params: ["weight"],
  macs: noMacs, // a lookup, no multiply-accumulates
  lower: lowerEmbedding,
  specialise: keepNode,
  dump: sortedAttrs,
};
