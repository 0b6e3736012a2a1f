// Switchable BatchNorm rows. A BatchNorm layer's batch statistics depend on the width of every group
// upstream of it, not only on the group its own channels slim with: a task head's first BatchNorm sees
// features the encoder computed at its own width. One row per width of the layer's own group would be
// shared by every encoder width, and calibration would average statistics that differ (measured on
// MultiMNIST: the largest configuration lost 5 points of accuracy). So running statistics (the op's
// `buffers`) keep one row per combination of the widths of the groups upstream of the layer (private
// statistics per configuration, restricted to the groups that can change its input), up to
// MAX_SWITCH_ROWS rows; past that, one row per width of its own group. The learned scale and shift
// stay one row per width of the layer's own group, so each row keeps the training signal of every
// configuration that uses that width (docs/training.md, "Switchable BatchNorm").
import { specOf } from "../ops";
import { groupsOf } from "./layout";
import type { Config, Node, Param, Value, WidthGroup } from "./types";

export const MAX_SWITCH_ROWS = 64;

function groupOf(groups: readonly WidthGroup[], name: string): WidthGroup {
  const g = groups.find((x) => x.name === name);
  if (!g) throw new Error(`internal: unknown width group ${name}`);
  return g;
}

/** Rows a parameter stores: the product of its keying groups' choice counts (1 when not switchable). */
export function switchRows(groups: readonly WidthGroup[], p: Param): number {
  if (p.perWidth === null) return 1;
  return p.perWidth.reduce((n, name) => n * groupOf(groups, name).choices.length, 1);
}

/**
 * The row a configuration reads: the keying groups' choice indices as a mixed-radix number (the
 * first group most significant); a group the configuration leaves out takes its last (widest) choice.
 */
export function switchRow(groups: readonly WidthGroup[], p: Param, config: Config): number {
  if (p.perWidth === null) return 0;
  let row = 0;
  for (const name of p.perWidth) {
    const g = groupOf(groups, name);
    row = row * g.choices.length + (config[name] ?? g.choices.length - 1);
  }
  return row;
}

/**
 * Keys every switchable statistic by the groups upstream of the nodes that use it (in `groups`
 * order). Other parameters come back unchanged. Nodes must be in topological order.
 */
export function keySwitchableRows(
  nodes: readonly Node[],
  values: ReadonlyMap<string, Value>,
  params: ReadonlyMap<string, Param>,
  groups: readonly WidthGroup[],
): Map<string, Param> {
  const upstream = new Map<string, Set<string>>();
  const keys = new Map<string, Set<string>>();
  for (const n of nodes) {
    const seen = new Set<string>();
    for (const v of n.inputs) {
      for (const g of upstream.get(v) ?? []) seen.add(g);
      for (const g of groupsOf(values.get(v)?.type.channels ?? [])) seen.add(g);
    }
    for (const name of Object.values(n.params))
      for (const axis of params.get(name)?.axes ?? []) for (const g of groupsOf(axis ?? [])) seen.add(g);
    for (const v of n.outputs) upstream.set(v, seen);
    const buffers = specOf(n.op).buffers ?? [];
    for (const [role, name] of Object.entries(n.params)) {
      if (params.get(name)?.perWidth == null || !buffers.includes(role)) continue;
      const key = keys.get(name) ?? new Set<string>();
      seen.forEach((g) => key.add(g));
      keys.set(name, key);
    }
  }
  const out = new Map(params);
  for (const [name, key] of keys) {
    const p = params.get(name)!;
    const wide = groups.filter((g) => key.has(g.name)).map((g) => g.name);
    const keyed: Param = { ...p, perWidth: wide };
    const fits = wide.length > 0 && switchRows(groups, keyed) <= MAX_SWITCH_ROWS;
    out.set(name, fits ? keyed : p);
  }
  return out;
}
