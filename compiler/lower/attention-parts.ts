// Pieces shared by the attention lowerings (self, causal, cross, and the cached step form) and
// their gradient rules: heads split and merged, the causal mask, one projection out of the stacked
// q/k/v weight. Every piece emits standard ONNX ops through an Emitter.
import { attr, type Emitter } from "./scope";

/** [N, T, H*hd] -> [N, H, T, hd] (the head count follows the width at run time). */
export function splitHeads(e: Emitter, x: string, headDim: number): string {
  const r = e.op1("Reshape", [x, e.lower.i64([0, 0, -1, headDim])]);
  return e.op1("Transpose", [r], [attr.ints("perm", [0, 2, 1, 3])]);
}

/** [N, H, T, hd] -> [N, T, H*hd]. */
export function mergeHeads(e: Emitter, x: string): string {
  const t = e.op1("Transpose", [x], [attr.ints("perm", [0, 2, 1, 3])]);
  return e.op1("Reshape", [t, e.lower.i64([0, 0, -1])]);
}

const scalarDim = (e: Emitter, x: string, axis: number): string =>
  e.op1("Squeeze", [e.op1("Shape", [x], [attr.int("start", axis), attr.int("end", axis + 1)]), e.lower.i64([0])]);

/**
 * The additive causal mask [Tq, Tk] for queries q [N, H, Tq, hd] against keys k [N, H, Tk, hd]:
 * query i sits at position Tk - Tq + i (the last Tq positions, so that with cached keys of
 * earlier positions the new queries come last), and -inf hides every key after it.
 */
export function causalMask(e: Emitter, q: string, k: string): string {
  const lw = e.lower;
  const tq = scalarDim(e, q, 2);
  const tk = scalarDim(e, k, 2);
  const one = lw.i64([1], []);
  const kpos = e.op1("Range", [lw.i64([0], []), tk, one]);
  const qpos = e.op1("Range", [e.op1("Sub", [tk, tq]), tk, one]);
  const future = e.op1("Greater", [e.op1("Unsqueeze", [kpos, lw.i64([0])]), e.op1("Unsqueeze", [qpos, lw.i64([1])])]);
  return e.op1("Where", [future, lw.f32([-Infinity]), lw.f32([0])]);
}

/** Softmax attention weights [N, H, Tq, Tk] of q against k, scaled, masked when causal. */
export function attentionWeights(e: Emitter, q: string, k: string, headDim: number, causal: boolean): string {
  const kt = e.op1("Transpose", [k], [attr.ints("perm", [0, 1, 3, 2])]);
  let scores = e.op1("Mul", [e.op1("MatMul", [q, kt]), e.lower.f32([1 / Math.sqrt(headDim)])]);
  if (causal) scores = e.op1("Add", [scores, causalMask(e, q, k)]);
  return e.op1("Softmax", [scores], [attr.int("axis", -1)]);
}

/**
 * Part `i` (0 q, 1 k, 2 v) of the stacked in_proj weight [3D', D] and bias [3D'], cut to the
 * configuration already: each part is a third of the rows.
 */
export function projectionPart(e: Emitter, weight: string, bias: string | null, i: number): [string, string | null] {
  const lw = e.lower;
  const cols = e.op1("Shape", [weight], [attr.int("start", 1)]);
  const w3 = e.op1("Reshape", [weight, e.op1("Concat", [lw.i64([3, -1]), cols], [attr.int("axis", 0)])]);
  const w = e.op1("Gather", [w3, lw.i64([i], [])], [attr.int("axis", 0)]);
  if (bias === null) return [w, null];
  const b3 = e.op1("Reshape", [bias, lw.i64([3, -1])]);
  return [w, e.op1("Gather", [b3, lw.i64([i], [])], [attr.int("axis", 0)])];
}

/** x [N, T, D] times weight^T [D, D'] plus bias. */
export function project(e: Emitter, x: string, weight: string, bias: string | null, out?: string): string {
  const y = e.op1("MatMul", [x, e.op1("Transpose", [weight], [attr.ints("perm", [1, 0])])], [], bias ? undefined : out);
  return bias === null ? y : e.op1("Add", [y, bias], [], out);
}
