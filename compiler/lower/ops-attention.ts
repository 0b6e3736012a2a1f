// Multi-head attention, batch first [N, T, D], with PyTorch nn.MultiheadAttention's parameters
// (roles in_proj_weight [3D, D], in_proj_bias [3D], out_proj.weight [D, D], out_proj.bias [D]).
// A slim layer keeps headDim and drops heads: the stacked q/k/v weight is cut piecewise, and
// reshapes use -1 for the head count so that it follows the width at run time.
// - attention: self-attention; `causal` masks every later position (query t sees keys <= t).
// - cross_attention: queries from input 0, keys and values from the memory (input 1).
import { attentionWeights, mergeHeads, project, projectionPart, splitHeads } from "./attention-parts";
import type { NodeCtx } from "./node-ctx";
import { attr } from "./scope";

const bias = (c: NodeCtx, role: string): string | null => (c.hasParam(role) ? c.param(role) : null);

function outProjection(c: NodeCtx, merged: string): void {
  project(c.emit, merged, c.param("out_proj.weight"), bias(c, "out_proj.bias"), c.out());
}

export function lowerAttention(c: NodeCtx): void {
  const { emit: e, lowerer: lw } = c;
  const headDim = c.num("headDim");
  const qkv = project(e, c.in(0), c.param("in_proj_weight"), bias(c, "in_proj_bias")); // [N, T, 3D]
  const split = e.op1("Reshape", [qkv, lw.i64([0, 0, 3, -1, headDim])]); // [N, T, 3, H, hd]
  const heads = e.op1("Transpose", [split], [attr.ints("perm", [2, 0, 3, 1, 4])]); // [3, N, H, T, hd]
  const [q, k, v] = [0, 1, 2].map((i) => e.op1("Gather", [heads, lw.i64([i], [])], [attr.int("axis", 0)]));
  const cached = lw.kvCache?.get(c.node.id);
  if (cached) {
    // Step form: this step's keys and values follow the cached ones of earlier positions.
    const keys = e.op1("Concat", [cached.pastKey, k], [attr.int("axis", 2)], cached.presentKey);
    const values = e.op1("Concat", [cached.pastValue, v], [attr.int("axis", 2)], cached.presentValue);
    const p = attentionWeights(e, q, keys, headDim, c.flag("causal"));
    return outProjection(c, mergeHeads(e, e.op1("MatMul", [p, values])));
  }
  const p = attentionWeights(e, q, k, headDim, c.flag("causal"));
  outProjection(c, mergeHeads(e, e.op1("MatMul", [p, v])));
}

/** The memory's keys and values [N, H, S, hd] of a cross_attention node (named `key`/`value` when given). */
export function lowerCrossMemory(c: NodeCtx, key?: string, value?: string): [string, string] {
  const e = c.emit;
  const headDim = c.num("headDim");
  const w = c.param("in_proj_weight");
  const b = bias(c, "in_proj_bias");
  const part = (i: number, out?: string) => {
    const heads = splitHeads(e, project(e, c.in(1), ...projectionPart(e, w, b, i)), headDim);
    return out === undefined ? heads : e.op1("Identity", [heads], [], out);
  };
  return [part(1, key), part(2, value)];
}

export function lowerCrossAttention(c: NodeCtx): void {
  const e = c.emit;
  const headDim = c.num("headDim");
  const w = c.param("in_proj_weight");
  const b = bias(c, "in_proj_bias");
  const q = splitHeads(e, project(e, c.in(0), ...projectionPart(e, w, b, 0)), headDim);
  // Step form: the encoder graph projected the memory once.
  const cached = c.lowerer.crossCache?.get(c.node.id);
  const [k, v] = cached ? [cached.key, cached.value] : lowerCrossMemory(c);
  const p = attentionWeights(e, q, k, headDim, false);
  outProjection(c, mergeHeads(e, e.op1("MatMul", [p, v])));
}
