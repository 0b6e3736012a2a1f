// What a gradient rule sees of its IR node in the training graph: the forward values (ONNX names),
// the gradient of its output, which inputs and parameters want gradients, and sinks for the
// gradients it computes. A rule emits standard ONNX ops only (onnxruntime-node's inference build
// has no training ops) and reports what it cannot express through `fail`, never a silent zero.
import type { Dim, Node, ValueType } from "../../ir/types";
import type { OnnxAttribute } from "../../onnx/model";
import { attr, type Emitter, type Lowerer } from "../../lower/scope";

export interface GradCtx {
  readonly node: Node;
  readonly emit: Emitter;
  readonly lowerer: Lowerer;
  /** Forward value names. */
  x(i: number): string;
  y(): string;
  inType(i: number): ValueType;
  outType(): ValueType;
  /** Gradient of the loss with respect to the node's output (same shape as the output). */
  dy(): string;
  /** Whether input i needs a gradient (false for data inputs and values no parameter reaches). */
  needs(i: number): boolean;
  /** Whether the parameter in `role` is trained (it is a graph input of the training graph). */
  needsParam(role: string): boolean;
  hasParam(role: string): boolean;
  /** The parameter in `role` as used by the forward pass (cut to the configuration). */
  param(role: string): string;
  /**
   * A relu whose output only a max-pool reads (and no loss): the pool applies the relu's mask to
   * its pooled gradient (`masksRelu`), and the relu passes its gradient through (`maskedByPool`).
   */
  readonly masksRelu?: boolean;
  readonly maskedByPool?: boolean;
  /** onnxruntime's channel block for convs on its blocked kernels (../nchwc.ts); 0 or absent: off. */
  readonly nchwcBlock?: number;
  /** A value the training forward kept for this node (e.g. max-pool indices, batch statistics). */
  saved(key: string): string | undefined;
  grad(i: number, value: string): void;
  paramGrad(role: string, value: string): void;
  /** Reports that this node's gradient cannot be written (a diagnostic at its source line). */
  fail(message: string): void;
}

export type GradRule = (c: GradCtx) => void;

// Attribute access, as the lowering reads them.
export function nums(c: { readonly node: Node }, name: string, fallback?: readonly number[]): number[] {
  const v = c.node.attrs[name] ?? fallback;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number"))
    throw new Error(`internal: attribute ${name} of ${c.node.id} is not a number list`);
  return v as number[];
}
export function num(c: GradCtx, name: string, fallback?: number): number {
  const v = c.node.attrs[name] ?? fallback;
  if (typeof v !== "number") throw new Error(`internal: attribute ${name} of ${c.node.id} is not a number`);
  return v;
}
export const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

// Small emission helpers shared by the rules.
export const op1 = (
  c: GradCtx,
  type: string,
  inputs: readonly string[],
  attrs: readonly OnnxAttribute[] = [],
): string => c.emit.op1(type, inputs, attrs);
export const f32 = (c: GradCtx, v: number): string => c.lowerer.f32([v]);
export const i64 = (c: GradCtx, v: readonly number[]): string => c.lowerer.i64(v);

export const reduceSum = (c: GradCtx, x: string, axes: readonly number[], keepdims: boolean): string =>
  op1(c, "ReduceSum", [x, i64(c, axes)], [attr.int("keepdims", keepdims ? 1 : 0)]);

/** Product of static dims, or null when one is symbolic. */
export function staticCount(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

/**
 * Sums a gradient of broadcast shape `from` down to an operand of shape `to` (numpy broadcasting):
 * leading axes the operand lacks are summed away, axes where it has size 1 are summed and kept.
 */
export function sumToShape(c: GradCtx, g: string, from: readonly Dim[], to: readonly Dim[]): string {
  const lead = from.length - to.length;
  let out = g;
  if (lead > 0)
    out = reduceSum(
      c,
      out,
      Array.from({ length: lead }, (_, i) => i),
      false,
    );
  const kept = to.flatMap((d, i) => (d === 1 && from[lead + i] !== 1 ? [i] : []));
  if (kept.length > 0) out = reduceSum(c, out, kept, true);
  return out;
}

/** Float element count of a value at run time (Size, cast), for means over symbolic batch sizes. */
export const runtimeCount = (c: GradCtx, x: string): string =>
  op1(c, "Cast", [op1(c, "Size", [x])], [attr.int("to", 1)]);
