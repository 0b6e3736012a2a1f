// Exact search: maximise sum_t prefer_t * utility_t subject to the budget. Once the shared (encoder)
// groups are fixed, each task's cost and utility depend only on its own groups, so the rest is a
// multiple-choice knapsack: one class per running task, one item per assignment of its own groups.
// Enumerating the shared assignments and solving each knapsack exactly (mckp.ts) gives the optimum
// over the whole space, up to objective differences of 1e-12 (ties keep the first found).
// Cost: (shared assignments) x (sum of tasks' own assignments) utility evaluations plus the
// branch-and-bound nodes; `plan` uses it only when that product is small (see index.ts).
//
// The Chebyshev objective (-(max_t p_t l_t + rho * sum_t p_t l_t), l_t a task's scaled loss) is solved
// exactly the same way per shared assignment: for each candidate threshold lambda (the distinct
// values p_t l_t of the tasks' items, ascending), keep only items at or below lambda and solve that
// knapsack for the smallest weighted loss sum; the first feasible lambda is the smallest achievable
// maximum, and larger ones are tried only while they could still win through the sum term.

import { searchError, type Plan, type SearchError } from "./types";
import { solveMckp, type Item } from "./mckp";
import { makePlan } from "./result";
import { fits, forEachAssignment, narrowest, partCost } from "./space";
import { chebyshevValue, scaledLoss, type Problem } from "./problem";

/**
 * One task's own assignment: its cost, its value to the knapsack (sum: p_t u_t; chebyshev: -p_t l_t)
 * and its weighted scaled loss p_t l_t.
 */
interface Choice extends Item {
  readonly loss: number;
}

interface Solved {
  readonly score: number; // the objective, higher is better
  readonly cost: number;
  readonly pick: Int32Array; // per task, the index of its chosen item
}

const EPS = 1e-12;

function bestSum(classes: readonly (readonly Choice[])[], capacity: number): Solved | null {
  const sol = solveMckp(classes, capacity);
  return sol && { score: sol.value, cost: sol.cost, pick: sol.pick };
}

function bestChebyshev(classes: readonly (readonly Choice[])[], capacity: number): Solved | null {
  const lambdas = [...new Set(classes.flatMap((c) => c.map((i) => i.loss)))].sort((a, b) => a - b);
  const sumMax = classes.reduce((s, c) => s + Math.max(...c.map((i) => i.value)), 0);
  let best: Solved | null = null;
  for (const lambda of lambdas) {
    if (best && chebyshevValue(lambda, -sumMax) <= best.score + EPS) break;
    const kept = classes.map((c) => c.map((item, i) => ({ item, i })).filter((x) => x.item.loss <= lambda + EPS));
    if (kept.some((k) => k.length === 0)) continue;
    const sol = solveMckp(
      kept.map((k) => k.map((x) => x.item)),
      capacity,
    );
    if (!sol) continue;
    const pick = Int32Array.from(sol.pick, (j, c) => kept[c][j].i);
    const maxLoss = Math.max(...Array.from(pick, (i, c) => classes[c][i].loss));
    const score = chebyshevValue(maxLoss, -sol.value);
    if (!best || score > best.score + EPS) best = { score, cost: sol.cost, pick };
  }
  return best;
}

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
    const classes: Choice[][] = [];
    const assigns: Uint8Array[][] = [];
    let optimistic = 0; // every task at its best: a bound that skips hopeless encoder choices cheaply
    let leastLoss = 0; // the largest of the tasks' smallest weighted losses: no plan here does better
    for (const t of tasks) {
      const own = space.own.get(t)!;
      const items: Choice[] = [];
      const as: Uint8Array[] = [];
      forEachAssignment(space, own, g, () => {
        const u = p.utility.utility(t, g);
        const loss = p.prefer[t] * scaledLoss(p, t, u);
        items.push({ cost: partCost(p.cost, t, g), value: p.objective === "sum" ? p.prefer[t] * u : -loss, loss });
        as.push(Uint8Array.from(own, (pos) => g[pos]));
      });
      optimistic += Math.max(...items.map((i) => i.value));
      leastLoss = Math.max(leastLoss, Math.min(...items.map((i) => i.loss)));
      classes.push(items);
      assigns.push(as);
    }
    const bound = p.objective === "sum" ? optimistic : chebyshevValue(leastLoss, -optimistic);
    if (bound <= bestValue + EPS) return;
    const sol = p.objective === "sum" ? bestSum(classes, capacity - shared) : bestChebyshev(classes, capacity - shared);
    if (!sol) return;
    const total = shared + sol.cost;
    if (sol.score > bestValue + EPS || (sol.score > bestValue - EPS && total < bestCost)) {
      bestValue = sol.score;
      bestCost = total;
      best = g.slice();
      tasks.forEach((t, i) => space.own.get(t)!.forEach((pos, j) => (best![pos] = assigns[i][sol.pick[i]][j])));
    }
  });
  if (!best) return searchError("infeasible", "no configuration fits the budget", "raise the budget");
  return makePlan(p, best, "exact", reason);
}
