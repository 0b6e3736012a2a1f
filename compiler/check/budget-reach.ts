// A declared MACs or parameter budget below the cost of the model's cheapest configuration (every
// group at its narrowest, every task on) can never be met: `mtl run` and `mtl search` without a
// budget of their own would fail on every input. A warning, not an error: the file still compiles
// to a model that runs under a budget given at run time, or with fewer tasks.
import type * as A from "../ast";
import { formatAmount, formatPercent } from "../cost/amounts";
import { buildCostTable, costAt } from "../cost/table";
import type { Graph } from "../ir/types";
import { dce } from "../passes/dce";
import type { Report } from "./model-items";

const METRIC_OF: Readonly<Record<string, "macs" | "params">> = { macs: "macs", flops: "macs", params: "params" };

export function checkBudgetsReachable(graph: Graph, decls: readonly A.BudgetDecl[], report: Report): void {
  const counted = graph.budgets.filter((b) => b.metric === "macs" || b.metric === "params");
  if (!counted.length) return;
  const table = buildCostTable(dce(graph)); // as compile's table counts: without unused layers
  const widest = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
  const narrowest = Object.fromEntries(graph.groups.map((g) => [g.name, 0]));
  const [full, cheapest] = [costAt(table, widest), costAt(table, narrowest)];
  for (const budget of counted) {
    const metric = budget.metric as "macs" | "params";
    const decl = decls.find((d) => METRIC_OF[d.metric.name] === metric);
    if (!decl) continue;
    const limit = budget.relative ? budget.value * full[metric] : budget.value;
    const minimum = cheapest[metric];
    if (limit >= minimum) continue;
    const flops = decl.metric.name === "flops" ? 2 : 1; // as the budget was written
    const smallest = `${formatAmount(metric, minimum * flops)} (${formatPercent(minimum / full[metric])})`;
    report(
      "MTL5018",
      decl.value.span,
      `no configuration fits this budget: ${formatAmount(metric, limit * flops)} ${decl.metric.name}, ` +
        `but the narrowest configuration with every task costs ${smallest}`,
      `raise the budget to at least ${smallest}; run and search would need a budget of their own or fewer tasks`,
    );
  }
}
