// The op registry: one lowering per IR op kind.
import type { Node, OpKind } from "../ir/types";
import { NodeCtx } from "./node-ctx";
import { lowerAttention } from "./ops-attention";
import { lowerBatchnorm, lowerConv, lowerGlobalAvgPool, lowerPool, lowerResize } from "./ops-conv";
import { lowerEmbedding, lowerLayernorm, lowerLinear, lowerParam } from "./ops-dense";
import { lowerConst, lowerElementwise } from "./ops-elementwise";
import { lowerConcat, lowerFlatten, lowerMean, lowerReshape, lowerSelect, lowerTranspose } from "./ops-shape";
import { Emitter, type Scope } from "./scope";

type Lowering = (c: NodeCtx) => void;

const LOWERINGS: Readonly<Record<OpKind, Lowering>> = {
  conv: lowerConv,
  batchnorm: lowerBatchnorm,
  maxpool: lowerPool,
  avgpool: lowerPool,
  globalavgpool: lowerGlobalAvgPool,
  resize: lowerResize,
  linear: lowerLinear,
  layernorm: lowerLayernorm,
  embedding: lowerEmbedding,
  param: lowerParam,
  attention: lowerAttention,
  relu: lowerElementwise,
  relu6: lowerElementwise,
  gelu: lowerElementwise,
  sigmoid: lowerElementwise,
  tanh: lowerElementwise,
  silu: lowerElementwise,
  identity: lowerElementwise,
  softmax: lowerElementwise,
  add: lowerElementwise,
  sub: lowerElementwise,
  mul: lowerElementwise,
  div: lowerElementwise,
  const: lowerConst,
  concat: lowerConcat,
  reshape: lowerReshape,
  flatten: lowerFlatten,
  transpose: lowerTranspose,
  select: lowerSelect,
  mean: lowerMean,
};

/** Lowers one IR node into a scope; helper nodes are named and documented after it. */
export function lowerNode(scope: Scope, node: Node): void {
  const doc = `${node.source.file}:${node.source.line}:${node.source.col}`;
  LOWERINGS[node.op](new NodeCtx(new Emitter(scope, node.id, doc), node));
}
