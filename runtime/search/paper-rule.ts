// The paper's rule (Aich et al., ICCV 2023): preferences set the decoder widths, the budget sets the
// encoder. Concretely:
// 1. Rank the running tasks by preference, equal preferences sharing a rank (dense ranking). With d
//    distinct preference levels, a task at rank r (0 = most preferred) gets the fraction
//    phi = (d - 1 - r) / (d - 1) of its decoder's width range (phi = 1 when d = 1): each of its
//    groups takes choice round((K - 1) * phi) of its K choices (halves round up). The most
//    preferred tasks get full-width decoders, the least preferred the narrowest.
// 2. With decoders fixed, pick the shared (encoder) assignment that fits the budget with the best
//    predicted objective; ties go to the wider (costlier) one. With a single encoder group and a
//    utility that grows with width, that is the widest encoder that fits.
// 3. If no encoder assignment fits, shrink decoders one step at a time, least preferred task first
//    (equal preferences: the task listed later in the model first; within a task, its widest group
//    first), until one does.
// Raising a task's preference never lowers its rank fraction phi, and moves it later in the shrink
// order, so its decoder never gets narrower (a property the tests check).

import type { Plan, SearchError } from "./types";
import { searchError } from "./types";
import { makePlan } from "./result";
import { assignments, fits, forEachAssignment, totalCost, type Genome } from "./space";
import { objective, type Problem } from "./problem";

/** Above this many shared assignments, step 2 climbs greedily instead of enumerating. */
const SHARED_ENUMERATION_LIMIT = 4096;

export function rankFractions(
  tasks: readonly string[],
  prefer: Readonly<Record<string, number>>,
): Record<string, number> {
  const levels = [...new Set(tasks.map((t) => prefer[t]))].sort((a, b) => b - a);
  const d = levels.length;
  return Object.fromEntries(tasks.map((t) => [t, d === 1 ? 1 : (d - 1 - levels.indexOf(prefer[t])) / (d - 1)]));
}

/** Step 2 by enumeration: sets the shared groups of `g`; false when none fits. */
function enumerateShared(p: Problem, g: Genome): boolean {
  let best: number[] | null = null;
  let bestValue = -Infinity;
  let bestCost = -Infinity;
  forEachAssignment(p.space, p.space.shared, g, () => {
    const c = totalCost(p.cost, g);
    if (!fits(c, p.budget.limit)) return;
    const v = objective(p, g);
    if (v > bestValue + 1e-12 || (v > bestValue - 1e-12 && c > bestCost)) {
      bestValue = v;
      bestCost = c;
      best = Array.from(p.space.shared, (pos) => g[pos]);
    }
  });
  if (best === null) return false;
  const chosen: number[] = best;
  p.space.shared.forEach((pos, i) => (g[pos] = chosen[i]));
  return true;
}

/** Step 2 for large per-layer encoders: from the narrowest, take the single-step widening with the
 * best objective gain per unit cost while one fits. */
function climbShared(p: Problem, g: Genome): boolean {
  for (const pos of p.space.shared) g[pos] = 0;
  if (!fits(totalCost(p.cost, g), p.budget.limit)) return false;
  for (;;) {
    const base = objective(p, g);
    const baseCost = totalCost(p.cost, g);
    let bestPos = -1;
    let bestScore = -Infinity;
    for (const pos of p.space.shared) {
      if (g[pos] + 1 >= p.space.size[pos]) continue;
      g[pos]++;
      const c = totalCost(p.cost, g);
      if (fits(c, p.budget.limit)) {
        const gain = objective(p, g) - base;
        const score = gain / Math.max(c - baseCost, 1e-12);
        if (gain >= 0 && score > bestScore) {
          bestScore = score;
          bestPos = pos;
        }
      }
      g[pos]--;
    }
    if (bestPos < 0) return true;
    g[bestPos]++;
  }
}

export function paperRule(p: Problem, reason = "requested"): Plan | SearchError {
  const { space, tasks, prefer } = p;
  const g = new Uint8Array(space.groups.length);
  const phi = rankFractions(tasks, prefer);
  for (const t of tasks) for (const pos of space.own.get(t)!) g[pos] = Math.round((space.size[pos] - 1) * phi[t]);

  const shrinkOrder = [...tasks].sort((a, b) => prefer[a] - prefer[b] || tasks.indexOf(b) - tasks.indexOf(a));
  const chooseShared = assignments(space, space.shared) <= SHARED_ENUMERATION_LIMIT ? enumerateShared : climbShared;
  for (;;) {
    if (chooseShared(p, g)) return makePlan(p, g, "paper", reason);
    const t = shrinkOrder.find((x) => space.own.get(x)!.some((pos) => g[pos] > 0));
    if (t === undefined) break;
    let widestPos = -1;
    for (const pos of space.own.get(t)!) if (widestPos < 0 || g[pos] >= g[widestPos]) widestPos = pos;
    g[widestPos]--;
  }
  return searchError(
    "infeasible",
    "no encoder configuration fits the budget even with every decoder at its narrowest",
    "raise the budget or run fewer tasks",
  );
}
