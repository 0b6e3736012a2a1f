// The cost of a named configuration (no plan behind it), from the model's factorised cost table,
// and the configuration as `group=width` text for replies and metric labels.
import type { Config } from "../../compiler/ir/types";
import type { MtlModel } from "../model";
import { compileMetric, makeSpace, totalCost } from "../search/space";

export function configCost(
  m: MtlModel,
  config: Config,
  tasks: readonly string[],
): { macs: number; params: number; fullMacs: number } {
  const space = makeSpace(m.costs, tasks);
  const metric = (pick: "macs" | "params") =>
    compileMetric(
      space,
      m.costs.terms.map((t) => ({ part: t.part, groups: t.groups, values: t[pick] })),
    );
  const g = Uint8Array.from(m.costs.groups, (grp) => config[grp.name] ?? grp.choices.length - 1);
  const full = Uint8Array.from(m.costs.groups, (grp) => grp.choices.length - 1);
  const macs = metric("macs");
  return { macs: totalCost(macs, g), params: totalCost(metric("params"), g), fullMacs: totalCost(macs, full) };
}

export const configText = (m: MtlModel, config: Config): string =>
  // The cost table's groups: for a static model they hold its one width each.
  m.costs.groups.map((g) => `${g.name}=${g.choices[config[g.name] ?? g.choices.length - 1]}`).join(",");
