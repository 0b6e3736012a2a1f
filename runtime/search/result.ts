// Turns a strategy's chosen configuration into a Plan that explains itself: cost per part against
// the budget, predicted utility per task, and what stopped it from going wider. Every strategy goes
// through here, so plans are reported the same way whichever search found them.

import { formatAmount } from "../../compiler/cost/amounts";
import { objective, type Problem } from "./problem";
import { costByPart, fits, toConfig, totalCost, type Genome } from "./space";
import type { BindingKind, Plan, StrategyName } from "./types";

function binding(p: Problem, g: Genome): { kind: BindingKind; detail: string } {
  const { space, budget } = p;
  const narrow = Array.from(space.active).filter((pos) => g[pos] < space.size[pos] - 1);
  if (narrow.length === 0) {
    const room = Number.isFinite(budget.limit)
      ? `uses ${formatAmount(budget.metric, totalCost(p.cost, g))} of ${formatAmount(budget.metric, budget.limit)}`
      : "no budget given";
    return { kind: "max-width", detail: `every group is at full width (${room})` };
  }
  const base = objective(p, g);
  const roomy: string[] = [];
  for (const pos of narrow) {
    g[pos]++;
    if (fits(totalCost(p.cost, g), budget.limit)) {
      const grp = space.groups[pos];
      const gain = objective(p, g) - base;
      const owner = grp.part === "shared" ? "shared" : `${grp.part}, preference ${p.prefer[grp.part].toFixed(2)}`;
      roomy.push(
        `${grp.name} (${owner}) could widen to ${grp.choices[g[pos]]} within budget (objective ` +
          `${gain >= 0 ? "+" : ""}${gain.toPrecision(2)})`,
      );
    }
    g[pos]--;
  }
  if (roomy.length > 0) return { kind: "preference", detail: roomy.join("; ") };
  const headroom = budget.limit - totalCost(p.cost, g);
  return {
    kind: "budget",
    detail: `no group can widen one step within the budget (headroom ${formatAmount(budget.metric, headroom)})`,
  };
}

export function makePlan(p: Problem, genome: Genome, strategy: StrategyName, reason = "requested"): Plan {
  const g = genome.slice();
  const { space } = p;
  const config = toConfig(space, g);
  return {
    kind: "plan",
    strategy,
    reason,
    tasks: p.tasks,
    off: p.table.tasks.filter((t) => !p.tasks.includes(t)),
    config,
    widths: Object.fromEntries(space.groups.map((grp, i) => [grp.name, grp.choices[g[i]]])),
    groups: Array.from(space.active, (pos) => {
      const grp = space.groups[pos];
      return {
        name: grp.name,
        part: grp.part,
        choice: g[pos],
        choices: grp.choices.length,
        width: grp.choices[g[pos]],
      };
    }),
    budget: p.budget,
    cost: {
      metric: p.budget.metric,
      total: totalCost(p.cost, g),
      byPart: costByPart(p.cost, space, g),
      macs: totalCost(p.macs, g),
      params: totalCost(p.params, g),
      latencyMs: p.latency ? totalCost(p.latency, g) : null,
    },
    prefer: p.prefer,
    utility: Object.fromEntries(p.tasks.map((t) => [t, p.utility.utility(t, g)])),
    utilitySource: Object.fromEntries(p.tasks.map((t) => [t, p.utility.sourceAt(t, g)])),
    measured: p.measured ?? null,
    objectiveName: p.objective,
    objective: objective(p, g),
    binding: binding(p, g),
  };
}
