// Every IR op as PyTorch: one mapping per OpKind (named by the op's spec in compiler/ops/, so a
// missing one is a type error there), each returning
// the Python expression of the node's output, or the reason it cannot be exported (reported as
// MTL6001 at the node's source line). Semantics follow compiler/lower/ exactly; comments say where
// PyTorch's defaults differ from ONNX's and how the expression makes them agree.
import type { AttrValue, Node, Segment, ValueType } from "../../ir/types";
import { py, pyNumber, pyTuple } from "./python";

/** What an op's mapping sees: Python expressions for inputs and cut parameters, and IR types. */
export interface TorchOpCtx {
  readonly node: Node;
  /** Python expression of input i. */
  in(i: number): string;
  inType(i: number): ValueType;
  outType(): ValueType;
  /** Python expression of the parameter in `role`, cut to the configuration. */
  param(role: string): string;
  hasParam(role: string): boolean;
}

export type TorchExpr = { readonly ok: true; readonly expr: string } | { readonly ok: false; readonly reason: string };
export type TorchOp = (c: TorchOpCtx) => TorchExpr;

const ok = (expr: string): TorchExpr => ({ ok: true, expr });
const unsupported = (reason: string): TorchExpr => ({ ok: false, reason });

const nums = (c: TorchOpCtx, name: string, fallback: readonly number[]): number[] => {
  const v: AttrValue | undefined = c.node.attrs[name];
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : [...fallback];
};
const num = (c: TorchOpCtx, name: string, fallback: number): number => {
  const v = c.node.attrs[name];
  return typeof v === "number" ? v : fallback;
};
const axisOf = (c: TorchOpCtx, name: string, rank: number, fallback: number): number => {
  const a = num(c, name, fallback);
  return a < 0 ? a + rank : a;
};
const slims = (segs: readonly Segment[]): boolean => segs.some((s) => s.group !== null);

/** IR pads are (top, left, bottom, right); F.pad wants (left, right, top, bottom). */
const padArgs = (p: readonly number[]): string => pyTuple([p[1], p[3], p[0], p[2]]);
const symmetric = (p: readonly number[]): boolean => p[0] === p[2] && p[1] === p[3];

export function torchConv(c: TorchOpCtx): TorchExpr {
  const kernel = nums(c, "kernel", [1, 1]);
  if (kernel.length !== 2)
    return unsupported(`a ${kernel.length}-D convolution (the PyTorch export writes 2-D convolutions only)`);
  const pads = nums(c, "pads", [0, 0, 0, 0]);
  const depthwise = c.node.attrs.depthwise === true;
  const groups = num(c, "groups", 1);
  if (!depthwise && groups !== 1 && (slims(c.outType().channels) || slims(c.inType(0).channels))) {
    return unsupported(
      `a grouped convolution (groups: ${groups}) whose channels slim; only depthwise convolutions may slim`,
    );
  }
  // A slim depthwise conv has as many groups as it has channels at this configuration.
  const groupArg = depthwise ? `${c.in(0)}.shape[1]` : String(groups);
  const x = symmetric(pads) ? c.in(0) : `F.pad(${c.in(0)}, ${padArgs(pads)})`;
  const padding = symmetric(pads) ? pyTuple([pads[0], pads[1]]) : "0";
  const bias = c.hasParam("bias") ? c.param("bias") : "None";
  const stride = pyTuple(nums(c, "stride", [1, 1]));
  const dilation = pyTuple(nums(c, "dilation", [1, 1]));
  return ok(`F.conv2d(${x}, ${c.param("weight")}, ${bias}, ${stride}, ${padding}, ${dilation}, ${groupArg})`);
}

export function torchBatchnorm(c: TorchOpCtx): TorchExpr {
  const names = ["weight", "bias", "running_mean", "running_var"].map((r) => c.node.params[r]);
  if (names.some((n) => n === undefined))
    return unsupported("a batch norm without weight, bias and running statistics");
  // Usually one module prefix ("layer1.0.bn1") names all four; otherwise the four names.
  const prefix = names[0]!.slice(0, names[0]!.lastIndexOf(".") + 1);
  const roles = ["weight", "bias", "running_mean", "running_var"];
  const byPrefix = prefix !== "" && names.every((n, i) => n === prefix + roles[i]);
  const which = byPrefix ? py(prefix.slice(0, -1)) : py(names);
  return ok(`self.batch_norm(${c.in(0)}, ${which}, cfg, eps=${pyNumber(num(c, "eps", 1e-5))})`);
}

