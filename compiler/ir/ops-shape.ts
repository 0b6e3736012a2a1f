// Shape rules of the layers that move data between axes: reshape, flatten, transpose, select,
// mean and softmax. A slimming channel axis may be carried along or flattened with the axes after
// it (its segments then scale), but never merged with the axes before it.

import { formatShape, prodDiv, prodEq, prodOf, prodToDim, type Prod } from "./dims";
import { describeLayout, scaleLayout, slims } from "./layout";
import { expectPositive, normaliseAxis, type OpResult } from "./op-common";
import { fail } from "./shape-errors";
import type { Dim, Segment, ValueType } from "./types";
import { layoutMax } from "./width";

/** Whether `k` is the product of the first few of `dims` (0 of them gives 1). */
function leadingProduct(dims: readonly Dim[], k: number): boolean {
  let acc = 1;
  for (let i = 0; ; i++) {
    if (acc === k) return true;
    const d = dims[i];
    if (typeof d !== "number" || acc > k) return false;
    acc *= d;
  }
}

/** Where the channel axis of `x` lands in `out`, and how much its segments scale. */
function trackChannels(
  x: ValueType,
  out: readonly Dim[],
  what: string,
): { channelAxis: number | null; channels: Segment[] } {
  const ca = x.channelAxis;
  if (ca === null) return { channelAxis: null, channels: [] };
  const slim = slims(x.channels);
  const before = prodOf(x.shape.slice(0, ca));
  const C: Prod = { coef: layoutMax(x.channels), syms: [] };
  for (let j = 0; j < out.length; j++) {
    if (!prodEq(prodOf(out.slice(0, j)), before)) continue;
    const rest = prodDiv(prodOf([out[j]]), C);
    if (rest === null) continue;
    if (rest.syms.length > 0) {
      if (slim)
        fail(
          "SymbolicFlatten",
          `${what} of ${formatShape(x.shape)} folds the symbolic size ${rest.syms.join("*")} into ${describeLayout(x.channels)}`,
          "give the input a fixed spatial size, or pool it first (e.g. global average pool)",
        );
      continue;
    }
    if (leadingProduct(x.shape.slice(ca + 1), rest.coef))
      return { channelAxis: j, channels: scaleLayout(x.channels, rest.coef) };
  }
  if (slim)
    fail(
      "ReshapeSlim",
      `${what} of ${formatShape(x.shape)} to ${formatShape(out)} would merge ${describeLayout(x.channels)} ` +
        `(axis ${ca}) with the axes before it`,
      `keep the channel axis separate, or flatten from the channel axis (axis ${ca})`,
    );
  return { channelAxis: null, channels: [] };
}

export function reshape(x: ValueType, shape: readonly Dim[]): OpResult {
  const known = shape.filter((d) => d !== -1);
  if (shape.length - known.length > 1) fail("BadOption", `reshape to ${formatShape(shape)} has more than one -1`);
  for (const d of known) if (typeof d === "number") expectPositive([d], "reshape size");
  const total = prodOf(x.shape);
  let out: Dim[] = [...shape];
  if (known.length < shape.length) {
    const rest = prodDiv(total, prodOf(known));
    if (rest === null)
      fail(
        "ReshapeSize",
        `reshape of ${formatShape(x.shape)} to ${formatShape(shape)}: the -1 cannot be filled exactly`,
      );
    out = shape.map((d) => (d === -1 ? prodToDim(rest) : d));
  } else if (!prodEq(total, prodOf(shape)))
    fail("ReshapeSize", `reshape of ${formatShape(x.shape)} to ${formatShape(shape)} changes the number of elements`);
  const { channelAxis, channels } = trackChannels(x, out, "reshape");
  return { type: { dtype: x.dtype, shape: out, channelAxis, channels }, attrs: { shape } };
}

/** ONNX Flatten: a 2-D result [prod(shape[:axis]), prod(shape[axis:])]. */
export function flatten(x: ValueType, axisIn: number): OpResult {
  const rank = x.shape.length;
  const axis = axisIn < 0 ? axisIn + rank : axisIn;
  if (!Number.isInteger(axisIn) || axis < 0 || axis > rank)
    fail("AxisRange", `flatten: axis ${axisIn} is out of range for a rank-${rank} value`);
  const out = [prodToDim(prodOf(x.shape.slice(0, axis))), prodToDim(prodOf(x.shape.slice(axis)))];
  const { channelAxis, channels } = trackChannels(x, out, "flatten");
  return { type: { dtype: x.dtype, shape: out, channelAxis, channels }, attrs: { axis } };
}

export function transpose(x: ValueType, perm: readonly number[]): OpResult {
  const rank = x.shape.length;
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i))
    fail(
      "AxisRange",
      `transpose: [${perm.join(", ")}] is not a permutation of the ${rank} axes of ${formatShape(x.shape)}`,
    );
  return {
    type: {
      ...x,
      shape: perm.map((p) => x.shape[p]),
      channelAxis: x.channelAxis === null ? null : perm.indexOf(x.channelAxis),
    },
    attrs: { perm },
  };
}

/** Picks one index along an axis and drops that axis (e.g. the class token). */
export function select(x: ValueType, axisIn: number, index: number): OpResult {
  const axis = normaliseAxis(axisIn, x.shape.length, "select");
  const d = x.shape[axis];
  if (!Number.isInteger(index) || (typeof d === "number" && (index >= d || index < -d)))
    fail("AxisRange", `select: index ${index} is out of range for axis ${axis} of ${formatShape(x.shape)}`);
  if (axis === x.channelAxis && slims(x.channels))
    fail("ChannelAxis", `select cannot pick one of ${describeLayout(x.channels)}: how many exist depends on the width`);
  const ca = x.channelAxis === null || x.channelAxis === axis ? null : x.channelAxis - (x.channelAxis > axis ? 1 : 0);
  return {
    type: {
      dtype: x.dtype,
      shape: x.shape.filter((_, i) => i !== axis),
      channelAxis: ca,
      channels: ca === null ? [] : x.channels,
    },
    attrs: { axis, index },
  };
}

export function mean(x: ValueType, axesIn: readonly number[], keepdims: boolean): OpResult {
  const axes = [...new Set(axesIn.map((a) => normaliseAxis(a, x.shape.length, "mean")))].sort((a, b) => a - b);
  if (axes.length === 0) fail("BadOption", "mean needs at least one axis");
  const shape = keepdims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const ca = x.channelAxis;
  const kept = ca === null || axes.includes(ca) ? null : keepdims ? ca : ca - axes.filter((a) => a < ca).length;
  return {
    type: { dtype: x.dtype, shape, channelAxis: kept, channels: kept === null ? [] : x.channels },
    attrs: { axes, keepdims },
  };
}

export function softmax(x: ValueType, axisIn: number): OpResult {
  return { type: x, attrs: { axis: normaliseAxis(axisIn, x.shape.length, "softmax") } };
}
