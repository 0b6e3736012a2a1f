// Convolutions of a training graph on onnxruntime's blocked-channel CPU kernels (operator domain
// com.microsoft.nchwc: channels in blocks of 8 or 16, whichever its MLAS build picked for the CPU).
// onnxruntime moves an inference model's convs onto them by itself, but only when the weights are
// initializers; a training graph feeds its weights, so it asks for the kernels explicitly: the
// activation reordered into blocks, the conv, the result reordered back, and the weights reordered
// in the graph (a Reshape and a Transpose of a few kB). The forward convs and the stride-1 input
// gradients (a conv of dy with the flipped, transposed weights) take this path; the block size
// comes from a run-time probe (runtime/train/nchwc-probe.ts), and 0 keeps every conv on standard
// ops. docs/training.md ("Speed") has the figures.
import { attr, type Emitter } from "../lower/scope";
import type { Window } from "./grad/conv";

export const NCHWC_DOMAIN = "com.microsoft.nchwc";

/**
 * Most extra work, as a ratio of multiply-adds, that padding the channels to whole blocks may
 * cost: the kernels' zero channels are computed like the others. Measured on MultiMNIST's
 * configurations (docs/training.md, Speed).
 */
export const MAX_PADDING = 2;

/** How the blocked kernels take an ungrouped conv: input layout and the channel counts padded to whole blocks. */
export interface BlockedShape {
  /** "nchw": fewer input channels than a block (a first layer on an image) are read unblocked. */
  readonly input: "blocked" | "nchw";
  readonly cin: number;
  readonly cout: number;
}

/** Null when the kernels cannot take the conv or padding would cost more than MAX_PADDING. */
export function blockedShape(block: number, cin: number, cout: number): BlockedShape | null {
  if (block <= 1) return null;
  const whole = (c: number): number => Math.ceil(c / block) * block;
  const input = cin < block ? "nchw" : "blocked";
  const shape = { input, cin: input === "nchw" ? cin : whole(cin), cout: whole(cout) } as const;
  return (shape.cin * shape.cout) / (cin * cout) <= MAX_PADDING ? shape : null;
}

/** Weights [O, C, kh, kw] padded to `to` and put in the kernels' order: OIHWBiBo (blocked input) or OIHWBo. */
function reorderWeights(
  e: Emitter,
  w: string,
  block: number,
  [cout, cin, kh, kw]: readonly number[],
  to: BlockedShape,
): string {
  const i64 = (v: readonly number[]) => e.lower.i64(v);
  const padded =
    to.cin === cin && to.cout === cout ? w : e.op1("Pad", [w, i64([0, 0, 0, 0, to.cout - cout, to.cin - cin, 0, 0])]);
  const blocked = to.input === "blocked";
  const split = blocked ? [to.cout / block, block, to.cin / block, block, -1] : [to.cout / block, block, to.cin, -1];
  const perm = blocked ? [0, 2, 4, 3, 1] : [0, 2, 3, 1]; // kh kw flattened into one axis
  const parts = e.op1("Reshape", [padded, i64(split)]);
  const moved = e.op1("Transpose", [parts], [attr.ints("perm", perm)]);
  return e.op1("Reshape", [moved, i64([to.cout, to.cin, kh, kw])]);
}

/**
 * y = conv(x, w) + bias on the blocked kernels, NCHW in and out; null when the kernels cannot
 * take these channel counts (blockedShape). `w` is [cout, cin, kh, kw] as fed.
 */
export function nchwcConv(
  e: Emitter,
  block: number,
  x: string,
  w: string,
  bias: string | null,
  cin: number,
  cout: number,
  window: Window,
  output?: string,
): string | null {
  const to = blockedShape(block, cin, cout);
  if (to === null) return null;
  const weight = reorderWeights(e, w, block, [cout, cin, ...window.kernel], to);
  // ReorderInput fills a last partial block with zeros; ReorderOutput drops the padded channels.
  const xin =
    to.input === "blocked" ? e.op("ReorderInput", [x], [attr.int("channels_last", 0)], 1, NCHWC_DOMAIN)[0] : x;
  const b = bias && to.cout !== cout ? e.op1("Pad", [bias, e.lower.i64([0, to.cout - cout])]) : bias;
  const [yb] = e.op(
    "Conv",
    [xin, weight, ...(b ? [b] : [])],
    [
      attr.ints("kernel_shape", window.kernel),
      attr.ints("strides", window.stride),
      attr.ints("pads", window.pads),
      attr.ints("dilations", window.dilation),
      attr.int("group", 1),
    ],
    1,
    NCHWC_DOMAIN,
  );
  const attrs = [attr.int("channels", cout), attr.int("channels_last", 0)];
  return e.op("ReorderOutput", [yb], attrs, output === undefined ? 1 : [output], NCHWC_DOMAIN)[0];
}

/**
 * dx of a stride-1 ungrouped conv as a conv on the blocked kernels: dy convolved with the weights
 * transposed (in and out channels swapped) and flipped in space, padded by dilation (k - 1) - pad
 * on each side. Null when the stride is not 1 or the kernels cannot take the channel counts.
 */
export function nchwcConvInputGrad(
  e: Emitter,
  block: number,
  dy: string,
  w: string,
  cin: number,
  cout: number,
  window: Window,
): string | null {
  if (window.stride.some((s) => s !== 1) || blockedShape(block, cout, cin) === null) return null;
  const [kh, kw] = window.kernel;
  const reach = [0, 1].map((a) => window.dilation[a] * (window.kernel[a] - 1));
  const pads = [
    reach[0] - window.pads[0],
    reach[1] - window.pads[1],
    reach[0] - window.pads[2],
    reach[1] - window.pads[3],
  ];
  if (pads.some((p) => p < 0)) return null;
  const i64 = (v: readonly number[]) => e.lower.i64(v);
  const swapped = e.op1("Transpose", [w], [attr.ints("perm", [1, 0, 2, 3])]); // [C, O, kh, kw]
  const flipped = e.op1("Slice", [swapped, i64([-1, -1]), i64([-(kh + 1), -(kw + 1)]), i64([2, 3]), i64([-1, -1])]);
  return nchwcConv(e, block, dy, flipped, null, cout, cin, { ...window, pads });
}
