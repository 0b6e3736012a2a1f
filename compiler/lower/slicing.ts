// Width slicing: every slim size is a Gather from a small int64 table (the size at each width
// choice of its group) indexed by the group's `width.<group>` input; parameters are cut with
// Slice on their initializers. Activations never need cutting: they come out of cut weights.
import type { Param, Segment } from "../ir/types";
import { channelsAt, layoutLength as layoutLengthAt, layoutMax } from "../ir/width";
import { attr, Emitter, type Lowerer } from "./scope";

import { widthInputName } from "../io-names";

export { runInputName, widthInputName } from "../io-names";

export const slims = (segs: readonly Segment[] | null): boolean => segs !== null && segs.some((s) => s.group !== null);

function groupChoices(lw: Lowerer, group: string): readonly number[] {
  const g = lw.graph.groups.find((x) => x.name === group);
  if (!g) throw new Error(`internal: unknown width group ${group}`);
  return g.choices;
}

/** Size helpers live in the main graph, where every branch can see them. */
const topEmitter = (lw: Lowerer): Emitter => new Emitter(lw.top, "widths", "");

/** `width.<group>` as a 1-D [1] tensor, so that table lookups come out ready for Slice. */
function widthIndex1d(lw: Lowerer, group: string): string {
  const key = `width1d:${group}`;
  return (
    lw.top.lookup(key) ??
    lw.top.remember(
      key,
      topEmitter(lw).op1(
        "Unsqueeze",
        [widthInputName(group), lw.i64([0])],
        [],
        lw.values.fresh(`${widthInputName(group)}/1d`),
      ),
    )
  );
}

/**
 * int64 scalar: the row of a switchable parameter (ir/switchable.ts), its groups' width indices as one
 * mixed-radix number, first group most significant. Named `row.<g1>*<g2>` so readers of the file
 * (runtime/parameters.ts) can tell which groups key a parameter.
 */
export function switchRowIndex(lw: Lowerer, groups: readonly string[]): string {
  if (groups.length === 1) return widthInputName(groups[0]);
  const key = `row:${groups.join("*")}`;
  const known = lw.top.lookup(key);
  if (known) return known;
  const e = topEmitter(lw);
  let row = widthInputName(groups[0]);
  groups.slice(1).forEach((g, i) => {
    const scaled = e.op1("Mul", [row, lw.i64([groupChoices(lw, g).length], [])]);
    const name = i === groups.length - 2 ? lw.values.fresh(`row.${groups.join("*")}`) : undefined;
    row = e.op1("Add", [scaled, widthInputName(g)], [], name);
  });
  return lw.top.remember(key, row);
}

/** int64 [1]: `offset` plus the segment's length at run time (a constant when it never slims). */
export function segmentEnd(lw: Lowerer, seg: Segment, offset: number): string {
  if (seg.group === null) return lw.i64([offset + seg.max * seg.scale]);
  const key = `end:${seg.group}:${seg.max}x${seg.scale}/${seg.divisor}+${offset}`;
  const known = lw.top.lookup(key);
  if (known) return known;
  const table = groupChoices(lw, seg.group).map((w) => offset + channelsAt(seg.max, w, seg.divisor) * seg.scale);
  const tableName = lw.i64(table);
  const end = topEmitter(lw).op1(
    "Gather",
    [tableName, widthIndex1d(lw, seg.group)],
    [attr.int("axis", 0)],
    lw.values.fresh(`len.${seg.group}.${seg.max}x${seg.scale}${offset ? `+${offset}` : ""}`),
  );
  return lw.top.remember(key, end);
}

/** int64 [n]: the run-time lengths of n single-segment axes, for one multi-axis Slice. */
function axisEnds(lw: Lowerer, segs: readonly Segment[]): string {
  if (segs.length === 1) return segmentEnd(lw, segs[0], 0);
  const key = `ends:${segs.map((s) => `${s.group}:${s.max}x${s.scale}/${s.divisor}`).join(",")}`;
  const known = lw.top.lookup(key);
  if (known) return known;
  const groups = [...new Set(segs.map((s) => s.group))];
  const e = topEmitter(lw);
  let ends: string;
  if (groups.length === 1 && groups[0] !== null) {
    // One group: a [K, n] table, one row per width choice, shared by every layer of these sizes.
    const choices = groupChoices(lw, groups[0]);
    const table = choices.flatMap((w) => segs.map((s) => channelsAt(s.max, w, s.divisor) * s.scale));
    const name = lw.values.fresh(`len.${groups[0]}.${segs.map((s) => `${s.max}x${s.scale}`).join(".")}`);
    ends = e.op1(
      "Gather",
      [lw.i64(table, [choices.length, segs.length]), widthInputName(groups[0])],
      [attr.int("axis", 0)],
      name,
    );
  } else {
    ends = e.op1(
      "Concat",
      segs.map((s) => segmentEnd(lw, s, 0)),
      [attr.int("axis", 0)],
    );
  }
  return lw.top.remember(key, ends);
}

