// User-facing constraints and their parsing. Users (CLI flags, JSON, the playground) write budgets
// as text such as "60%", "2.5G", "params <= 5M" or "12ms"; everything here turns that into typed
// values or a SearchError naming what was wrong. Nothing throws for a user mistake.

import type { Budget, BudgetMetric } from "../../compiler/ir/types";
import { isSearchError, searchError, type SearchError } from "./types";
import { unknownNameHint } from "./suggest";

/**
 * A budget as a user may write it:
 * - a number: absolute MACs;
 * - text: `[metric] [<=] quantity`, e.g. "60%", "2.5G", "macs <= 60%", "params<=5M", "12ms"
 *   (a quantity in ms / s / us implies the latency metric; otherwise the metric defaults to macs).
 *   Text without a metric needs a unit or `%`: "60" alone is refused (60 MACs is never meant);
 * - an object with exactly one key among macs, flops, params, latency, whose value is a number or a
 *   quantity: { macs: "60%" }, { latency: 12 }.
 * `flops` counts 2 per MAC everywhere (as in a .mtl file's `budget`): "flops <= 1G" is 500M MACs.
 * - a compiler `Budget` ({ metric, value, relative }, relative values as fractions: 0.6 = 60%).
 */
export type BudgetInput =
  | number
  | string
  | Budget
  | {
      readonly macs?: number | string;
      readonly flops?: number | string;
      readonly params?: number | string;
      readonly latency?: number | string;
    };

export interface ConstraintsInput {
  readonly budget?: BudgetInput | null;
  /** Non-negative weights per task; normalised to sum 1 over the running tasks. Default: equal. */
  readonly prefer?: Readonly<Record<string, number>>;
  /** The tasks to run (others are off and cost nothing). Default: every task of the model. */
  readonly tasks?: readonly string[];
}

export interface Constraints {
  /** null: no budget (the full model is allowed). Relative values are fractions (0.6 = 60%). */
  readonly budget: Budget | null;
  /** Running tasks only, each >= 0, summing to 1. */
  readonly prefer: Readonly<Record<string, number>>;
  /** Running tasks, in the model's task order. */
  readonly tasks: readonly string[];
}

const METRICS: readonly string[] = ["macs", "flops", "params", "latency"];
const METRICS_HINT = `metrics: ${METRICS.join(", ")} (flops = 2 per MAC)`;
/** FLOPs per MAC: one multiply and one add. */
export const FLOPS_PER_MAC = 2;
const METRIC_ALIASES: Readonly<Record<string, BudgetMetric>> = {
  macs: "macs",
  flops: "macs",
  params: "params",
  latency: "latency",
};

// Scale suffixes for counts (MACs, parameters) and for durations (to milliseconds).
const COUNT_UNITS: Readonly<Record<string, number>> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
const TIME_UNITS: Readonly<Record<string, number>> = { "": 1, ms: 1, s: 1000, us: 1e-3, µs: 1e-3 };

const QUANTITY = /^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(%|[kKMGT]|ms|s|us|µs)?$/;
// A metric name ends at an operator or a space, so "NaN" or "Infinity" is not read as a metric "Na".
const BUDGET_TEXT = /^(?:([A-Za-z]+)(?:\s*(?:<=|:|=)\s*|\s+))?(.+)$/;

const budgetHint = 'write e.g. "60%", "2.5G", "300M", "params <= 5M", "12ms", or { macs: "60%" }';

/** A quantity in FLOPs read as MACs: absolute values halve, percentages stay. */
function fromFlops(b: Budget | SearchError): Budget | SearchError {
  return isSearchError(b) || b.relative ? b : { ...b, value: b.value / FLOPS_PER_MAC };
}

/** Reads a quantity for a known metric: "60%", "2.5G", "12ms", 12. */
export function parseQuantity(metric: BudgetMetric, raw: number | string): Budget | SearchError {
  if (typeof raw === "number") {
    if (!Number.isFinite(raw) || raw <= 0)
      return searchError("bad-budget", `budget must be a positive number, got ${raw}`, budgetHint);
    return { metric, value: raw, relative: false };
  }
  const text = raw.trim();
  const m = QUANTITY.exec(text);
  if (!m) return searchError("bad-budget", `cannot read the budget quantity "${raw}"`, budgetHint);
  const n = Number(m[1]);
  const unit = m[2] ?? "";
  if (!Number.isFinite(n)) return searchError("bad-budget", `the budget quantity "${raw}" is too large`, budgetHint);
  if (unit === "%") {
    if (n <= 0) return searchError("bad-budget", `a relative budget must be above 0%, got "${raw}"`, budgetHint);
    return { metric, value: n / 100, relative: true };
  }
  const scale = metric === "latency" ? TIME_UNITS[unit] : COUNT_UNITS[unit];
  if (scale === undefined) {
    const allowed = metric === "latency" ? "ms, s or us" : "k, M, G or T";
    return searchError(
      "bad-budget",
      `unit "${unit}" does not fit a ${metric} budget`,
      `a ${metric} budget takes ${allowed}, or a percentage`,
    );
  }
  if (n <= 0) return searchError("bad-budget", `budget must be positive, got "${raw}"`, budgetHint);
  return { metric, value: n * scale, relative: false };
}

