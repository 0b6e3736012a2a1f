// Shape ops: concat, reshape, flatten, transpose, select, mean.
import type { NodeCtx } from "./node-ctx";
import { attr } from "./scope";
import { layoutLength, slims } from "./slicing";

export function lowerConcat(c: NodeCtx): void {
  const out = c.outType().shape;
  const axis = c.axis("axis", out.length);
  const ref = c.node.inputs.findIndex((_, i) => c.inType(i).shape.every((d, j) => j === axis || d === out[j]));
  const inputs = c.node.inputs.map((_, i) => {
    const shape = c.inType(i).shape;
    const broadcast = shape.some((d, j) => j !== axis && d === 1 && out[j] !== 1);
    return broadcast && ref >= 0 ? expandLike(c, c.in(i), shape, c.in(ref), axis) : c.in(i);
  });
  c.emit.op("Concat", inputs, [attr.int("axis", axis)], [c.out()]);
}

/** Expands `x`'s size-1 axes to the sizes of `like`, keeping its own size on `axis`. */
function expandLike(c: NodeCtx, x: string, shape: readonly unknown[], like: string, axis: number): string {
  const own = c.emit.op1("Shape", [x]);
  const other = c.emit.op1("Shape", [like]);
  const dims = shape.map((d, j) =>
    c.emit.op1("Gather", [j !== axis && d === 1 ? other : own, c.lowerer.i64([j])], [attr.int("axis", 0)]),
  );
  return c.emit.op1("Expand", [x, c.emit.op1("Concat", dims, [attr.int("axis", 0)])]);
}

/**
 * Reshape's target comes from the output type, not the attribute: the slim channel axis takes
 * its run-time length, a symbolic dimension is copied from the input axis of the same name.
 */
export function lowerReshape(c: NodeCtx): void {
  const out = c.outType();
  const inShape = c.inType(0).shape;
  const lw = c.lowerer;
  const slimAxis = (axis: number) => axis === out.channelAxis && slims(out.channels);
  if (out.shape.every((d, axis) => typeof d === "number" && !slimAxis(axis))) {
    c.emit.op("Reshape", [c.in(0), lw.i64(out.shape as number[])], [], [c.out()]);
    return;
  }
  let unknown = 0;
  const pieces = out.shape.map((d, axis) => {
    if (slimAxis(axis)) return layoutLength(lw, out.channels);
    if (typeof d === "number") return lw.i64([d]);
    const from = inShape.indexOf(d);
    if (from >= 0) return c.emit.op1("Shape", [c.in(0)], [attr.int("start", from), attr.int("end", from + 1)]);
    if (++unknown > 1) throw new Error(`internal: reshape ${c.node.id} has more than one dimension it cannot size`);
    return lw.i64([-1]);
  });
  const shape = c.emit.op1("Concat", pieces, [attr.int("axis", 0)]);
  c.emit.op("Reshape", [c.in(0), shape], [], [c.out()]);
}

export function lowerFlatten(c: NodeCtx): void {
  c.emit.op("Flatten", [c.in(0)], [attr.int("axis", c.axis("axis", c.inType(0).shape.length, 1))], [c.out()]);
}

export function lowerTranspose(c: NodeCtx): void {
  c.emit.op("Transpose", [c.in(0)], [attr.ints("perm", c.nums("perm"))], [c.out()]);
}

/** Picks one index along an axis and drops the axis (e.g. the class token). */
export function lowerSelect(c: NodeCtx): void {
  const rank = c.inType(0).shape.length;
  c.emit.op(
    "Gather",
    [c.in(0), c.lowerer.i64([c.num("index")], [])],
    [attr.int("axis", c.axis("axis", rank))],
    [c.out()],
  );
}

export function lowerMean(c: NodeCtx): void {
  const rank = c.inType(0).shape.length;
  const axes = c.nums("axes").map((a) => (a < 0 ? a + rank : a));
  c.emit.op(
    "ReduceMean",
    [c.in(0)],
    [
      attr.ints("axes", axes),
      attr.int("keepdims", c.node.attrs.keepdims === false || c.node.attrs.keepdims === 0 ? 0 : 1),
    ],
    [c.out()],
  );
}