/**
 * Pools: PyTorch takes only symmetric padding of at most half the kernel; otherwise the input is
 * padded first (with -inf for max, zeros for average, which is ONNX's count_include_pad = 1).
 */
export function torchPool(c: TorchOpCtx): TorchExpr {
  const kernel = nums(c, "kernel", [1, 1]);
  const stride = nums(c, "stride", kernel);
  const pads = nums(c, "pads", [0, 0, 0, 0]);
  const max = c.node.op === "maxpool";
  const native = symmetric(pads) && 2 * pads[0] <= kernel[0] && 2 * pads[1] <= kernel[1];
  const x = native ? c.in(0) : `F.pad(${c.in(0)}, ${padArgs(pads)}${max ? ', value=-float("inf")' : ""})`;
  const padding = native ? pyTuple([pads[0], pads[1]]) : "0";
  if (max) return ok(`F.max_pool2d(${x}, ${pyTuple(kernel)}, ${pyTuple(stride)}, ${padding})`);
  return ok(`F.avg_pool2d(${x}, ${pyTuple(kernel)}, ${pyTuple(stride)}, ${padding}, count_include_pad=True)`);
}

/** ONNX nearest + asymmetric + floor is PyTorch's "nearest"; linear + half_pixel is bilinear without corners. */
export function torchResize(c: TorchOpCtx): TorchExpr {
  const mode = c.node.attrs.mode ?? "nearest";
  if (mode !== "nearest" && mode !== "linear") return unsupported(`resize mode "${String(mode)}"`);
  const rank = c.inType(0).shape.length;
  if (rank !== 4) return unsupported(`resize of a rank-${rank} tensor (the export resizes NCHW images)`);
  const how = mode === "linear" ? 'mode="bilinear", align_corners=False' : 'mode="nearest"';
  if (c.node.attrs.scales !== undefined)
    return ok(`F.interpolate(${c.in(0)}, scale_factor=${pyTuple(nums(c, "scales", [1, 1]))}, ${how})`);
  return ok(`F.interpolate(${c.in(0)}, size=${pyTuple(nums(c, "size", [1, 1]))}, ${how})`);
}

export function torchLinear(c: TorchOpCtx): TorchExpr {
  return ok(`F.linear(${c.in(0)}, ${c.param("weight")}, ${c.hasParam("bias") ? c.param("bias") : "None"})`);
}

export function torchLayernorm(c: TorchOpCtx): TorchExpr {
  const bias = c.hasParam("bias") ? c.param("bias") : "None";
  return ok(
    `F.layer_norm(${c.in(0)}, (${c.in(0)}.shape[-1],), ${c.param("weight")}, ${bias}, eps=${pyNumber(num(c, "eps", 1e-5))})`,
  );
}

/** Statistics per sample and group of whole channels (groups divide every slim width), then a per-channel affine. */
export function torchGroupnorm(c: TorchOpCtx): TorchExpr {
  const groups = num(c, "groups", 0);
  if (groups <= 0) return unsupported("a group norm without a group count");
  return ok(
    `F.group_norm(${c.in(0)}, ${groups}, ${c.param("weight")}, ${c.param("bias")}, eps=${pyNumber(num(c, "eps", 1e-5))})`,
  );
}

export function torchParam(c: TorchOpCtx): TorchExpr {
  const roles = Object.keys(c.node.params);
  if (roles.length !== 1) return unsupported("a parameter node that does not name exactly one parameter");
  return ok(c.param(roles[0]));
}

/** As compiler/lower/ops-attention.ts: heads of headDim each, as many as the slim width keeps. */
function attentionArgs(c: TorchOpCtx, inputs: string[]): string[] | null {
  const hd = num(c, "headDim", 0);
  if (hd <= 0) return null;
  const bias = (role: string) => (c.hasParam(role) ? c.param(role) : "None");
  return [
    ...inputs,
    c.param("in_proj_weight"),
    bias("in_proj_bias"),
    c.param("out_proj.weight"),
    bias("out_proj.bias"),
    String(hd),
  ];
}

export function torchAttention(c: TorchOpCtx): TorchExpr {
  const args = attentionArgs(c, [c.in(0)]);
  if (!args) return unsupported("attention without a head size");
  if (c.node.attrs.causal === true) args.push("causal=True");
  return ok(`self_attention(${args.join(", ")})`);
}

export function torchCrossAttention(c: TorchOpCtx): TorchExpr {
  const args = attentionArgs(c, [c.in(0), c.in(1)]);
  if (!args) return unsupported("cross_attention without a head size");
  return ok(`cross_attention(${args.join(", ")})`);
}

