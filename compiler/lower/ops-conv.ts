// Convolution-family ops over NCHW tensors: conv (depthwise included), batchnorm, pools, resize.
import { layoutMax } from "../ir/width";
import type { OnnxAttribute } from "../onnx/model";
import { emitIf } from "./branch";
import { NodeCtx } from "./node-ctx";
import { attr, type Emitter } from "./scope";
import { layoutLength, possibleLengths, slims } from "./slicing";

function convAttrs(c: NodeCtx, group: number): OnnxAttribute[] {
  return [
    attr.ints("kernel_shape", c.nums("kernel")),
    attr.ints("strides", c.nums("stride", [1, 1])),
    attr.ints("pads", c.nums("pads", [0, 0, 0, 0])), // IR (t, l, b, r) is ONNX's begin..., end... order
    attr.ints("dilations", c.nums("dilation", [1, 1])),
    attr.int("group", group),
  ];
}

export function lowerConv(c: NodeCtx): void {
  if (c.flag("depthwise")) return depthwise(c);
  const groups = c.num("groups", 1);
  if (groups !== 1 && (slims(c.outType().channels) || slims(c.inType(0).channels))) {
    throw new Error(`internal: grouped conv ${c.node.id} cannot slim (only depthwise convs do)`);
  }
  c.emit.op("Conv", convInputs(c, c.emit), convAttrs(c, groups), [c.out()]);
}

/** Input, weight and bias, the parameters cut in the scope of `e`. */
function convInputs(c: NodeCtx, e: Emitter): string[] {
  const inner = new NodeCtx(e, c.node);
  return [c.in(0), inner.param("weight"), ...(c.hasParam("bias") ? [inner.param("bias")] : [])];
}

/**
 * Conv's `group` is static, so a slim depthwise conv becomes a chain of `If`s on its run-time
 * channel count, one branch per possible count, each with that count as its `group`. Weights are
 * cut inside each branch: onnxruntime warns about (and will not optimise) a branch reading a
 * Slice computed outside it.
 */
function depthwise(c: NodeCtx): void {
  const segs = c.outType().channels;
  if (!slims(segs)) return void c.emit.op("Conv", convInputs(c, c.emit), convAttrs(c, layoutMax(segs)), [c.out()]);
  const length = layoutLength(c.lowerer, segs);
  const chain = (e: Emitter, counts: number[], out: string): void => {
    if (counts.length === 1) return void e.op("Conv", convInputs(c, e), convAttrs(c, counts[0]), [out]);
    const cond = e.op1("Equal", [length, c.lowerer.i64([counts[0]])]);
    emitIf(e, cond, [out], [{ dtype: "float", rank: 4 }], (branch, isThen) => {
      const inner = c.lowerer.values.fresh(`${c.node.id}/${isThen ? `group${counts[0]}` : `not${counts[0]}`}`);
      if (isThen) branch.op("Conv", convInputs(c, branch), convAttrs(c, counts[0]), [inner]);
      else chain(branch, counts.slice(1), inner);
      return [inner];
    });
  };
  chain(c.emit, possibleLengths(c.lowerer, segs), c.out());
}

/** Inference-mode BatchNorm; switchable statistics are cut to the current width by cutParam. */
export function lowerBatchnorm(c: NodeCtx): void {
  const inputs = ["weight", "bias", "running_mean", "running_var"].map((role) => c.param(role));
  c.emit.op("BatchNormalization", [c.in(0), ...inputs], [attr.float("epsilon", c.num("eps", 1e-5))], [c.out()]);
}

export function lowerPool(c: NodeCtx): void {
  const common = [
    attr.ints("kernel_shape", c.nums("kernel")),
    attr.ints("strides", c.nums("stride", c.nums("kernel"))),
    attr.ints("pads", c.nums("pads", [0, 0, 0, 0])),
  ];
  if (c.node.op === "maxpool") c.emit.op("MaxPool", [c.in(0)], common, [c.out()]);
  // count_include_pad = 1: PyTorch's AvgPool2d default, so imported models keep their numbers.
  else c.emit.op("AveragePool", [c.in(0)], [...common, attr.int("count_include_pad", 1)], [c.out()]);
}

export function lowerGlobalAvgPool(c: NodeCtx): void {
  c.emit.op("GlobalAveragePool", [c.in(0)], [], [c.out()]);
}

/**
 * Resize with PyTorch's coordinate conventions: nearest = floor of asymmetric, linear =
 * half_pixel (align_corners=False). A target size keeps N and C from the input at run time,
 * since C may be slim.
 */
export function lowerResize(c: NodeCtx): void {
  const linear = c.node.attrs.mode === "linear";
  const attrs = linear
    ? [attr.string("mode", "linear"), attr.string("coordinate_transformation_mode", "half_pixel")]
    : [
        attr.string("mode", "nearest"),
        attr.string("coordinate_transformation_mode", "asymmetric"),
        attr.string("nearest_mode", "floor"),
      ];
  if (c.node.attrs.scales !== undefined) {
    const scales = c.lowerer.f32([1, 1, ...c.nums("scales")], [4]);
    c.emit.op("Resize", [c.in(0), "", scales], attrs, [c.out()]);
    return;
  }
  const shape = c.emit.op1("Shape", [c.in(0)], [attr.int("start", 0), attr.int("end", 2)]);
  const sizes = c.emit.op1("Concat", [shape, c.lowerer.i64(c.nums("size"))], [attr.int("axis", 0)]);
  c.emit.op("Resize", [c.in(0), "", "", sizes], attrs, [c.out()]);
}
