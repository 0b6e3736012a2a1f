// Exact search: maximise sum_t prefer_t * utility_t subject to the budget. Once the shared (encoder)
// groups are fixed, each task's cost and utility depend only on its own groups, so the rest is a
// multiple-choice knapsack: one class per running task, one item per assignment of its own groups.
// Enumerating the shared assignments and solving each knapsack exactly (mckp.ts) gives the optimum
// over the whole space, up to objective differences of 1e-12 (ties keep the first found).
// Cost: (shared assignments) x (sum of tasks' own assignments) utility evaluations plus the
// branch-and-bound nodes; `plan` uses it only when that product is small (see index.ts).

import { searchError, type Plan, type SearchError } from "./types";
import { solveMckp, type Item } from "./mckp";
import { makePlan } from "./result";
import { fits, forEachAssignment, narrowest, partCost } from "./space";
import type { Problem } from "./problem";

export function exact(p: Problem, reason = "requested"): Plan | SearchError {
  if (!p.separable) {
    return searchError(
      "bad-table",
      "exact search needs each task's cost to depend only on shared groups and its own",
      'use strategy "evolutionary"',
    );
  }
  const { space, tasks, budget } = p;
  const capacity = budget.limit + 1e-9 * Math.abs(budget.limit); // same tolerance as `fits`
  const g = narrowest(space);
  let best: Uint8Array | null = null;
  let bestValue = -Infinity;
  let bestCost = Infinity;

  forEachAssignment(space, space.shared, g, () => {
    const shared = partCost(p.cost, "shared", g);
    if (!fits(shared, budget.limit)) return;
    const classes: Item[][] = [];
    const assigns: Uint8Array[][] = [];
    let optimistic = 0; // every task at its best: a bound that skips hopeless encoder choices cheaply
    for (const t of tasks) {
      const own = space.own.get(t)!;
      const items: Item[] = [];
      const as: Uint8Array[] = [];
      forEachAssignment(space, own, g, () => {
        items.push({ cost: partCost(p.cost, t, g), value: p.prefer[t] * p.utility.utility(t, g) });
        as.push(Uint8Array.from(own, (pos) => g[pos]));
      });
      optimistic += Math.max(...items.map((i) => i.value));
      classes.push(items);
      assigns.push(as);
    }
    if (optimistic <= bestValue + 1e-12) return;
    const sol = solveMckp(classes, capacity - shared);
    if (!sol) return;
    const total = shared + sol.cost;
    if (sol.value > bestValue + 1e-12 || (sol.value > bestValue - 1e-12 && total < bestCost)) {
      bestValue = sol.value;
      bestCost = total;
      best = g.slice();
      tasks.forEach((t, i) => space.own.get(t)!.forEach((pos, j) => (best![pos] = assigns[i][sol.pick[i]][j])));
    }
  });
  if (!best) return searchError("infeasible", "no configuration fits the budget", "raise the budget");
  return makePlan(p, best, "exact", reason);
}
