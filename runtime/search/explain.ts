// A plan as text for the CLI: what was chosen, what it costs against the budget, what each task is
// predicted to get, and why it stopped there.

import { formatAmount, formatPercent } from "../../compiler/cost/amounts";
import type { Plan } from "./types";

const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - s.length));

/** "measured on DIR, N images", "interpolated between ...", or "proxy". */
function sourceText(plan: Plan, task: string): string {
  const source = plan.utilitySource[task];
  const m = plan.measured;
  const on = m ? `${m.data} (${m.split}), ${m.images} images` : "the profile";
  if (source === "profile") return `measured on ${on}`;
  if (source === "interpolated") return `interpolated between configurations measured on ${on}`;
  return "proxy: no measurement";
}

export function explain(plan: Plan): string {
  const { budget, cost } = plan;
  const m = budget.metric;
  const lines: string[] = [];
  lines.push(`strategy: ${plan.strategy} (${plan.reason})`);
  lines.push(`tasks: ${plan.tasks.join(", ")}${plan.off.length ? `   off: ${plan.off.join(", ")}` : ""}`);
  if (Number.isFinite(budget.limit)) {
    const rel =
      budget.relative !== null ? ` (${formatPercent(budget.relative)} of ${formatAmount(m, budget.full)})` : "";
    lines.push(
      `budget: ${m} <= ${formatAmount(m, budget.limit)}${rel}; uses ${formatAmount(m, cost.total)} ` +
        `(${formatPercent(cost.total / budget.limit)} of budget)`,
    );
  } else {
    lines.push(
      `budget: none; uses ${formatAmount(m, cost.total)} ${m} (${formatPercent(cost.total / budget.full)} of the full model)`,
    );
  }
  lines.push(`binding: ${plan.binding.kind}: ${plan.binding.detail}`);
  const w = Math.max(5, ...plan.groups.map((g) => g.name.length));
  lines.push("widths:");
  for (const g of plan.groups)
    lines.push(`  ${pad(g.name, w)}  ${pad(g.part, 8)}  ${g.width} (choice ${g.choice + 1} of ${g.choices})`);
  lines.push(
    `cost (${m}): ${Object.entries(cost.byPart)
      .map(([p, v]) => `${p} ${formatAmount(m, v)}`)
      .join(", ")}`,
  );
  const other = [`${formatAmount("macs", cost.macs)} MACs`, `${formatAmount("params", cost.params)} params`];
  if (cost.latencyMs !== null) other.push(`${formatAmount("latency", cost.latencyMs)} predicted`);
  lines.push(`totals: ${other.join(", ")}`);
  lines.push("predicted utility (relative to full width):");
  for (const t of plan.tasks) {
    lines.push(
      `  ${pad(t, w)}  ${plan.utility[t].toFixed(3)}  preference ${plan.prefer[t].toFixed(2)}  (${sourceText(plan, t)})`,
    );
  }
  lines.push(
    plan.objectiveName === "chebyshev"
      ? `objective (chebyshev: -(max + 0.001 sum) of preference * scaled loss): ${plan.objective.toFixed(4)}`
      : `objective (sum preference * utility): ${plan.objective.toFixed(4)}`,
  );
  return lines.join("\n");
}
