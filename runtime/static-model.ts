// A static model (compiled with --config or --budget) holds one configuration, but its file keeps
// the dynamic model's full cost table for reference. Everything that plans, lists or costs
// configurations must see only the one the graph runs, so the table is cut down to it here, once.
import type { CostTable, CostTerm } from "../compiler/cost/types";

/** Choice index of each group's static width in the full table (a mismatch means a corrupt file). */
export function staticChoices(
  costs: CostTable,
  widths: Readonly<Record<string, number>>,
): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const g of costs.groups) {
    const w = widths[g.name];
    const i = w === undefined ? -1 : g.choices.findIndex((c) => Math.abs(c - w) < 1e-9);
    if (i < 0)
      return `its static configuration gives group \`${g.name}\` width ${String(w)}, not one of ${g.choices.join(", ")}`;
    out[g.name] = i;
  }
  return out;
}

/** The cost table with every group reduced to its static choice: a table of exactly one configuration. */
export function restrictToStatic(costs: CostTable, choices: Readonly<Record<string, number>>): CostTable {
  const sizes = new Map(costs.groups.map((g) => [g.name, g.choices.length]));
  const terms: CostTerm[] = costs.terms.map((t) => {
    let flat = 0;
    for (const g of t.groups) flat = flat * sizes.get(g)! + choices[g];
    return { ...t, macs: [t.macs[flat]], params: [t.params[flat]] };
  });
  return { ...costs, groups: costs.groups.map((g) => ({ ...g, choices: [g.choices[choices[g.name]]] })), terms };
}

/** "e=0.75, seg=0.25" for messages. */
export const describeStatic = (widths: Readonly<Record<string, number>>): string =>
  Object.entries(widths)
    .map(([g, w]) => `${g}=${w}`)
    .join(", ");
