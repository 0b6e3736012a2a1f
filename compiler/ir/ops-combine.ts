// Shape rules of the layers that combine values: elementwise arithmetic with broadcasting, and
// concatenation. Channel layouts must line up, since each operand is sliced by its own groups.

import { broadcastDim, dimsAgree, formatShape, sumDims } from "./dims";
import { describeLayout, fixedSeg, layoutOnAxis, sameLayout, slims } from "./layout";
import { normaliseAxis, type OpResult } from "./op-common";
import { fail } from "./shape-errors";
import type { Dim, Segment, ValueType } from "./types";

const LAYOUT_HINT = "give both sides the same width group, or project one side with a 1x1 conv / linear layer";

/**
 * The layout each operand brings to output axis `p` (right-aligned broadcasting), or null when it
 * broadcasts there (size 1) or does not reach that axis.
 */
function layoutAt(t: ValueType, p: number, rank: number): readonly Segment[] | null {
  const local = p - (rank - t.shape.length);
  if (local < 0) return null;
  const d = t.shape[local];
  if (d === 1) return null;
  if (t.channelAxis === local) return t.channels;
  return typeof d === "number" ? [fixedSeg(d)] : null;
}

/** Picks the output channel axis and checks that every operand agrees on its layout there. */
function combineChannels(
  ts: readonly ValueType[],
  rank: number,
  what: string,
): { axis: number | null; channels: readonly Segment[] } {
  const pos = (t: ValueType) => rank - t.shape.length + t.channelAxis!;
  const slimming = ts.filter((t) => t.channelAxis !== null && slims(t.channels));
  const slimAxes = [...new Set(slimming.map(pos))];
  if (slimAxes.length > 1)
    fail(
      "LayoutMismatch",
      `${what}: the operands' channels slim on different axes (${slimAxes.join(" and ")})`,
      "transpose one side first",
    );
  const withAxis = ts.filter((t) => t.channelAxis !== null && t.shape[t.channelAxis] !== 1);
  const axis = slimAxes[0] ?? (withAxis[0] ? pos(withAxis[0]) : null);
  if (axis === null) return { axis: null, channels: [] };
  let chosen: readonly Segment[] | null = null;
  for (const t of ts) {
    const l = layoutAt(t, axis, rank);
    if (l === null) continue;
    if (chosen === null) chosen = l;
    else if (!sameLayout(chosen, l))
      fail("LayoutMismatch", `${what} of ${describeLayout(chosen)} vs ${describeLayout(l)}`, LAYOUT_HINT);
    else if (slims(l) && !slims(chosen)) chosen = l;
  }
  return { axis, channels: chosen ?? [fixedSeg(1)] };
}

export function binary(op: string, a: ValueType, b: ValueType): OpResult {
  if (a.dtype !== b.dtype)
    fail("DType", `${op} of ${a.dtype} and ${b.dtype} values`, "both operands must have the same element type");
  if (a.dtype === "bool") fail("DType", `${op} is not defined on bool values`);
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a.shape[i - (rank - a.shape.length)] ?? 1;
    const db = b.shape[i - (rank - b.shape.length)] ?? 1;
    const d = broadcastDim(da, db);
    if (d === null)
      fail(
        "Broadcast",
        `${op} cannot broadcast ${formatShape(a.shape)} with ${formatShape(b.shape)}: axis ${i} has ${da} vs ${db}`,
      );
    shape.push(d);
  }
  const { axis, channels } = combineChannels([a, b], rank, op);
  return { type: { dtype: a.dtype, shape, channelAxis: axis, channels: axis === null ? [] : channels } };
}

export function concat(xs: readonly ValueType[], axisIn: number): OpResult {
  if (xs.length === 0) fail("BadOption", "concat needs at least one input");
  const rank = xs[0].shape.length;
  for (const t of xs) {
    if (t.shape.length !== rank)
      fail("Rank", `concat of values of different ranks: ${xs.map((x) => formatShape(x.shape)).join(", ")}`);
    if (t.dtype !== xs[0].dtype) fail("DType", `concat of ${xs[0].dtype} and ${t.dtype} values`);
  }
  const axis = normaliseAxis(axisIn, rank, "concat");
  const shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    if (i === axis) {
      shape.push(sumDims(xs.map((t) => t.shape[i])));
      continue;
    }
    // A size of 1 broadcasts to the others' size (a class token [1, 1, D] joins tokens [N, T, D]);
    // the lowering expands it.
    const all = xs.map((t) => t.shape[i]);
    const ds = all.some((d) => d !== 1) ? all.filter((d) => d !== 1) : all;
    const bad = ds.find((d) => !dimsAgree(ds[0], d));
    if (bad !== undefined)
      fail(
        "ConcatShape",
        `concat along axis ${axis}: the inputs differ on axis ${i} (${all.join(" vs ")})`,
        "resize or pad the inputs to the same size first",
      );
    shape.push(ds.find((d) => typeof d === "number") ?? ds[0]);
  }
  if (xs.some((t) => t.channelAxis === axis)) {
    // Along the channel axis: the layouts are stacked one after another.
    const channels = xs.flatMap((t) => layoutOnAxis(t, axis, "concat"));
    return { type: { dtype: xs[0].dtype, shape, channelAxis: axis, channels }, attrs: { axis } };
  }
  const { axis: ca, channels } = combineChannels(xs, rank, "concat");
  return {
    type: { dtype: xs[0].dtype, shape, channelAxis: ca, channels: ca === null ? [] : channels },
    attrs: { axis },
  };
}
