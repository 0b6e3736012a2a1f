// Shape rules of the NCHW spatial layers: convolution, pooling and resizing.

import { formatShape, isPositiveInt, scaleDim, windowOut } from "./dims";
import { describeLayout, layoutOnAxis, outLayout, paramAxis, slims } from "./layout";
import {
  expectFloat,
  expectNonNegative,
  expectPositive,
  expectRank,
  param,
  zero,
  type OpCtx,
  type OpResult,
} from "./op-common";
import { fail } from "./shape-errors";
import type { Dim, ValueType } from "./types";
import { layoutMax } from "./width";

export interface ConvOptions {
  readonly out: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly pads: readonly [number, number, number, number]; // top, left, bottom, right
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly bias: boolean;
}

export interface PoolOptions {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

export interface ResizeOptions {
  readonly scales?: readonly [number, number];
  readonly size?: readonly [number, number];
  readonly mode: "nearest" | "linear";
}

const AXIS_NAMES = ["height", "width"];

/** Output height and width of a sliding window, failing when the kernel does not fit. */
function windowShape(x: ValueType, what: string, o: PoolOptions, dilation: readonly [number, number]): [Dim, Dim] {
  const out: Dim[] = [];
  for (const i of [0, 1]) {
    const d = x.shape[2 + i];
    const pad = o.pads[i] + o.pads[i + 2];
    const span = dilation[i] * (o.kernel[i] - 1) + 1;
    if (typeof d === "number" && d + pad < span)
      fail(
        "KernelTooBig",
        `${what}: the ${AXIS_NAMES[i]} kernel spans ${span} but the padded input ${AXIS_NAMES[i]} is ` +
          `only ${d + pad} (${d} + padding ${pad}), for input ${formatShape(x.shape)}`,
        "use a smaller kernel or more padding, or downsample less before this layer",
      );
    out.push(windowOut(d, o.kernel[i], o.stride[i], pad, dilation[i]));
  }
  return [out[0], out[1]];
}

function checkWindow(o: PoolOptions, what: string): void {
  expectPositive(o.kernel, `${what} kernel size`);
  expectPositive(o.stride, `${what} stride`);
  expectNonNegative(o.pads, `${what} padding`);
}

export function conv(c: OpCtx, x: ValueType, o: ConvOptions): OpResult {
  expectRank(x, 4, "conv", "[N, C, H, W]");
  expectFloat(x, "conv");
  checkWindow(o, "conv");
  expectPositive(o.dilation, "conv dilation");
  expectPositive([o.out], "conv output channel count");
  expectPositive([o.groups], "conv groups");
  const inSegs = layoutOnAxis(x, 1, "conv");
  const inC = layoutMax(inSegs);
  if (inC % o.groups !== 0 || o.out % o.groups !== 0)
    fail(
      "GroupsDivide",
      `conv with ${o.groups} groups needs channel counts divisible by ${o.groups}, got ${inC} in and ${o.out} out`,
      "choose a number of groups that divides both channel counts",
    );
  const depthwise = o.groups > 1 && o.groups === inC && o.out === inC;
  if (o.groups > 1 && !depthwise && (slims(inSegs) || c.group !== null))
    fail(
      "GroupedSlim",
      `grouped convolution must be depthwise or fixed: ${o.groups} groups over ${describeLayout(inSegs)} ` +
        `in, ${o.out} out${c.group === null ? "" : ` slimming with group '${c.group}'`}`,
      "use groups equal to the channel count (depthwise), or mark the layer and its input fixed",
    );
  // A depthwise conv keeps its input's channels one for one, so it slims exactly as its input.
  const outSegs = depthwise ? inSegs : outLayout(o.out, c.group, c.divisor);
  const [h, w] = windowShape(x, "conv", o, o.dilation);
  const fanIn = (inC / o.groups) * o.kernel[0] * o.kernel[1];
  const params = {
    weight: param(
      `${c.name}.weight`,
      [o.out, inC / o.groups, o.kernel[0], o.kernel[1]],
      [paramAxis(outSegs), depthwise ? null : paramAxis(inSegs), null, null],
      { kind: "he", fanIn },
    ),
    ...(o.bias ? { bias: param(`${c.name}.bias`, [o.out], [paramAxis(outSegs)], zero) } : {}),
  };
  return {
    type: { dtype: "f32", shape: [x.shape[0], o.out, h, w], channelAxis: 1, channels: outSegs },
    attrs: { kernel: o.kernel, stride: o.stride, pads: o.pads, dilation: o.dilation, groups: o.groups, depthwise },
    params,
  };
}

export function pool(op: "maxpool" | "avgpool", x: ValueType, o: PoolOptions): OpResult {
  expectRank(x, 4, op, "[N, C, H, W]");
  expectFloat(x, op);
  checkWindow(o, op);
  for (const i of [0, 1])
    if (2 * Math.max(o.pads[i], o.pads[i + 2]) > o.kernel[i])
      fail(
        "BadOption",
        `${op}: padding ${Math.max(o.pads[i], o.pads[i + 2])} is more than half the ${AXIS_NAMES[i]} kernel ${o.kernel[i]}`,
      );
  const [h, w] = windowShape(x, op, o, [1, 1]);
  return {
    type: { ...x, shape: [x.shape[0], x.shape[1], h, w] },
    attrs: { kernel: o.kernel, stride: o.stride, pads: o.pads },
  };
}

export function globalAvgPool(x: ValueType): OpResult {
  expectRank(x, 4, "global average pool", "[N, C, H, W]");
  expectFloat(x, "global average pool");
  return { type: { ...x, shape: [x.shape[0], x.shape[1], 1, 1] } };
}

export function resize(x: ValueType, o: ResizeOptions): OpResult {
  expectRank(x, 4, "resize", "[N, C, H, W]");
  expectFloat(x, "resize");
  if ((o.scales === undefined) === (o.size === undefined))
    fail("BadOption", "resize needs exactly one of scales and size");
  let hw: Dim[];
  if (o.size) {
    expectPositive(o.size, "resize size");
    hw = [...o.size];
  } else {
    const scales = o.scales!;
    for (const s of scales) if (!(s > 0)) fail("BadOption", `resize scale must be positive, got ${s}`);
    hw = [scaleDim(x.shape[2], scales[0]), scaleDim(x.shape[3], scales[1])];
    for (const d of hw)
      if (typeof d === "number" && !isPositiveInt(d))
        fail("NonPositiveSize", `resize of ${formatShape(x.shape)} by ${scales.join("x")} gives an empty output`);
  }
  return {
    type: { ...x, shape: [x.shape[0], x.shape[1], hw[0], hw[1]] },
    attrs: { ...(o.scales ? { scales: o.scales } : { size: o.size! }), mode: o.mode },
  };
}