/** Reads any `BudgetInput`; null and undefined mean "no budget". */
export function parseBudget(input: unknown): Budget | null | SearchError {
  if (input === undefined || input === null) return null;
  if (typeof input === "number") return parseQuantity("macs", input);
  if (typeof input === "string") {
    const m = BUDGET_TEXT.exec(input.trim());
    if (!m || m[2].trim() === "") return searchError("bad-budget", `cannot read the budget "${input}"`, budgetHint);
    if (m[1] !== undefined) {
      const name = m[1].toLowerCase();
      const metric = METRIC_ALIASES[name];
      if (!metric) return searchError("bad-budget", `unknown budget metric "${m[1]}"`, METRICS_HINT);
      const q = parseQuantity(metric, m[2]);
      return name === "flops" ? fromFlops(q) : q;
    }
    const quantity = m[2].trim();
    if (/^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?$/.test(quantity)) {
      return searchError(
        "bad-budget",
        `the budget "${input}" has no unit`,
        `write ${quantity}% for a share of the full model, ${quantity}M or ${quantity}G for MACs, ${quantity}ms for latency, ` +
          `or "macs <= ${quantity}" for exactly that many MACs`,
      );
    }
    // No metric named: a time unit means latency, anything else counts MACs.
    const timed = /(ms|us|µs|[0-9.]s)$/.test(quantity);
    return parseQuantity(timed ? "latency" : "macs", quantity);
  }
  if (typeof input === "object" && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    if ("metric" in o) return compilerBudget(o);
    const keys = Object.keys(o);
    if (keys.length !== 1) {
      return searchError(
        "bad-budget",
        `a budget object takes exactly one metric, got ${keys.length === 0 ? "none" : keys.join(", ")}`,
        budgetHint,
      );
    }
    const name = keys[0].toLowerCase();
    const metric = METRIC_ALIASES[name];
    if (!metric) return searchError("bad-budget", `unknown budget metric "${keys[0]}"`, METRICS_HINT);
    const v = o[keys[0]];
    if (typeof v !== "number" && typeof v !== "string")
      return searchError("bad-budget", `budget ${keys[0]} must be a number or text`, budgetHint);
    const q = parseQuantity(metric, v);
    return name === "flops" ? fromFlops(q) : q;
  }
  return searchError(
    "bad-budget",
    `a budget must be a number, text or object, got ${Array.isArray(input) ? "an array" : typeof input}`,
    budgetHint,
  );
}

function compilerBudget(o: Record<string, unknown>): Budget | SearchError {
  const { metric, value, relative } = o;
  if (typeof metric !== "string" || !METRIC_ALIASES[metric])
    return searchError("bad-budget", `unknown budget metric "${String(metric)}"`, `metrics: ${METRICS.join(", ")}`);
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    return searchError("bad-budget", `budget value must be a positive number`, budgetHint);
  const b: Budget = { metric: METRIC_ALIASES[metric], value, relative: relative === true };
  return metric === "flops" ? fromFlops(b) : b;
}

/** Running tasks: the requested subset, de-duplicated, in the model's order. */
function parseTasks(input: unknown, known: readonly string[]): readonly string[] | SearchError {
  if (input === undefined) return [...known];
  if (!Array.isArray(input) || input.some((t) => typeof t !== "string"))
    return searchError("bad-input", "tasks must be a list of task names");
  if (input.length === 0)
    return searchError("no-tasks", "no task requested", `run at least one of: ${known.join(", ")}`);
  for (const t of input as string[]) {
    if (!known.includes(t))
      return searchError("unknown-task", `unknown task "${t}"`, unknownNameHint(t, known, "tasks"));
  }
  return known.filter((t) => (input as string[]).includes(t));
}

/**
 * Preference weights, normalised over the running tasks. Running tasks the user did not list get
 * weight 0 (a preference vector names what matters); weights for known tasks that are off are
 * dropped, so that a model file's default preferences still apply when a task is switched off.
 */
function parsePrefer(
  input: unknown,
  tasks: readonly string[],
  known: readonly string[],
): Readonly<Record<string, number>> | SearchError {
  if (input === undefined) return Object.fromEntries(tasks.map((t) => [t, 1 / tasks.length]));
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return searchError("bad-input", "prefer must be an object of task -> weight");
  const raw = input as Record<string, unknown>;
  for (const [t, w] of Object.entries(raw)) {
    if (!known.includes(t))
      return searchError("unknown-task", `preference for unknown task "${t}"`, unknownNameHint(t, known, "tasks"));
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      return searchError(
        "bad-preference",
        `preference for "${t}" must be a non-negative number, got ${String(w)}`,
        "weights are relative: { semseg: 2, depth: 1 } favours semseg two to one",
      );
    }
  }
  const sum = tasks.reduce((s, t) => s + ((raw[t] as number | undefined) ?? 0), 0);
  if (sum <= 0) {
    return searchError(
      "bad-preference",
      `all preferences of the running tasks (${tasks.join(", ")}) are zero`,
      "give at least one running task a positive weight",
    );
  }
  return Object.fromEntries(tasks.map((t) => [t, ((raw[t] as number | undefined) ?? 0) / sum]));
}

/** Validates and normalises user constraints against the model's task list. */
export function parseConstraints(input: unknown, knownTasks: readonly string[]): Constraints | SearchError {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return searchError("bad-input", "constraints must be an object { budget?, prefer?, tasks? }");
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "budget" && k !== "prefer" && k !== "tasks")
      return searchError(
        "bad-input",
        `unknown constraint "${k}"`,
        unknownNameHint(k, ["budget", "prefer", "tasks"], "constraints"),
      );
  }
  const budget = parseBudget(o.budget);
  if (isSearchError(budget)) return budget;
  const tasks = parseTasks(o.tasks, knownTasks);
  if (isSearchError(tasks)) return tasks;
  const prefer = parsePrefer(o.prefer, tasks, knownTasks);
  if (isSearchError(prefer)) return prefer;
  return { budget, prefer, tasks };
}
