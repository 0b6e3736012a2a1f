// Gradients of shape ops: each moves the output gradient back to the input's layout.
import { attr } from "../../lower/scope";
import { f32, i64, normAxis, num, nums, op1, runtimeCount, staticCount, sumToShape, type GradCtx } from "./ctx";

/** Reshape and flatten: the gradient takes the input's shape back. */
export function gradReshape(c: GradCtx): void {
  if (c.needs(0)) c.grad(0, op1(c, "Reshape", [c.dy(), op1(c, "Shape", [c.x(0)])]));
}

export const gradFlatten = gradReshape;

export function gradTranspose(c: GradCtx): void {
  if (!c.needs(0)) return;
  const perm = nums(c, "perm");
  const inverse = perm.map((_, i) => perm.indexOf(i));
  c.grad(0, op1(c, "Transpose", [c.dy()], [attr.ints("perm", inverse)]));
}

/** Select drops an axis: put it back and pad with zeros around the chosen index. */
export function gradSelect(c: GradCtx): void {
  if (!c.needs(0)) return;
  const shape = c.inType(0).shape;
  const axis = normAxis(num(c, "axis"), shape.length);
  const len = shape[axis];
  if (typeof len !== "number")
    return c.fail(
      `select along an axis of symbolic size '${len}' has no gradient mtl can write; give the axis a fixed size`,
    );
  const index = normAxis(num(c, "index"), len);
  const pads = shape.map(() => 0).concat(shape.map(() => 0));
  pads[axis] = index;
  pads[shape.length + axis] = len - 1 - index;
  const unsq = op1(c, "Unsqueeze", [c.dy(), i64(c, [axis])]);
  c.grad(0, op1(c, "Pad", [unsq, i64(c, pads)]));
}

/** Mean over axes: the gradient spread evenly back over what was averaged. */
export function gradMean(c: GradCtx): void {
  if (!c.needs(0)) return;
  const shape = c.inType(0).shape;
  const axes = nums(c, "axes").map((a) => normAxis(a, shape.length));
  const keep = !(c.node.attrs.keepdims === false || c.node.attrs.keepdims === 0);
  const g = keep
    ? c.dy()
    : op1(c, "Unsqueeze", [
        c.dy(),
        i64(
          c,
          [...axes].sort((a, b) => a - b),
        ),
      ]);
  const count = staticCount(axes.map((a) => shape[a]));
  const scale = count === null ? op1(c, "Div", [runtimeCount(c, c.x(0)), runtimeCount(c, c.y())]) : f32(c, count);
  c.grad(0, op1(c, "Div", [op1(c, "Expand", [g, op1(c, "Shape", [c.x(0)])]), scale]));
}

/** Concat: each input gets its slice of the gradient (summed back over broadcast size-1 axes). */
export function gradConcat(c: GradCtx): void {
  const out = c.outType().shape;
  const axis = normAxis(num(c, "axis"), out.length);
  let start: string = i64(c, [0]);
  let offset: number | null = 0;
  c.node.inputs.forEach((_, i) => {
    const shape = c.inType(i).shape;
    const len = shape[axis];
    let end: string;
    let nextOffset: number | null = null;
    if (typeof len === "number" && offset !== null) {
      nextOffset = offset + len;
      end = i64(c, [nextOffset]);
    } else {
      const size = op1(c, "Shape", [c.x(i)], [attr.int("start", axis), attr.int("end", axis + 1)]);
      end = op1(c, "Add", [start, size]);
    }
    if (c.needs(i)) {
      const piece = op1(c, "Slice", [c.dy(), start, end, i64(c, [axis])]);
      const from = out.map((d, j) => (j === axis ? len : d));
      c.grad(i, sumToShape(c, piece, from, shape));
    }
    start = end;
    offset = nextOffset;
  });
}
