// The op registry: every IR op kind's spec. `satisfies` makes a missing or misnamed entry a type
// error while keeping each spec's own option types for the builder.
import type { OpKind } from "../ir/types";
import { reluSpec, relu6Spec, geluSpec, sigmoidSpec, tanhSpec, siluSpec } from "./activations";
import { addSpec, subSpec, mulSpec, divSpec } from "./arithmetic";
import { attentionSpec } from "./attention";
import { crossAttentionSpec } from "./cross-attention";
import { batchnormSpec } from "./batchnorm";
import { concatSpec } from "./concat";
import { constSpec } from "./const";
import { convSpec } from "./conv";
import { embeddingSpec } from "./embedding";
import { flattenSpec } from "./flatten";
import { globalavgpoolSpec } from "./globalavgpool";
import { groupnormSpec } from "./groupnorm";
import { identitySpec } from "./identity";
import { layernormSpec } from "./layernorm";
import { linearSpec } from "./linear";
import { meanSpec } from "./mean";
import { paramSpec } from "./param";
import { maxpoolSpec, avgpoolSpec } from "./pool";
import { reshapeSpec } from "./reshape";
import { resizeSpec } from "./resize";
import { selectSpec } from "./select";
import { softmaxSpec } from "./softmax";
import type { OpSpec } from "./spec";
import { transposeSpec } from "./transpose";

export const OPS = {
  conv: convSpec,
  linear: linearSpec,
  batchnorm: batchnormSpec,
  layernorm: layernormSpec,
  groupnorm: groupnormSpec,
  relu: reluSpec,
  relu6: relu6Spec,
  gelu: geluSpec,
  sigmoid: sigmoidSpec,
  tanh: tanhSpec,
  silu: siluSpec,
  identity: identitySpec,
  softmax: softmaxSpec,
  maxpool: maxpoolSpec,
  avgpool: avgpoolSpec,
  globalavgpool: globalavgpoolSpec,
  resize: resizeSpec,
  concat: concatSpec,
  add: addSpec,
  sub: subSpec,
  mul: mulSpec,
  div: divSpec,
  reshape: reshapeSpec,
  flatten: flattenSpec,
  transpose: transposeSpec,
  select: selectSpec,
  mean: meanSpec,
  attention: attentionSpec,
  cross_attention: crossAttentionSpec,
  embedding: embeddingSpec,
  param: paramSpec,
  const: constSpec,
} as const satisfies { readonly [K in OpKind]: OpSpec<K, never> };

/** The options a kind's shape rule takes (what a layer passes to `GraphBuilder.op`). */
export type OpOptions<K extends OpKind> = Parameters<(typeof OPS)[K]["shape"]>[2];

/** Every op kind, in registry order. */
export const OP_KINDS = Object.keys(OPS) as OpKind[];

/** A kind's spec with its types widened, for code that handles any node. */
export function specOf(kind: OpKind): OpSpec<OpKind, never> {
  if (!Object.hasOwn(OPS, kind)) throw new Error(`internal: no op spec for '${kind}'`);
  return OPS[kind] as OpSpec<OpKind, never>;
}

export type { OpSpec } from "./spec";
