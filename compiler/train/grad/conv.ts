// Convolution gradients in standard ops: the input gradient is a ConvTranspose of dy with the
// same weights; the weight gradient a Conv whose batch is the input's channels and whose kernel
// is dy (batch and channel axes swapped), with the forward's stride as its dilation and the
// forward's dilation as its stride, cut to the kernel size. Groups (depthwise included) move the
// group axis into the channels of that Conv.
import type { Dim, Node } from "../../ir/types";
import { attr } from "../../lower/scope";
import { nchwcConvInputGrad } from "../nchwc";
import { i64, nums, num, op1, reduceSum, type GradCtx } from "./ctx";

export interface Window {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly pads: readonly number[]; // t, l, b, r (ONNX order)
  readonly dilation: readonly number[];
}

/** The window of a conv node (its training forward reads it too: forward.ts). */
export const windowOf = (c: { readonly node: Node }): Window => ({
  kernel: nums(c, "kernel"),
  stride: nums(c, "stride", [1, 1]),
  pads: nums(c, "pads", [0, 0, 0, 0]),
  dilation: nums(c, "dilation", [1, 1]),
});

/**
 * ConvTranspose's output_padding that brings its output back to the forward input's size:
 * (H + pads - dilation (k - 1) - 1) mod stride per spatial axis. Null when H is symbolic.
 */
export function outputPadding(w: Window, hw: readonly Dim[]): number[] | null {
  if (!hw.every((d) => typeof d === "number")) return null;
  return [0, 1].map(
    (i) => ((hw[i] as number) + w.pads[i] + w.pads[i + 2] - w.dilation[i] * (w.kernel[i] - 1) - 1) % w.stride[i],
  );
}

/** dx = ConvTranspose(dy, W) with the forward's window and groups (or a conv on the blocked kernels). */
export function convInputGrad(c: GradCtx, dy: string, weight: string, w: Window, group: number): string | null {
  const pad = outputPadding(w, c.inType(0).shape.slice(2));
  if (pad === null) return null;
  const [cin, cout] = [c.inType(0).shape[1], c.outType().shape[1]];
  if (c.nchwcBlock && group === 1 && typeof cin === "number" && typeof cout === "number" && pad.every((p) => p === 0)) {
    const dx = nchwcConvInputGrad(c.emit, c.nchwcBlock, dy, weight, cin, cout, w);
    if (dx !== null) return dx;
  }
  return op1(
    c,
    "ConvTranspose",
    [dy, weight],
    [
      attr.ints("strides", w.stride),
      attr.ints("pads", w.pads),
      attr.ints("dilations", w.dilation),
      attr.ints("output_padding", pad),
      attr.int("group", group),
    ],
  );
}

/**
 * Largest im2col per sample (kh kw C Ho Wo floats) for the GEMM weight gradient: 1M floats is 4 MB
 * per sample, 1 GB at batch 256. Larger layers take the Conv formulation, which needs no im2col.
 */
export const IM2COL_LIMIT = 1 << 20;

export function gradConv(c: GradCtx): void {
  const w = windowOf(c);
  const cin = c.inType(0).shape[1] as number;
  const group = c.node.attrs.depthwise === true ? cin : num(c, "groups", 1);
  const weight = c.param("weight");
  const symbolic = (): void =>
    c.fail(
      `the gradient of conv ${c.node.id} needs fixed spatial sizes, got input ${JSON.stringify(c.inType(0).shape)}; ` +
        "give the input fixed height and width",
    );
  if (c.needs(0)) {
    const dx = convInputGrad(c, c.dy(), weight, w, group);
    if (dx === null) return symbolic();
    c.grad(0, dx);
  }
  if (c.needsParam("weight")) {
    const [h, wd] = c.inType(0).shape.slice(2);
    if (typeof h !== "number" || typeof wd !== "number") return symbolic();
    const out = c.outType().shape.slice(2) as number[];
    const im2col = group === 1 && w.kernel[0] * w.kernel[1] * cin * out[0] * out[1] <= IM2COL_LIMIT;
    c.paramGrad("weight", im2col ? denseWeightGrad(c, w, cin, out) : convWeightGrad(c, w, group, cin, [h, wd]));
  }
  if (c.hasParam("bias") && c.needsParam("bias")) c.paramGrad("bias", reduceSum(c, c.dy(), [0, 2, 3], false));
}

