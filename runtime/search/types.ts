// The shared vocabulary of the search: the error value every stage returns instead of throwing, and
// the plan every strategy returns. Kept apart from the algorithms so that the CLI and the
// playground can import the types without pulling in any search code.

import type { BudgetMetric, Config } from "../../compiler/ir/types";

/** Stable codes: callers (CLI, playground) switch on them, so they never change meaning. */
export type SearchErrorCode =
  | "bad-input" // the constraints object is not an object, or has unknown keys
  | "bad-budget" // budget text or number that cannot be read
  | "bad-preference" // negative, non-finite or all-zero preference weights
  | "unknown-task" // a task name the model does not have
  | "no-tasks" // an empty task list
  | "infeasible" // the budget is below the cheapest configuration of the requested tasks
  | "missing-latency" // a latency budget without a latency table
  | "bad-latency" // a latency table that does not match the model
  | "unreliable-latency" // a latency budget on a table `mtl profile` flagged as unreliable
  | "bad-profile" // a utility profile that does not parse or does not match the model
  | "bad-table" // a cost table the chosen strategy cannot use
  | "bad-config" // a configuration naming a group the model does not have, or a choice out of range
  | "bad-option"; // an unknown strategy or a malformed option

/** A user mistake, as data: never thrown. */
export interface SearchError {
  readonly kind: "error";
  readonly code: SearchErrorCode;
  readonly message: string;
  readonly hint?: string;
  /** For "infeasible": the smallest achievable cost, in the budget's metric and units. */
  readonly minimum?: number;
}

/** The search strategies, and "auto" (which picks exact or evolutionary); the CLI and docs use this list. */
export const STRATEGY_OPTIONS = ["auto", "paper", "exact", "evolutionary"] as const;
export type StrategyOption = (typeof STRATEGY_OPTIONS)[number];
/** The strategy a plan reports (auto resolves to one of these). */
export type StrategyName = Exclude<StrategyOption, "auto">;

/**
 * What a plan optimises over the running tasks t, with normalised preferences p_t and utilities u_t
 * relative to full width: "sum" maximises sum_t p_t u_t (the weighted sum); "chebyshev" minimises
 * the largest preference-weighted relative loss max_t p_t (1 - u_t), ties broken by the weighted sum
 * (the augmented weighted Chebyshev scalarisation, docs/search.md).
 */
export const OBJECTIVE_OPTIONS = ["sum", "chebyshev"] as const;
export type ObjectiveName = (typeof OBJECTIVE_OPTIONS)[number];

/** What stopped the plan from going wider. */
export type BindingKind =
  | "budget" // no group can widen one step without exceeding the budget
  | "max-width" // every group of the running parts is already at its widest
  | "preference"; // some group could widen within budget, but the strategy chose not to (low or zero preference)

export interface PlanGroup {
  readonly name: string;
  readonly part: string;
  readonly choice: number; // index into the group's choices
  readonly choices: number; // how many choices the group has
  readonly width: number; // the width multiplier at `choice`
}

export interface PlanBudget {
  readonly metric: BudgetMetric;
  /** Absolute limit in the metric's units (MACs, parameters, ms); Infinity when no budget was given. */
  readonly limit: number;
  /** The requested fraction of the full model when the budget was relative, else null. */
  readonly relative: number | null;
  /** Cost of the full-width model with the requested tasks on, in the same units. */
  readonly full: number;
}

export interface PlanCost {
  readonly metric: BudgetMetric;
  readonly total: number; // in the budget's metric
  readonly byPart: Readonly<Record<string, number>>; // "shared" and each running task, in the budget's metric
  readonly macs: number;
  readonly params: number;
  readonly latencyMs: number | null; // null without a latency table
}

export interface Plan {
  readonly kind: "plan";
  readonly strategy: StrategyName;
  /** Why this strategy ran (auto's reasoning, or "requested"). */
  readonly reason: string;
  readonly tasks: readonly string[]; // running, in the model's order
  readonly off: readonly string[]; // tasks switched off: their cost is not paid
  /**
   * Every group of the model -> choice index. Groups of tasks that are off are set to 0 (their
   * narrowest), so that the configuration is complete and cheap even if a runtime ignores `off`.
   */
  readonly config: Config;
  readonly widths: Readonly<Record<string, number>>; // every group -> width multiplier
  readonly groups: readonly PlanGroup[]; // the groups of the running parts
  readonly budget: PlanBudget;
  readonly cost: PlanCost;
  readonly prefer: Readonly<Record<string, number>>; // normalised, running tasks only
  readonly utility: Readonly<Record<string, number>>; // predicted, relative to full width (1.0)
  /** "profile": measured at this configuration; "interpolated": between measured ones; "proxy": no measurement. */
  readonly utilitySource: Readonly<Record<string, "profile" | "interpolated" | "proxy">>;
  /** Where the measured utilities come from (a profile written by `mtl eval`), else null. */
  readonly measured?: { readonly data: string; readonly split: string; readonly images: number } | null;
  /** Which objective the plan optimised, and its value there (higher is better for both). */
  readonly objectiveName: ObjectiveName;
  readonly objective: number; // "sum": sum_t prefer_t * utility_t; "chebyshev": see chebyshevValue
  readonly binding: { readonly kind: BindingKind; readonly detail: string };
}

export const isSearchError = (x: Plan | SearchError | unknown): x is SearchError =>
  typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "error";

export function searchError(code: SearchErrorCode, message: string, hint?: string, minimum?: number): SearchError {
  return {
    kind: "error",
    code,
    message,
    ...(hint !== undefined ? { hint } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
  };
}
