// Gradients of elementwise ops: activations (as the forward lowering computes them), softmax,
// arithmetic with numpy broadcasting, scalar constants.
import { attr } from "../../lower/scope";
import { f32, normAxis, num, op1, reduceSum, sumToShape, type GradCtx } from "./ctx";

/**
 * dx = dy where y > 0, as PyTorch's relu backward; the mask as a float times dy (onnxruntime's
 * Where with a scalar operand is about twice as slow, its Sign is not vectorised).
 */
export function gradRelu(c: GradCtx): void {
  if (!c.needs(0)) return;
  if (c.maskedByPool) return c.grad(0, c.dy());
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Cast", [op1(c, "Greater", [c.y(), f32(c, 0)])], [attr.int("to", 1)])]));
}

/** Clip(0, 6): the gradient passes strictly inside (0, 6), as PyTorch's hardtanh backward. */
export function gradRelu6(c: GradCtx): void {
  if (!c.needs(0)) return;
  const inside = op1(c, "And", [op1(c, "Greater", [c.x(0), f32(c, 0)]), op1(c, "Less", [c.x(0), f32(c, 6)])]);
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Cast", [inside], [attr.int("to", 1)])]));
}

/** dx = dy * y * (1 - y). */
export function gradSigmoid(c: GradCtx): void {
  if (!c.needs(0)) return;
  const y = c.y();
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Mul", [y, op1(c, "Sub", [f32(c, 1), y])])]));
}

/** dx = dy * (1 - y^2). */
export function gradTanh(c: GradCtx): void {
  if (!c.needs(0)) return;
  const y = c.y();
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Sub", [f32(c, 1), op1(c, "Mul", [y, y])])]));
}

/** silu = x * s(x): dx = dy * s * (1 + x (1 - s)). */
export function gradSilu(c: GradCtx): void {
  if (!c.needs(0)) return;
  const x = c.x(0);
  const s = op1(c, "Sigmoid", [x]);
  const inner = op1(c, "Add", [f32(c, 1), op1(c, "Mul", [x, op1(c, "Sub", [f32(c, 1), s])])]);
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Mul", [s, inner])]));
}

/** Exact (erf) GELU, as lowered: dx = dy * (Phi(x) + x phi(x)). */
export function gradGelu(c: GradCtx): void {
  if (!c.needs(0)) return;
  const x = c.x(0);
  const cdf = op1(c, "Mul", [
    f32(c, 0.5),
    op1(c, "Add", [f32(c, 1), op1(c, "Erf", [op1(c, "Mul", [x, f32(c, Math.SQRT1_2)])])]),
  ]);
  const pdf = op1(c, "Mul", [
    f32(c, 1 / Math.sqrt(2 * Math.PI)),
    op1(c, "Exp", [op1(c, "Mul", [op1(c, "Mul", [x, x]), f32(c, -0.5)])]),
  ]);
  c.grad(0, op1(c, "Mul", [c.dy(), op1(c, "Add", [cdf, op1(c, "Mul", [x, pdf])])]));
}

export function gradIdentity(c: GradCtx): void {
  if (c.needs(0)) c.grad(0, c.dy());
}

/** dx = y * (dy - sum(dy * y) along the axis). */
export function gradSoftmax(c: GradCtx): void {
  if (!c.needs(0)) return;
  const y = c.y();
  const axis = normAxis(num(c, "axis"), c.outType().shape.length);
  const dot = reduceSum(c, op1(c, "Mul", [c.dy(), y]), [axis], true);
  c.grad(0, op1(c, "Mul", [y, op1(c, "Sub", [c.dy(), dot])]));
}

const toInput = (c: GradCtx, i: number, g: string): void =>
  c.grad(i, sumToShape(c, g, c.outType().shape, c.inType(i).shape));

export function gradAdd(c: GradCtx): void {
  for (const i of [0, 1]) if (c.needs(i)) toInput(c, i, c.dy());
}

export function gradSub(c: GradCtx): void {
  if (c.needs(0)) toInput(c, 0, c.dy());
  if (c.needs(1)) toInput(c, 1, op1(c, "Neg", [c.dy()]));
}

export function gradMul(c: GradCtx): void {
  if (c.needs(0)) toInput(c, 0, op1(c, "Mul", [c.dy(), c.x(1)]));
  if (c.needs(1)) toInput(c, 1, op1(c, "Mul", [c.dy(), c.x(0)]));
}

/** y = a / b: da = dy / b, db = -dy * y / b. */
export function gradDiv(c: GradCtx): void {
  const q = op1(c, "Div", [c.dy(), c.x(1)]);
  if (c.needs(0)) toInput(c, 0, q);
  if (c.needs(1)) toInput(c, 1, op1(c, "Neg", [op1(c, "Mul", [q, c.y()])]));
}

/** A constant has no inputs and no parameters. */
export function gradConst(_c: GradCtx): void {}
