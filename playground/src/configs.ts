// Configurations of a model from its factorised cost table: counting and listing them, their cost
// per part (costAt), the search's predicted utility (preference-weighted proxy, exactly the
// objective the built-in search maximises), a seeded sample when there are too many, and the plan
// for the controls' budget and preferences. Pure: no DOM, usable in Node tests.
import { formatCount } from "../../compiler/cost/amounts";
import { costAt } from "../../compiler/cost/table";
import type { CostTable } from "../../compiler/cost/types";
import type { BudgetMetric, Config } from "../../compiler/ir/types";
import { parseConstraints } from "../../runtime/search/constraints";
import {
  explain,
  isSearchError,
  plan as search,
  type Plan,
  type Profile,
  type SearchError,
} from "../../runtime/search/index";
import { buildProblem, objective, type Problem } from "../../runtime/search/problem";
import { totalCost } from "../../runtime/search/space";
import { mulberry32 } from "../../compiler/weights/init";

/** At most this many configurations are listed one per row; beyond, the per-group view. */
export const TABLE_LIMIT = 256;
/** At most this many points are drawn; beyond, a seeded sample of this size. */
export const CHART_LIMIT = 2000;

export const configCount = (t: CostTable): number => t.groups.reduce((n, g) => n * g.choices.length, 1);

/** Row-major (last group fastest) configuration number `flat`. */
export function configAt(t: CostTable, flat: number): Config {
  const c: Record<string, number> = {};
  let rest = flat;
  for (let i = t.groups.length - 1; i >= 0; i--) {
    const k = t.groups[i].choices.length;
    c[t.groups[i].name] = rest % k;
    rest = Math.floor(rest / k);
  }
  return c;
}

export function flatIndex(t: CostTable, c: Config): number {
  let i = 0;
  for (const g of t.groups) i = i * g.choices.length + (c[g.name] ?? g.choices.length - 1);
  return i;
}

export const fullConfig = (t: CostTable): Config =>
  Object.fromEntries(t.groups.map((g) => [g.name, g.choices.length - 1]));

export interface ConfigRow {
  flat: number;
  config: Config;
  macs: number;
  params: number;
  byPart: Record<string, { macs: number; params: number }>;
}

export function rowOf(t: CostTable, flat: number, config = configAt(t, flat)): ConfigRow {
  const c = costAt(t, config);
  return { flat, config, macs: c.macs, params: c.params, byPart: c.byPart };
}

/** All configurations when there are at most `limit`, else `limit` distinct seeded random ones. */
export function sampleFlats(t: CostTable, limit: number, seed = 1): number[] {
  const n = configCount(t);
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(seed);
  const seen = new Set<number>();
  while (seen.size < limit) {
    // Build the index group by group: exact for counts beyond 2^32, uniform per group.
    let flat = 0;
    for (const g of t.groups) flat = flat * g.choices.length + Math.floor(rnd() * g.choices.length);
    seen.add(flat);
  }
  return [...seen];
}

/** Preferences as the search reads them: every task present, non-negative. */
export function normalisedPrefer(t: CostTable, prefer: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(t.tasks.map((x) => [x, Math.max(0, prefer[x] ?? 1)]));
}

export interface Evaluator {
  problem: Problem;
  /** Sum over tasks of preference x predicted utility (the search's objective). */
  objective(config: Config): number;
  /** Cost in the budget's metric of the full model and of the cheapest configuration. */
  full: number;
  cheapest: number;
  metric: BudgetMetric;
  /** Preferences were unusable (e.g. all zero): equal weights were used instead. */
  fallback?: string;
}

export function evaluator(
  t: CostTable,
  metric: BudgetMetric,
  prefer: Readonly<Record<string, number>>,
): Evaluator | SearchError {
  let fallback: string | undefined;
  let c = parseConstraints({ budget: `${metric} <= 100%`, prefer: normalisedPrefer(t, prefer) }, t.tasks);
  if (isSearchError(c)) {
    fallback = c.message;
    c = parseConstraints({ budget: `${metric} <= 100%` }, t.tasks);
    if (isSearchError(c)) return c;
  }
  const p = buildProblem(t, c);
  if (isSearchError(p)) return p;
  const genome = (cfg: Config) => Uint8Array.from(t.groups, (g) => cfg[g.name] ?? g.choices.length - 1);
  return {
    problem: p,
    objective: (cfg) => objective(p, genome(cfg)),
    full: p.budget.full,
    cheapest: totalCost(p.cost, p.cheapest),
    metric,
    fallback,
  };
}

/** The metric the budget slider controls: the model's first budget's, if MACs or params. */
export function sliderMetric(budgets: readonly { metric: BudgetMetric }[]): BudgetMetric {
  const m = budgets[0]?.metric;
  return m === "params" ? "params" : "macs";
}

export interface PlanOutcome {
  plan?: Plan;
  error?: SearchError;
  text: string;
  ms: number;
}

export function runPlan(
  t: CostTable,
  metric: BudgetMetric,
  percent: number,
  prefer: Readonly<Record<string, number>>,
  /** A measured utility profile (from `mtl eval`): planned with and explained as measured; else the proxy. */
  profile?: Profile,
): PlanOutcome {
  const t0 = performance.now();
  const r = search(
    t,
    { budget: `${metric} <= ${percent}%`, prefer: normalisedPrefer(t, prefer) },
    { strategy: "auto", ...(profile ? { profile } : {}) },
  );
  const ms = performance.now() - t0;
  if (isSearchError(r)) return { error: r, text: `${r.code}: ${r.message}${r.hint ? `\nhint: ${r.hint}` : ""}`, ms };
  return { plan: r, text: explain(r), ms };
}

/** 27900000 -> "27.9M". */
export const amount = formatCount;
