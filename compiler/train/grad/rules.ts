// One gradient rule per IR op kind: a missing rule is a type error.
import type { OpKind } from "../../ir/types";
import { gradAttention } from "./attention";
import { gradConv } from "./conv";
import type { GradRule } from "./ctx";
import { gradEmbedding, gradLinear, gradParam } from "./dense";
import {
  gradAdd,
  gradConst,
  gradDiv,
  gradGelu,
  gradIdentity,
  gradMul,
  gradRelu,
  gradRelu6,
  gradSigmoid,
  gradSilu,
  gradSoftmax,
  gradSub,
  gradTanh,
} from "./elementwise";
import { gradBatchnorm, gradGroupnorm, gradLayernorm } from "./norm";
import { gradAvgPool, gradGlobalAvgPool, gradMaxPool } from "./pool";
import { gradResize } from "./resize";
import { gradConcat, gradFlatten, gradMean, gradReshape, gradSelect, gradTranspose } from "./shape";

export const GRAD_RULES: Readonly<Record<OpKind, GradRule>> = {
  conv: gradConv,
  linear: gradLinear,
  batchnorm: gradBatchnorm,
  layernorm: gradLayernorm,
  groupnorm: gradGroupnorm,
  relu: gradRelu,
  relu6: gradRelu6,
  gelu: gradGelu,
  sigmoid: gradSigmoid,
  tanh: gradTanh,
  silu: gradSilu,
  identity: gradIdentity,
  softmax: gradSoftmax,
  maxpool: gradMaxPool,
  avgpool: gradAvgPool,
  globalavgpool: gradGlobalAvgPool,
  resize: gradResize,
  concat: gradConcat,
  add: gradAdd,
  sub: gradSub,
  mul: gradMul,
  div: gradDiv,
  reshape: gradReshape,
  flatten: gradFlatten,
  transpose: gradTranspose,
  select: gradSelect,
  mean: gradMean,
  attention: gradAttention,
  embedding: gradEmbedding,
  param: gradParam,
  const: gradConst,
};
