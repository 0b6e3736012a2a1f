// groupnorm: GroupNorm over axis 1 (PyTorch nn.GroupNorm). The channels may slim: at every width
// configuration the channel count must stay divisible by `groups`, so each group keeps whole
// channels; statistics are computed per sample and group, so no per-width rows are needed.
import { float } from "../elaborate/values";
import { expectFloat, expectMinRank, expectPositive, one, param, zero } from "../ir/op-common";
import { describeLayout, groupsOf, layoutOnAxis, paramAxis } from "../ir/layout";
import { fail } from "../ir/shape-errors";
import type { Segment } from "../ir/types";
import { channelsAt, layoutMax } from "../ir/width";
import { attr } from "../lower/scope";
import { expectAtLeast, numArg, tensorArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchGroupnorm } from "../export/torch/ops";
import { gradGroupnorm } from "../train/grad/norm";

export interface GroupNormOptions {
  readonly groups: number;
  readonly eps: number;
}

const layer: LayerDef = {
  name: "groupnorm",
  doc: "Group normalisation over axis 1 in `groups` groups of channels; `groups` must divide the channel count at every width.",
  hasParams: true,
  params: [X, { name: "groups", type: "int" }, { name: "eps", type: "float", default: float(1e-5) }],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "groups");
    return b.op(ctx, "groupnorm", [tensorArg(args, "x")], { groups: numArg(args, "groups"), eps: numArg(args, "eps") });
  },
};

/** Every channel count the layout takes, with the widths that give it (all combinations of its groups). */
function channelCounts(segs: readonly Segment[], choicesOf: (group: string) => readonly number[]): Map<number, string> {
  const counts = new Map<number, string>();
  const groups = groupsOf(segs);
  const visit = (i: number, widths: Record<string, number>): void => {
    if (i === groups.length) {
      const n = segs.reduce(
        (s, seg) => s + channelsAt(seg.max, seg.group === null ? 1 : widths[seg.group], seg.divisor) * seg.scale,
        0,
      );
      const where = groups.map((g) => `width ${widths[g]} of group '${g}'`).join(" and ");
      if (!counts.has(n)) counts.set(n, where);
      return;
    }
    for (const w of choicesOf(groups[i])) visit(i + 1, { ...widths, [groups[i]]: w });
  };
  visit(0, {});
  return counts;
}

export const groupnormSpec: OpSpec<"groupnorm", GroupNormOptions> = {
  kind: "groupnorm",
  gradient: gradGroupnorm,
  pytorch: torchGroupnorm,
  summary: "GroupNorm over axis 1; groups divide the channel count at every width",
  docs: { layers: [layer] },
  shape: (c, [x], o) => {
    expectMinRank(x, 2, "groupnorm");
    expectFloat(x, "groupnorm");
    expectPositive([o.groups], "groupnorm groups");
    if (!(o.eps > 0)) fail("BadOption", `groupnorm eps must be positive, got ${o.eps}`);
    const segs = layoutOnAxis(x, 1, "groupnorm");
    for (const [count, where] of channelCounts(segs, c.choicesOf))
      if (count % o.groups !== 0)
        fail(
          "GroupNormDivide",
          `groupnorm with ${o.groups} groups over ${describeLayout(segs)}: at ${where || "full width"} it has ${count} channels, ` +
            `which ${o.groups} groups do not divide`,
          `choose groups that divide both the full channel count and the width divisor (${c.divisor}), or make the layer fixed`,
        );
    const C = layoutMax(segs);
    const axes = [paramAxis(segs)];
    return {
      type: x,
      attrs: { groups: o.groups, eps: o.eps },
      params: { weight: param(`${c.name}.weight`, [C], axes, one), bias: param(`${c.name}.bias`, [C], axes, zero) },
    };
  },
  arity: 1,
  params: ["weight", "bias"],
  verify: (n, t, say) => {
    const C = t.inputs[0].shape[1];
    const w = t.params.get("weight");
    if (w && w[0] !== C) say(`node '${n.id}': groupnorm weight size is ${w[0]} but should be ${C}`);
    if (typeof C === "number" && C % n.attrs.groups !== 0)
      say(`node '${n.id}': ${n.attrs.groups} groups do not divide ${C} channels`);
  },
  macs: noMacs, // normalisation is not counted (the usual convention for published figures)
  // opset 17 has no GroupNormalization: normalise [N, G, rest] over its last axis, then scale and
  // shift per (slim) channel. Every shape is taken at run time, so the channel count may vary.
  lower: (c, n) => {
    const { groups, eps } = n.attrs;
    const lw = c.lowerer;
    const rank = c.inType(0).shape.length;
    const x = c.in(0);
    const grouped = c.emit.op1("Reshape", [x, lw.i64([0, groups, -1])]);
    const mean = c.emit.op1("ReduceMean", [grouped], [attr.ints("axes", [2]), attr.int("keepdims", 1)]);
    const centred = c.emit.op1("Sub", [grouped, mean]);
    const variance = c.emit.op1(
      "ReduceMean",
      [c.emit.op1("Mul", [centred, centred])],
      [attr.ints("axes", [2]), attr.int("keepdims", 1)],
    );
    const normed = c.emit.op1("Div", [centred, c.emit.op1("Sqrt", [c.emit.op1("Add", [variance, lw.f32([eps])])])]);
    const back = c.emit.op1("Reshape", [normed, c.emit.op1("Shape", [x])]);
    const perChannel = lw.i64([-1, ...new Array<number>(rank - 2).fill(1)]);
    const scale = c.emit.op1("Reshape", [c.param("weight"), perChannel]);
    const shift = c.emit.op1("Reshape", [c.param("bias"), perChannel]);
    c.emit.op("Add", [c.emit.op1("Mul", [back, scale]), shift], [], [c.out()]);
  },
  specialise: keepNode,
  dump: sortedAttrs,
};
