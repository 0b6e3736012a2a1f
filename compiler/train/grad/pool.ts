// Pooling gradients: max-pool scatters dy to the positions its Indices output names (MaxUnpool
// when windows do not overlap, else ScatterElements with reduction add); average pooling (count_include_pad = 1, as lowered) is a
// depthwise ConvTranspose with a constant 1/(kh kw) kernel; global pooling spreads dy evenly.
import { attr } from "../../lower/scope";
import type { Node } from "../../ir/types";
import type { OnnxAttribute } from "../../onnx/model";
import { i64, op1, runtimeCount, staticCount, type GradCtx } from "./ctx";
import { convInputGrad, type Window } from "./conv";

const poolWindow = (n: Node): Window => {
  const list = (name: string, fallback: readonly number[]): number[] => (n.attrs[name] ?? fallback) as number[];
  const kernel = list("kernel", []);
  return { kernel, stride: list("stride", kernel), pads: list("pads", [0, 0, 0, 0]), dilation: [1, 1] };
};

/** MaxPool's attributes as lowered, so that the training forward's pool picks the same positions. */
export function maxPoolAttrsOf(n: Node): OnnxAttribute[] {
  const w = poolWindow(n);
  return [attr.ints("kernel_shape", w.kernel), attr.ints("strides", w.stride), attr.ints("pads", w.pads)];
}

/**
 * The pooled gradient, times the mask of the relu below when this pool applies it: the input
 * position a window picks holds the window's output y, so relu's mask there is y > 0, and masking
 * the pooled gradient costs a quarter of masking the scattered one (2x2 windows).
 */
function pooledGrad(c: GradCtx): string {
  if (!c.masksRelu) return c.dy();
  return op1(c, "Mul", [c.dy(), op1(c, "Cast", [op1(c, "Greater", [c.y(), c.lowerer.f32([0])])], [attr.int("to", 1)])]);
}

export function gradMaxPool(c: GradCtx): void {
  if (!c.needs(0)) return;
  const dy = pooledGrad(c);
  // The training forward keeps the Indices (flat over N*C*H*W); recompute them if it did not.
  const indices = c.saved("indices") ?? c.emit.op("MaxPool", [c.x(0)], maxPoolAttrsOf(c.node), 2)[1];
  const w = poolWindow(c.node);
  if (w.stride.every((s, i) => s >= w.kernel[i])) {
    // Windows do not overlap, so every input position is picked at most once: MaxUnpool's plain
    // scatter into zeros is the sum, and much cheaper than ScatterElements with a reduction.
    c.grad(
      0,
      op1(
        c,
        "MaxUnpool",
        [dy, indices, op1(c, "Shape", [c.x(0)])],
        [attr.ints("kernel_shape", w.kernel), attr.ints("strides", w.stride), attr.ints("pads", w.pads)],
      ),
    );
    return;
  }
  const flat = op1(c, "Reshape", [c.x(0), i64(c, [-1])]);
  const zeros = op1(c, "ConstantOfShape", [op1(c, "Shape", [flat])]);
  const at = op1(c, "Reshape", [indices, i64(c, [-1])]);
  const values = op1(c, "Reshape", [dy, i64(c, [-1])]);
  const summed = op1(c, "ScatterElements", [zeros, at, values], [attr.int("axis", 0), attr.string("reduction", "add")]);
  c.grad(0, op1(c, "Reshape", [summed, op1(c, "Shape", [c.x(0)])]));
}

export function gradAvgPool(c: GradCtx): void {
  if (!c.needs(0)) return;
  const w = poolWindow(c.node);
  const channels = c.inType(0).shape[1];
  if (typeof channels !== "number")
    return c.fail(`avgpool ${c.node.id} over a symbolic channel count has no gradient mtl can write`);
  const area = w.kernel[0] * w.kernel[1];
  const ones = op1(c, "Expand", [c.lowerer.f32([1 / area]), i64(c, [channels, 1, w.kernel[0], w.kernel[1]])]);
  const dx = convInputGrad(c, c.dy(), ones, w, channels);
  if (dx === null)
    return c.fail(
      `the gradient of avgpool ${c.node.id} needs fixed spatial sizes; give the input fixed height and width`,
    );
  c.grad(0, dx);
}

export function gradGlobalAvgPool(c: GradCtx): void {
  if (!c.needs(0)) return;
  const hw = staticCount(c.inType(0).shape.slice(2));
  const scale = hw === null ? op1(c, "Div", [runtimeCount(c, c.x(0)), runtimeCount(c, c.y())]) : c.lowerer.f32([hw]);
  c.grad(0, op1(c, "Div", [op1(c, "Expand", [c.dy(), op1(c, "Shape", [c.x(0)])]), scale]));
}
