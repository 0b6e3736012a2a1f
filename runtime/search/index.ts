// The runtime's entry point: user constraints in, an explained plan (or a SearchError) out.
// "auto" runs the exact search when its work is small, else the evolutionary one.

import type { CostTable } from "../../compiler/cost/types";
import { parseConstraints, type ConstraintsInput } from "./constraints";
import { evolutionary } from "./evolutionary";
import { exact } from "./exact";
import { withChebyshevScale } from "./chebyshev";
import type { LatencyTable } from "./latency";
import { paperRule } from "./paper-rule";
import { buildProblem, type Problem } from "./problem";
import { assignments } from "./space";
import {
  isSearchError,
  OBJECTIVE_OPTIONS,
  searchError,
  STRATEGY_OPTIONS,
  type ObjectiveName,
  type Plan,
  type SearchError,
  type StrategyOption,
} from "./types";
import type { Profile } from "./utility";

export interface PlanOptions {
  readonly strategy?: StrategyOption;
  /** What to optimise (default "sum"): see ObjectiveName and docs/search.md. */
  readonly objective?: ObjectiveName;
  /** Seed of the evolutionary search (default 1): the same inputs and seed give the same plan. */
  readonly seed?: number;
  /**
   * Measured utility per configuration (docs/search.md); tasks it leaves out use the proxy. A loaded
   * model's plan() defaults to the profile stored in the file; null there means the proxy.
   */
  readonly profile?: Profile | null;
  /** Measured latency per part; required for a latency budget. */
  readonly latency?: LatencyTable;
  /** Plan a latency budget even on a table `mtl profile` flagged as unreliable (default: refuse). */
  readonly acceptUnreliableLatency?: boolean;
}

/**
 * Work of the exact search: utility evaluations = (shared assignments) x (sum over running tasks
 * of their own assignments). Measured (bench/search.ts and per-layer variants), exact is faster
 * than the evolutionary search up to about this much work and slower beyond (3-5x at 16k), so
 * auto keeps the exact optimum wherever it is also the cheaper search.
 */
export const EXACT_WORK_LIMIT = 4096;

export function exactWork(p: Problem): number {
  const own = p.tasks.reduce((s, t) => s + assignments(p.space, p.space.own.get(t)!), 0);
  return assignments(p.space, p.space.shared) * own;
}

function auto(p: Problem): Plan | SearchError {
  const work = exactWork(p);
  if (p.separable && work <= EXACT_WORK_LIMIT)
    return exact(p, `auto: exact search over ${work} (encoder, head) evaluations`);
  const why = p.separable ? `${work} evaluations exceed ${EXACT_WORK_LIMIT}` : "tasks' costs are not separable";
  return evolutionary(p, `auto: evolutionary search (exact would need ${why})`);
}

export function plan(table: CostTable, constraints: ConstraintsInput, options: PlanOptions = {}): Plan | SearchError {
  const c = parseConstraints(constraints, table.tasks);
  if (isSearchError(c)) return c;
  if (options.seed !== undefined && !Number.isInteger(options.seed))
    return searchError("bad-option", `seed must be an integer, got ${options.seed}`);
  if (options.objective !== undefined && !(OBJECTIVE_OPTIONS as readonly string[]).includes(options.objective))
    return searchError(
      "bad-option",
      `unknown objective "${String(options.objective)}"`,
      `objectives: ${OBJECTIVE_OPTIONS.join(", ")}`,
    );
  const built = buildProblem(table, c, { ...options, profile: options.profile ?? undefined });
  if (isSearchError(built)) return built;
  // The Chebyshev scale comes from each task's best plan, found by the search that suits the space.
  const p = built.objective === "chebyshev" ? withChebyshevScale(built, auto) : built;
  if (isSearchError(p)) return p;
  switch (options.strategy ?? "auto") {
    case "auto":
      return auto(p);
    case "paper":
      return paperRule(p);
    case "exact":
      return exact(p);
    case "evolutionary":
      return evolutionary(p);
    default:
      return searchError(
        "bad-option",
        `unknown strategy "${String(options.strategy)}"`,
        `strategies: ${STRATEGY_OPTIONS.join(", ")}`,
      );
  }
}

export { parseConstraints, parseBudget, parseQuantity } from "./constraints";
export type { BudgetInput, Constraints, ConstraintsInput } from "./constraints";
export { latencyPrecision, parseLatencyTable, predictLatency } from "./latency";
export type { LatencyQuality, LatencyTable, LatencyTerm } from "./latency";
export { parseProfile } from "./utility";
export type { Profile, ProfilePoint, ProfileTask } from "./utility";
export { explain } from "./explain";
export { isSearchError, OBJECTIVE_OPTIONS, STRATEGY_OPTIONS } from "./types";
export type {
  Plan,
  PlanBudget,
  PlanCost,
  PlanGroup,
  SearchError,
  SearchErrorCode,
  StrategyName,
  StrategyOption,
  BindingKind,
  ObjectiveName,
} from "./types";
export { buildProblem } from "./problem";
export type { Problem, Strategy } from "./problem";
export { paperRule } from "./paper-rule";
export { exact } from "./exact";
export { evolutionary } from "./evolutionary";
