// A search problem: the cost table narrowed to the running tasks, the budget resolved to an absolute
// limit, and the utility model, all validated once, so that every strategy receives a problem it can
// solve without re-checking user input.

import type { CostTable } from "../../compiler/cost/types";
import type { Budget, BudgetMetric } from "../../compiler/ir/types";
import type { Constraints } from "./constraints";
import { latencyTerms, type LatencyTable } from "./latency";
import { formatAmount, formatPercent } from "../../compiler/cost/amounts";
import {
  assignments,
  compileMetric,
  fits,
  forEachAssignment,
  makeSpace,
  narrowest,
  partCost,
  totalCost,
  widest,
  type Genome,
  type Metric,
  type RawTerm,
  type Space,
} from "./space";
import { isSearchError, searchError, type ObjectiveName, type Plan, type PlanBudget, type SearchError } from "./types";
import { makeUtility, type Profile, type UtilityModel } from "./utility";

export interface ChebyshevScale {
  readonly ideal: Readonly<Record<string, number>>;
  readonly range: Readonly<Record<string, number>>;
}

export interface ProblemOptions {
  readonly seed?: number;
  /** What to optimise (default "sum"). */
  readonly objective?: ObjectiveName;
  readonly profile?: Profile;
  readonly latency?: LatencyTable;
  /** Plan a latency budget even on a table `mtl profile` flagged as unreliable. */
  readonly acceptUnreliableLatency?: boolean;
}

export interface Problem {
  readonly table: CostTable;
  readonly space: Space;
  readonly tasks: readonly string[];
  readonly prefer: Readonly<Record<string, number>>; // running tasks, sums to 1
  readonly budget: PlanBudget; // metric, absolute limit (Infinity if none), relative fraction, full cost
  readonly cost: Metric; // terms in the budget's metric
  readonly macs: Metric;
  readonly params: Metric;
  readonly latency: Metric | null;
  readonly utility: UtilityModel;
  readonly objective: ObjectiveName;
  /**
   * The Chebyshev objective's per-task scale (chebyshev.ts): loss_t = (ideal_t - u_t) / range_t, where
   * ideal_t is the task's best utility within the budget and range_t how far it falls at the other
   * tasks' best plans. Without it, loss_t = 1 - u_t.
   */
  readonly scale?: ChebyshevScale;
  /** Where the profile's measurements come from, when it says (mtl eval writes it). */
  readonly measured?: { readonly data: string; readonly split: string; readonly images: number };
  readonly seed: number;
  /** A configuration of least cost in the budget's metric (the narrowest one for MACs and params). */
  readonly cheapest: Genome;
  /**
   * Shared terms depend only on shared groups and each task's terms only on shared groups and its
   * own: then, once the shared groups are fixed, tasks are independent (what exact search needs).
   */
  readonly separable: boolean;
}

/** Beyond this many assignments the cheapest configuration is not searched for; see `cheapestOf`. */
const ENUMERATION_LIMIT = 4096;

/**
 * Weight of the weighted sum in the Chebyshev objective. Small enough that it only separates plans
 * whose largest weighted loss ties, large enough to keep every plan Pareto-optimal instead of only
 * weakly so.
 */
export const CHEBYSHEV_AUGMENT = 1e-3;

export const weightedSum = (p: Problem, g: Genome): number =>
  p.tasks.reduce((s, t) => s + p.prefer[t] * p.utility.utility(t, g), 0);

/** A task's loss on the Chebyshev scale: 0 at its best within the budget, 1 at its worst Pareto anchor. */
export const scaledLoss = (p: Problem, t: string, u: number): number =>
  p.scale ? (p.scale.ideal[t] - u) / p.scale.range[t] : 1 - u;

/** The largest preference-weighted scaled loss over the running tasks. */
export const weightedMaxLoss = (p: Problem, g: Genome): number =>
  p.tasks.reduce((m, t) => Math.max(m, p.prefer[t] * scaledLoss(p, t, p.utility.utility(t, g))), 0);

/** The preference-weighted sum of scaled losses. */
export const weightedLossSum = (p: Problem, g: Genome): number =>
  p.tasks.reduce((s, t) => s + p.prefer[t] * scaledLoss(p, t, p.utility.utility(t, g)), 0);

/** Augmented weighted Chebyshev, as a value to maximise: -(max_t p_t l_t + rho * sum_t p_t l_t). */
export const chebyshevValue = (maxLoss: number, lossSum: number): number => -(maxLoss + CHEBYSHEV_AUGMENT * lossSum);

export const objective = (p: Problem, g: Genome): number =>
  p.objective === "sum" ? weightedSum(p, g) : chebyshevValue(weightedMaxLoss(p, g), weightedLossSum(p, g));

function checkTable(table: CostTable): SearchError | null {
  const parts = ["shared", ...table.tasks];
  for (const g of table.groups) {
    if (!parts.includes(g.part))
      return searchError("bad-table", `group "${g.name}" belongs to unknown part "${g.part}"`);
    if (g.choices.length < 1 || g.choices.length > 255)
      return searchError("bad-table", `group "${g.name}" has ${g.choices.length} choices (1 to 255 supported)`);
  }
  for (const [i, t] of table.terms.entries()) {
    if (!parts.includes(t.part)) return searchError("bad-table", `cost term ${i} belongs to unknown part "${t.part}"`);
    let size = 1;
    for (const name of t.groups) {
      const g = table.groups.find((x) => x.name === name);
      if (!g) return searchError("bad-table", `cost term ${i} depends on unknown group "${name}"`);
      size *= g.choices.length;
    }
    if (t.macs.length !== size || t.params.length !== size)
      return searchError("bad-table", `cost term ${i} has ${t.macs.length} entries for ${size} choice combinations`);
  }
  return null;
}