function convWeightGrad(c: GradCtx, w: Window, group: number, cin: number, hw: readonly number[]): string {
  const perGroup = cin / group;
  const xt = op1(c, "Transpose", [c.x(0)], [attr.ints("perm", [1, 0, 2, 3])]); // [C, N, H, W]
  let data: string; // [C/g, g*N, H, W]: batch = channel within the group, channels = (group, sample)
  if (group === 1) data = xt;
  else if (perGroup === 1) data = op1(c, "Reshape", [xt, i64(c, [1, -1, ...hw])]);
  else {
    const split = op1(c, "Reshape", [xt, i64(c, [group, perGroup, -1, ...hw])]);
    const swapped = op1(c, "Transpose", [split], [attr.ints("perm", [1, 0, 2, 3, 4])]);
    data = op1(c, "Reshape", [swapped, i64(c, [perGroup, -1, ...hw])]);
  }
  const kernel = op1(c, "Transpose", [c.dy()], [attr.ints("perm", [1, 0, 2, 3])]); // [O, N, Ho, Wo]
  const full = op1(
    c,
    "Conv",
    [data, kernel],
    [
      attr.ints("strides", w.dilation),
      attr.ints("dilations", w.stride),
      attr.ints("pads", w.pads),
      attr.int("group", group),
    ],
  ); // [C/g, O, >= kh, >= kw]
  const cut = op1(c, "Slice", [full, i64(c, [0, 0]), i64(c, [...w.kernel]), i64(c, [2, 3])]);
  return op1(c, "Transpose", [cut], [attr.ints("perm", [1, 0, 2, 3])]);
}

/**
 * dW of an ungrouped conv as an explicit im2col and one GEMM. Usually the input goes channel-first
 * ([C, N, H, W]), is padded, sliced at each kernel offset with the conv's strides and
 * concatenated along the channels into [kh kw C, N Ho Wo], and multiplies dy channel-last
 * ([N Ho Wo, O]): one GEMM whose inner dimension is the whole batch (a batched GEMM per sample
 * and a sum over the batch cost 5-10 ms more on MultiMNIST's largest step). onnxruntime runs
 * this about 1.4x faster than the Conv formulation (whose kernel is dy itself, leaving a GEMM
 * only kh kw wide).
 */
function denseWeightGrad(c: GradCtx, w: Window, cin: number, out: readonly number[]): string {
  const [kh, kw] = w.kernel;
  const cout = c.outType().shape[1] as number;
  // Fewer im2col rows than output channels (a first layer on 1-3 input channels): the im2col is
  // built per sample and transposed, which moves less data than transposing dy.
  const firstLayer = kh * kw * cin < cout;
  let x = firstLayer ? c.x(0) : op1(c, "Transpose", [c.x(0)], [attr.ints("perm", [1, 0, 2, 3])]);
  if (w.pads.some((p) => p !== 0))
    x = op1(c, "Pad", [x, i64(c, [0, 0, w.pads[0], w.pads[1], 0, 0, w.pads[2], w.pads[3]])]);
  const pieces: string[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const start = [i * w.dilation[0], j * w.dilation[1]];
      const end = [start[0] + (out[0] - 1) * w.stride[0] + 1, start[1] + (out[1] - 1) * w.stride[1] + 1];
      const whole =
        start.every((s, a) => s === 0 && end[a] === (c.inType(0).shape[2 + a] as number) + w.pads[a] + w.pads[a + 2]) &&
        w.stride.every((s) => s === 1);
      pieces.push(whole ? x : op1(c, "Slice", [x, i64(c, start), i64(c, end), i64(c, [2, 3]), i64(c, w.stride)]));
    }
  const axis = firstLayer ? 1 : 0;
  const cat = pieces.length === 1 ? pieces[0] : op1(c, "Concat", pieces, [attr.int("axis", axis)]);
  if (firstLayer) {
    const cols = op1(c, "Reshape", [cat, i64(c, [0, kh * kw * cin, -1])]); // [N, kh kw C, Ho Wo]
    const dyRows = op1(c, "Reshape", [c.dy(), i64(c, [0, cout, -1])]); // [N, O, Ho Wo]
    const colsT = op1(c, "Transpose", [cols], [attr.ints("perm", [0, 2, 1])]); // [N, Ho Wo, kh kw C]
    const perO = op1(c, "ReduceSum", [op1(c, "MatMul", [dyRows, colsT]), i64(c, [0])], [attr.int("keepdims", 0)]);
    return op1(
      c,
      "Transpose",
      [op1(c, "Reshape", [perO, i64(c, [cout, kh, kw, cin])])],
      [attr.ints("perm", [0, 3, 1, 2])],
    );
  }
  const cols = op1(c, "Reshape", [cat, i64(c, [kh * kw * cin, -1])]); // [kh kw C, N Ho Wo]
  const channelLast = op1(c, "Transpose", [c.dy()], [attr.ints("perm", [0, 2, 3, 1])]);
  const rows = op1(c, "Reshape", [channelLast, i64(c, [-1, cout])]); // [N Ho Wo, O]
  return op1(
    c,
    "Transpose",
    [op1(c, "Reshape", [op1(c, "MatMul", [cols, rows]), i64(c, [kh, kw, cin, cout])])],
    [attr.ints("perm", [3, 2, 0, 1])],
  );
}
