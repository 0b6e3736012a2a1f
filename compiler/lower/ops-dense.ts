// Dense ops over the last axis: linear, layernorm, embedding, parameters as values.
import type { NodeCtx } from "./node-ctx";
import { attr } from "./scope";

/** y = x W^T + b with W stored [out, in] as in PyTorch (so checkpoints load by name). */
export function lowerLinear(c: NodeCtx): void {
  const w = c.param("weight");
  const bias = c.hasParam("bias") ? [c.param("bias")] : [];
  if (c.inType(0).shape.length === 2) {
    c.emit.op("Gemm", [c.in(0), w, ...bias], [attr.int("transB", 1)], [c.out()]);
    return;
  }
  const wt = c.emit.op1("Transpose", [w], [attr.ints("perm", [1, 0])]);
  if (bias.length === 0) return void c.emit.op("MatMul", [c.in(0), wt], [], [c.out()]);
  const y = c.emit.op1("MatMul", [c.in(0), wt]);
  c.emit.op("Add", [y, bias[0]], [], [c.out()]);
}

/** Normalises over the (possibly slim) last axis: a slim layer uses its own statistics. */
export function lowerLayernorm(c: NodeCtx): void {
  const inputs = [c.in(0), c.param("weight"), ...(c.hasParam("bias") ? [c.param("bias")] : [])];
  c.emit.op("LayerNormalization", inputs, [attr.int("axis", -1), attr.float("epsilon", c.num("eps", 1e-5))], [c.out()]);
}

export function lowerEmbedding(c: NodeCtx): void {
  c.emit.op("Gather", [c.param("weight"), c.in(0)], [attr.int("axis", 0)], [c.out()]);
}

/** A parameter used as a value (class token, positional embedding): its only parameter, cut. */
export function lowerParam(c: NodeCtx): void {
  const roles = Object.keys(c.node.params);
  if (roles.length !== 1) throw new Error(`internal: param node ${c.node.id} must name exactly one parameter`);
  c.emit.op("Identity", [c.param(roles[0])], [], [c.out()]);
}
