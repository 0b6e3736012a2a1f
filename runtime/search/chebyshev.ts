// The scale of the Chebyshev objective. Utilities relative to full width differ in spread between
// tasks (one digit loses 0.5 points at half width, the other 3), so an unscaled max_t p_t (1 - u_t)
// lets the task that degrades more win at almost every preference, and most preferences map to the
// same plan. As is usual for Chebyshev scalarisations, each task's loss is scaled by its own range
// within the budget: 0 at its ideal (its best utility that fits) and 1 at its nadir (its worst
// utility among the other tasks' ideal plans, the payoff table's estimate). Then equal preferences
// ask for the same fraction of each task's range, and the preference simplex spreads over the
// Pareto front instead of over the few points where one task dominates the max.

import type { ChebyshevScale, Problem } from "./problem";
import type { Plan, SearchError } from "./types";
import { isSearchError } from "./types";

/** Below this range a task is not in conflict with the others: its loss stays 1 - u. */
const MIN_RANGE = 1e-9;

/** Weight left on the other tasks when a task's ideal is sought, so ties go to the better plan for them. */
const ANCHOR_TIE = 1e-6;

/**
 * Solves one single-task problem per running task (`solve` is the strategy that will also solve the
 * scaled problem) and returns the problem with its Chebyshev scale.
 */
export function withChebyshevScale(p: Problem, solve: (q: Problem) => Plan | SearchError): Problem | SearchError {
  const n = p.tasks.length;
  if (n < 2) return p;
  const anchors: Plan[] = [];
  for (const t of p.tasks) {
    const prefer = Object.fromEntries(p.tasks.map((s) => [s, s === t ? 1 - ANCHOR_TIE : ANCHOR_TIE / (n - 1)]));
    const a = solve({ ...p, objective: "sum", prefer, scale: undefined });
    if (isSearchError(a)) return a;
    anchors.push(a);
  }
  const ideal: Record<string, number> = {};
  const range: Record<string, number> = {};
  p.tasks.forEach((t, i) => {
    const best = Math.max(...anchors.map((a) => a.utility[t]));
    const worst = Math.min(...anchors.filter((_, j) => j !== i).map((a) => a.utility[t]));
    const r = best - worst;
    ideal[t] = r > MIN_RANGE ? best : 1;
    range[t] = r > MIN_RANGE ? r : 1;
  });
  const scale: ChebyshevScale = { ideal, range };
  return { ...p, scale };
}
