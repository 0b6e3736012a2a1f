// linear: fully connected over the last axis, weight [out, in] as in PyTorch.
import { sizeAt, typeOf, volume } from "../cost/measure";
import { bool } from "../elaborate/values";
import { linear } from "../ir/ops-dense";
import { lowerLinear } from "../lower/ops-dense";
import { expectAtLeast, flagArg, numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, sortedAttrs, type OpSpec } from "./spec";
import { torchLinear } from "../export/torch/ops";
import { gradLinear } from "../train/grad/dense";

const layer: LayerDef = {
  name: "linear",
  doc: "Fully connected layer over the last axis: `out` features (full width), optional `bias`.",
  hasParams: true,
  params: [X, { name: "out", type: "int" }, { name: "bias", type: "bool", default: bool(true) }],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "out");
    return b.linear(ctx, tensorArg(args, "x"), { out: numArg(args, "out"), bias: flagArg(args, "bias") });
  },
};

export const linearSpec: OpSpec<"linear", { out: number; bias: boolean }> = {
  kind: "linear",
  gradient: gradLinear,
  pytorch: torchLinear,
  summary: "y = x W^T + b over the last axis",
  docs: { layers: [layer] },
  shape: (c, [x], o) => linear(c, x, o),
  arity: 1,
  params: ["weight"],
  optionalParams: ["bias"],
  verify: (n, t, say) => {
    const w = t.params.get("weight");
    const x = t.inputs[0].shape;
    const y = t.output.shape;
    if (!w) return;
    if (w[1] !== x[x.length - 1]) say(`node '${n.id}': weight input size is ${w[1]} but should be ${x[x.length - 1]}`);
    if (w[0] !== y[y.length - 1]) say(`node '${n.id}': weight output size is ${w[0]} but should be ${y[y.length - 1]}`);
  },
  macs: (graph, n, config) => {
    const x = typeOf(graph, n.inputs[0]);
    const y = typeOf(graph, n.outputs[0]);
    const last = x.shape.length - 1;
    return sizeAt(graph, x, last, config) * sizeAt(graph, y, last, config) * volume(graph, x, 1, last, config);
  },
  lower: lowerLinear,
  specialise: keepNode,
  dump: sortedAttrs,
};
