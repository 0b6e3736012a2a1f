// identity: what `dropout` is at inference.
import { float } from "../elaborate/values";
import { expectFloat } from "../ir/op-common";
import { lowerElementwise } from "../lower/ops-elementwise";
import { tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchIdentity } from "../export/torch/ops";
import { gradIdentity } from "../train/grad/elementwise";

const dropout: LayerDef = {
  name: "dropout",
  doc: "Identity at inference (kept so that models read like their training code).",
  hasParams: false,
  params: [X, { name: "p", type: "float", default: float(0) }],
  apply: ({ b, ctx, args }) => b.unary(ctx, "identity", tensorArg(args, "x")),
};

export const identitySpec: OpSpec<"identity", void> = {
  kind: "identity",
  gradient: gradIdentity,
  pytorch: torchIdentity,
  summary: "the input unchanged",
  docs: { layers: [dropout] },
  shape: (_c, [x]) => {
    expectFloat(x, "identity");
    return { type: x };
  },
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerElementwise,
  specialise: keepNode,
  dump: sortedAttrs,
};