const unary =
  (fn: string): TorchOp =>
  (c) =>
    ok(`${fn}(${c.in(0)})`);
const binary =
  (sign: string): TorchOp =>
  (c) =>
    ok(`${c.in(0)} ${sign} ${c.in(1)}`);

export function torchConcat(c: TorchOpCtx): TorchExpr {
  const out = c.outType().shape;
  const axis = axisOf(c, "axis", out.length, 0);
  const ref = c.node.inputs.findIndex((_, i) => c.inType(i).shape.every((d, j) => j === axis || d === out[j]));
  const parts = c.node.inputs.map((_, i) => {
    const shape = c.inType(i).shape;
    const broadcast = shape.some((d, j) => j !== axis && d === 1 && out[j] !== 1);
    return broadcast && ref >= 0 ? `expand_like(${c.in(i)}, ${c.in(ref)}, ${axis})` : c.in(i);
  });
  return ok(`torch.cat([${parts.join(", ")}], ${axis})`);
}

/** As compiler/lower/ops-shape.ts: slim axis from the configuration, symbolic axes from the input. */
export function torchReshape(c: TorchOpCtx): TorchExpr {
  const out = c.outType();
  const inShape = c.inType(0).shape;
  let unknown = 0;
  const dims: string[] = [];
  for (const [axis, d] of out.shape.entries()) {
    if (axis === out.channelAxis && slims(out.channels))
      dims.push(`self.layout_length(${py(out.channels.map(segmentTuple))}, cfg)`);
    else if (typeof d === "number") dims.push(String(d));
    else if (inShape.indexOf(d) >= 0) dims.push(`${c.in(0)}.shape[${inShape.indexOf(d)}]`);
    else if (++unknown > 1) return unsupported("a reshape with more than one dimension it cannot size");
    else dims.push("-1");
  }
  return ok(`${c.in(0)}.reshape(${dims.join(", ")})`);
}

/** ONNX Flatten: always 2-D, the axes before `axis` times each other, then the rest. */
export function torchFlatten(c: TorchOpCtx): TorchExpr {
  const rank = c.inType(0).shape.length;
  const axis = axisOf(c, "axis", rank, 1);
  if (axis === 0) return ok(`${c.in(0)}.reshape(1, -1)`);
  return ok(`${c.in(0)}.reshape(math.prod(${c.in(0)}.shape[:${axis}]), -1)`);
}

export function torchMean(c: TorchOpCtx): TorchExpr {
  const rank = c.inType(0).shape.length;
  const axes = nums(c, "axes", []).map((a) => (a < 0 ? a + rank : a));
  const keep = !(c.node.attrs.keepdims === false || c.node.attrs.keepdims === 0);
  return ok(`${c.in(0)}.mean(${pyTuple(axes)}, keepdim=${keep ? "True" : "False"})`);
}

export const segmentTuple = (s: Segment): (number | string | null)[] => [s.max, s.group, s.scale, s.divisor];

// One mapping per op kind; each op's spec (compiler/ops/<op>.ts) names its mapping in `pytorch`.
export const torchGlobalAvgPool: TorchOp = (c) =>
  ok(`${c.in(0)}.mean(tuple(range(2, ${c.in(0)}.dim())), keepdim=True)`);
export const torchEmbedding: TorchOp = (c) => ok(`F.embedding(${c.in(0)}, ${c.param("weight")})`);
export const torchRelu = unary("F.relu");
export const torchRelu6 = unary("F.relu6");
export const torchGelu = unary("F.gelu"); // exact (erf) GELU, as the lowering
export const torchSigmoid = unary("torch.sigmoid");
export const torchTanh = unary("torch.tanh");
export const torchSilu = unary("F.silu");
export const torchIdentity: TorchOp = (c) => ok(c.in(0));
export const torchSoftmax: TorchOp = (c) =>
  ok(`torch.softmax(${c.in(0)}, ${axisOf(c, "axis", c.inType(0).shape.length, -1)})`);
export const torchAdd = binary("+");
export const torchSub = binary("-");
export const torchMul = binary("*");
export const torchDiv = binary("/");
export const torchConst: TorchOp = (c) =>
  ok(`torch.tensor(${pyNumber(num(c, "value", 0))}, dtype=torch.float32, device=device)`);
export const torchTranspose: TorchOp = (c) => ok(`${c.in(0)}.permute(${pyTuple(nums(c, "perm", []))})`);
export const torchSelect: TorchOp = (c) =>
  ok(`${c.in(0)}.select(${axisOf(c, "axis", c.inType(0).shape.length, 0)}, ${num(c, "index", 0)})`);
