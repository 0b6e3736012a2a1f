// The pointwise activations (one family, one rule): relu, relu6, gelu, sigmoid, tanh, silu.
import { expectFloat } from "../ir/op-common";
import { lowerElementwise } from "../lower/ops-elementwise";
import { tensorArg, X } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import {
  torchGelu,
  torchRelu,
  torchRelu6,
  torchSigmoid,
  torchSilu,
  torchTanh,
  type TorchOp,
} from "../export/torch/ops";
import type { GradRule } from "../train/grad/ctx";
import { gradGelu, gradRelu, gradRelu6, gradSigmoid, gradSilu, gradTanh } from "../train/grad/elementwise";

type Activation = "relu" | "relu6" | "gelu" | "sigmoid" | "tanh" | "silu";

function activation<K extends Activation>(kind: K, doc: string, gradient: GradRule, pytorch: TorchOp): OpSpec<K, void> {
  return {
    kind,
    gradient,
    pytorch,
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

export const reluSpec = activation("relu", "max(x, 0).", gradRelu, torchRelu);
export const relu6Spec = activation("relu6", "min(max(x, 0), 6), as in MobileNetV2.", gradRelu6, torchRelu6);
export const geluSpec = activation("gelu", "Gaussian error linear unit (exact, erf form).", gradGelu, torchGelu);
export const sigmoidSpec = activation("sigmoid", "1 / (1 + exp(-x)).", gradSigmoid, torchSigmoid);
export const tanhSpec = activation("tanh", "Hyperbolic tangent.", gradTanh, torchTanh);
export const siluSpec = activation("silu", "x * sigmoid(x) (swish).", gradSilu, torchSilu);