/** int64 [1]: the run-time length of a channel layout. */
export function layoutLength(lw: Lowerer, segs: readonly Segment[]): string {
  if (!slims(segs)) return lw.i64([layoutMax(segs)]);
  if (segs.length === 1) return segmentEnd(lw, segs[0], 0);
  const key = `layout:${segs.map((s) => `${s.group}:${s.max}x${s.scale}/${s.divisor}`).join(",")}`;
  const known = lw.top.lookup(key);
  if (known) return known;
  const groups = [...new Set(segs.flatMap((s) => (s.group === null ? [] : [s.group])))];
  const e = topEmitter(lw);
  let length: string;
  if (groups.length === 1) {
    // One group (e.g. a concat of two layers of the same encoder): one table of whole lengths.
    const table = groupChoices(lw, groups[0]).map((_, i) => layoutLengthAt(lw.graph, segs, { [groups[0]]: i }));
    length = e.op1(
      "Gather",
      [lw.i64(table), widthIndex1d(lw, groups[0])],
      [attr.int("axis", 0)],
      lw.values.fresh(`len.${groups[0]}.layout`),
    );
  } else {
    length = segs
      .map((s) => segmentEnd(lw, s, 0))
      .reduce((a, b) => e.op1("Add", [a, b], [], lw.values.fresh("len.layout")));
  }
  return lw.top.remember(key, length);
}

/** Every length a layout can take, ascending, over the configurations of the groups it uses. */
export function possibleLengths(lw: Lowerer, segs: readonly Segment[]): number[] {
  const groups = [...new Set(segs.flatMap((s) => (s.group === null ? [] : [s.group])))];
  let configs: Record<string, number>[] = [{}];
  for (const g of groups) {
    configs = configs.flatMap((c) => groupChoices(lw, g).map((_, i) => ({ ...c, [g]: i })));
    if (configs.length > 4096)
      throw new Error(`internal: too many width combinations for one layer (groups ${groups.join(", ")})`);
  }
  return [...new Set(configs.map((c) => layoutLengthAt(lw.graph, segs, c)))].sort((a, b) => a - b);
}

/**
 * A parameter cut to the current configuration: its row for the current width when switchable
 * (Gather), then the first k entries of every slim axis (Slice). Axes made of several segments
 * (concat inputs, stacked q/k/v) are cut piecewise and concatenated.
 */
export function cutParam(e: Emitter, name: string): string {
  const key = `param:${name}`;
  const known = e.scope.lookup(key);
  if (known) return known;
  const lw = e.lower;
  const p: Param = lw.param(name);
  let v = lw.paramInitializer(p);
  if (p.perWidth !== null && !lw.sharedRows(p))
    v = e.op1("Gather", [v, switchRowIndex(lw, p.perWidth)], [attr.int("axis", 0)]);
  const single = p.axes.flatMap((segs, axis) => (slims(segs) && segs!.length === 1 ? [axis] : []));
  if (single.length > 0) {
    const end = axisEnds(
      lw,
      single.map((axis) => p.axes[axis]![0]),
    );
    v = e.op1("Slice", [v, lw.i64(single.map(() => 0)), end, lw.i64(single)]);
  }
  p.axes.forEach((segs, axis) => {
    if (!slims(segs) || segs!.length === 1) return;
    let offset = 0;
    const pieces = segs!.map((s) => {
      const piece = e.op1("Slice", [v, lw.i64([offset]), segmentEnd(lw, s, offset), lw.i64([axis])]);
      offset += s.max * s.scale;
      return piece;
    });
    v = e.op1("Concat", pieces, [attr.int("axis", axis)]);
  });
  return e.scope.remember(key, v);
}
