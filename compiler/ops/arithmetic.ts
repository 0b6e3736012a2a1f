// add, sub, mul, div: elementwise arithmetic with broadcasting (one family, one rule). `add` and
// `mul` are layers; all four come from the operators `+ - * /` on tensors.
import { binary } from "../ir/ops-combine";
import { lowerElementwise } from "../lower/ops-elementwise";
import { tensorArg, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpDocs, type OpSpec } from "./spec";
import { torchAdd, torchDiv, torchMul, torchSub, type TorchOp } from "../export/torch/ops";
import type { GradRule } from "../train/grad/ctx";
import { gradAdd, gradDiv, gradMul, gradSub } from "../train/grad/elementwise";

type Arithmetic = "add" | "sub" | "mul" | "div";

function layer(op: "add" | "mul"): LayerDef {
  return {
    name: op,
    doc: `Elementwise ${op === "add" ? "sum" : "product"} with broadcasting (same as \`${op === "add" ? "a + b" : "a * b"}\`).`,
    hasParams: false,
    params: [
      { name: "a", type: "tensor" },
      { name: "b", type: "tensor" },
    ],
    apply: ({ b, ctx, args }) => b.binary(ctx, op, tensorArg(args, "a"), tensorArg(args, "b")),
  };
}

function arithmeticSpec<K extends Arithmetic>(
  kind: K,
  docs: OpDocs,
  gradient: GradRule,
  pytorch: TorchOp,
): OpSpec<K, void> {
  return {
    kind,
    gradient,
    pytorch,
    summary: `elementwise ${kind} with broadcasting`,
    docs,
    shape: (_c, [a, b]) => binary(kind, a, b),
    arity: 2,
    params: [],
    macs: noMacs, // elementwise ops are not counted
    lower: lowerElementwise,
    specialise: keepNode,
    dump: sortedAttrs,
  };
}

// The operator table of docs/language.md names the ops without a layer of their own.
export const addSpec = arithmeticSpec("add", { layers: [layer("add")] }, gradAdd, torchAdd);
export const subSpec = arithmeticSpec("sub", { mention: "(`add`, `sub`, `mul`, `div`)" }, gradSub, torchSub);
export const mulSpec = arithmeticSpec("mul", { layers: [layer("mul")] }, gradMul, torchMul);
export const divSpec = arithmeticSpec("div", { mention: "(`add`, `sub`, `mul`, `div`)" }, gradDiv, torchDiv);
