// The pointwise activations (one family, one rule): relu, relu6, gelu, sigmoid, tanh, silu.
import { expectFloat } from "../ir/op-common";
import { lowerElementwise } from "../lower/ops-elementwise";
import { tensorArg, X } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";

type Activation = "relu" | "relu6" | "gelu" | "sigmoid" | "tanh" | "silu";

function activation<K extends Activation>(kind: K, doc: string): OpSpec<K, void> {
  return {
    kind,
    summary: doc,
    docs: {
      layers: [
        {
          name: kind,
          doc,
          hasParams: false,
          params: [X],
          apply: ({ b, ctx, args }) => b.unary(ctx, kind, tensorArg(args, "x")),
        },
      ],
    },
    shape: (_c, [x]) => {
      expectFloat(x, kind);
      return { type: x };
    },
    arity: 1,
    params: [],
    macs: noMacs,
    lower: lowerElementwise,
    specialise: keepNode,
    dump: sortedAttrs,
  };
}

export const reluSpec = activation("relu", "max(x, 0).");
export const relu6Spec = activation("relu6", "min(max(x, 0), 6), as in MobileNetV2.");
export const geluSpec = activation("gelu", "Gaussian error linear unit (exact, erf form).");
export const sigmoidSpec = activation("sigmoid", "1 / (1 + exp(-x)).");
export const tanhSpec = activation("tanh", "Hyperbolic tangent.");
export const siluSpec = activation("silu", "x * sigmoid(x) (swish).");
