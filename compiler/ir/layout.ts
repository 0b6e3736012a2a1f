// Channel layouts (lists of segments): construction, comparison and wording for messages.

import { fail } from "./shape-errors";
import type { Segment, ValueType } from "./types";

export const fixedSeg = (n: number): Segment => ({ max: n, group: null, scale: 1, divisor: 1 });

/** The layout of a layer's output channels: one segment slimming with `group`, or fixed. */
export const outLayout = (n: number, group: string | null, divisor: number): Segment[] =>
  group === null ? [fixedSeg(n)] : [{ max: n, group, scale: 1, divisor }];

export const slims = (segs: readonly Segment[]): boolean => segs.some((s) => s.group !== null);

/** A parameter axis: the layout when it slims, null when it never does. */
export const paramAxis = (segs: readonly Segment[]): readonly Segment[] | null => (slims(segs) ? segs : null);

export function groupsOf(segs: readonly Segment[]): string[] {
  const out: string[] = [];
  for (const s of segs) if (s.group !== null && !out.includes(s.group)) out.push(s.group);
  return out;
}

/** Layout after flattening `k` trailing elements into each channel. */
export const scaleLayout = (segs: readonly Segment[], k: number): Segment[] =>
  segs.map((s) => ({ ...s, scale: s.scale * k }));

/** Merges neighbouring fixed segments: only the slimming structure matters for comparison. */
export function normalise(segs: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const last = out[out.length - 1];
    if (s.group === null && last && last.group === null)
      out[out.length - 1] = fixedSeg(last.max * last.scale + s.max * s.scale);
    else out.push(s.group === null ? fixedSeg(s.max * s.scale) : s);
  }
  return out;
}

export function sameLayout(a: readonly Segment[], b: readonly Segment[]): boolean {
  const x = normalise(a);
  const y = normalise(b);
  return (
    x.length === y.length &&
    x.every(
      (s, i) => s.max === y[i].max && s.group === y[i].group && s.scale === y[i].scale && s.divisor === y[i].divisor,
    )
  );
}

/** Plain words, for error messages: "64 channels slimming with group 'backbone'". */
export function describeLayout(segs: readonly Segment[]): string {
  return normalise(segs)
    .map((s) =>
      s.group === null
        ? `${s.max} fixed channels`
        : `${s.max} channels${s.scale > 1 ? ` (x${s.scale} each)` : ""} slimming with group '${s.group}'`,
    )
    .join(" + ");
}

/** Compact form, for dumps: "64@backbone", "1000", "512@backbone*49+10". */
export function formatLayout(segs: readonly Segment[]): string {
  return segs
    .map((s) => {
      const group = s.group === null ? "" : `@${s.group}`;
      const scale = s.scale > 1 ? `*${s.scale}` : "";
      const divisor = s.group !== null && s.divisor !== 8 ? `/${s.divisor}` : "";
      return `${s.max}${group}${scale}${divisor}`;
    })
    .join("+");
}

/**
 * The channel layout of `axis` of a value: its own channels when they sit on that axis, a fixed
 * layout when the value's channels never slim, and an error when they slim on another axis.
 */
export function layoutOnAxis(t: ValueType, axis: number, what: string): readonly Segment[] {
  if (t.channelAxis === axis) return t.channels;
  if (t.channelAxis !== null && slims(t.channels))
    fail(
      "ChannelAxis",
      `${what} works on axis ${axis}, but its input's channels (${describeLayout(t.channels)}) are on axis ${t.channelAxis}`,
      axis === t.shape.length - 1
        ? "flatten or transpose the input so that its channels come last"
        : "transpose the input first",
    );
  const d = t.shape[axis];
  if (typeof d !== "number")
    fail("SymbolicSize", `${what} needs a known size on axis ${axis}, but it is the symbolic '${d}'`);
  return [fixedSeg(d)];
}