function isSeparable(space: Space, metrics: readonly Metric[]): boolean {
  const shared = new Set(space.shared);
  return metrics.every((m) =>
    m.all.every((t) => {
      const own = new Set(t.part === "shared" ? [] : (space.own.get(t.part) ?? []));
      return Array.from(t.pos).every((p) => shared.has(p) || own.has(p));
    }),
  );
}

/**
 * The cheapest configuration. Costs from the compiler grow with width, so the narrowest one is the
 * cheapest; measured latencies may not (noise), so for separable problems of modest size the
 * minimum is searched exactly: per shared assignment, each task's cheapest own assignment.
 */
function cheapestOf(space: Space, cost: Metric, separable: boolean): Genome {
  const sharedN = assignments(space, space.shared);
  const ownOk = space.tasks.every((t) => assignments(space, space.own.get(t)!) <= ENUMERATION_LIMIT);
  if (!separable || sharedN > ENUMERATION_LIMIT || !ownOk) return narrowest(space);
  const g = narrowest(space);
  let best = narrowest(space);
  let bestCost = Infinity;
  forEachAssignment(space, space.shared, g, () => {
    let c = partCost(cost, "shared", g);
    for (const t of space.tasks) {
      const own = space.own.get(t)!;
      let min = Infinity;
      let arg: number[] = [];
      forEachAssignment(space, own, g, () => {
        const v = partCost(cost, t, g);
        if (v < min) {
          min = v;
          arg = Array.from(own, (p) => g[p]);
        }
      });
      own.forEach((p, i) => (g[p] = arg[i]));
      c += min;
    }
    if (c < bestCost) {
      bestCost = c;
      best = g.slice();
    }
  });
  return best;
}

export function buildProblem(
  table: CostTable,
  constraints: Constraints,
  options: ProblemOptions = {},
): Problem | SearchError {
  const tableError = checkTable(table);
  if (tableError) return tableError;
  const space = makeSpace(table, constraints.tasks);
  const raw = (key: "macs" | "params"): RawTerm[] =>
    table.terms.map((t) => ({ part: t.part, groups: t.groups, values: t[key] }));
  const macs = compileMetric(space, raw("macs"));
  const params = compileMetric(space, raw("params"));
  let latency: Metric | null = null;
  if (options.latency) {
    const terms = latencyTerms(options.latency, table, constraints.tasks);
    if (isSearchError(terms)) return terms;
    latency = compileMetric(space, terms);
  }
  const budget: Budget | null = constraints.budget;
  const metric: BudgetMetric = budget?.metric ?? "macs";
  if (metric === "latency" && !latency) {
    return searchError(
      "missing-latency",
      "a latency budget needs a latency table measured on the target device",
      "pass a latency table (from `mtl profile`), or budget macs or params instead",
    );
  }
  const quality = options.latency?.quality;
  if (metric === "latency" && quality && !quality.reliable && !options.acceptUnreliableLatency) {
    return searchError(
      "unreliable-latency",
      `the latency table was flagged as unreliable when it was measured: ${quality.problems.join("; ") || "see its quality record"}`,
      "profile again on a quieter machine or with more --runs; " +
        "or accept it (--accept-unreliable-latency, or acceptUnreliableLatency: true)",
    );
  }
  const cost = metric === "macs" ? macs : metric === "params" ? params : latency!;
  const full = totalCost(cost, widest(space));
  const limit = budget === null ? Infinity : budget.relative ? budget.value * full : budget.value;
  const separable = isSeparable(space, latency ? [macs, params, latency] : [macs, params]);
  const cheapest = cheapestOf(space, cost, separable);
  const minimum = totalCost(cost, cheapest);
  if (!fits(minimum, limit)) {
    const asked = budget?.relative
      ? `${formatPercent(budget.value)} = ${formatAmount(metric, limit)}`
      : formatAmount(metric, limit);
    return searchError(
      "infeasible",
      `budget ${metric} <= ${asked} is below the smallest achievable cost ${formatAmount(metric, minimum)} ` +
        `for ${constraints.tasks.join(", ")}`,
      `raise the budget to at least ${formatAmount(metric, minimum)} (${formatPercent(minimum / full)} ` +
        `of the full model), or run fewer tasks`,
      minimum,
    );
  }
  const utility = makeUtility(space, macs, table, options.profile);
  if (isSearchError(utility)) return utility;
  return {
    table,
    space,
    tasks: constraints.tasks,
    prefer: constraints.prefer,
    budget: { metric, limit, relative: budget?.relative ? budget.value : null, full },
    cost,
    macs,
    params,
    latency,
    utility,
    objective: options.objective ?? "sum",
    ...(options.profile?.measured
      ? {
          measured: {
            data: options.profile.measured.data,
            split: options.profile.measured.split,
            images: options.profile.measured.images,
          },
        }
      : {}),
    seed: options.seed ?? 1,
    cheapest,
    separable,
  };
}

/** Every strategy has this one shape, so that `plan` can pick among them and tests can compare them. */
export type Strategy = (problem: Problem) => Plan | SearchError;
