// `mtl report`'s numbers: 20 seeded preference vectors from the simplex x budgets 25/50/75/100% of
// the full model's MACs, planned with the measured profile; each plan's configuration, cost against
// the budget and each task's measured metric; per budget the rank correlations, uniformity,
// hypervolume and share of plans within budget, for the planner and for a preference-blind
// baseline (every task decoder at the same width). Definitions in docs/eval.md.
import { costAt } from "../../compiler/cost/table";
import type { CostTable } from "../../compiler/cost/types";
import type { Config } from "../../compiler/ir/types";
import type { StoredProfile } from "../profile-schema";
import { isSearchError, plan, type ObjectiveName, type StrategyOption } from "../search/index";
import { simplexPreferences } from "../eval/preferences";
import { hypervolume, kendall, mean, spearman, uniformity } from "./stats";

export const REPORT_BUDGETS = [0.25, 0.5, 0.75, 1] as const;
export const REPORT_PREFERENCES = 20;

export interface PlanRow {
  readonly prefer: Readonly<Record<string, number>>;
  readonly widths: Readonly<Record<string, number>> | null; // null: no configuration fits
  readonly macs: number | null;
  readonly limit: number;
  readonly withinBudget: boolean;
  /** Task -> its declared metric at the configuration (null: not measured there). */
  readonly metric: Readonly<Record<string, number | null>>;
}

export interface Summary {
  readonly spearman: number | null;
  readonly kendall: number | null;
  readonly uniformity: number | null;
  readonly hypervolume: number;
  readonly withinBudget: number; // share of plans
  /** Share of plans whose configuration was measured for every task (the others are left out of the statistics). */
  readonly measured: number;
  readonly perTask: Readonly<Record<string, { readonly spearman: number | null; readonly kendall: number | null }>>;
}

export interface BudgetReport {
  readonly budget: number; // fraction of the full model's MACs
  readonly controlled: { readonly plans: readonly PlanRow[]; readonly summary: Summary };
  readonly baseline: { readonly plans: readonly PlanRow[]; readonly summary: Summary };
}

export interface ReportData {
  readonly model: string;
  readonly seed: number;
  /** The search strategy the planner column used (`auto` unless asked otherwise). */
  readonly strategy: StrategyOption;
  /** What the planner column optimised (`sum` unless asked otherwise). */
  readonly objective: ObjectiveName;
  readonly tasks: Readonly<Record<string, { readonly metric: string; readonly lowerIsBetter: boolean }>>;
  readonly measured: StoredProfile["measured"] | null;
  /** Loss j = error_j / error_j at full width; error = 1 - metric (higher is better) or the metric. */
  readonly hypervolumeReference: readonly number[];
  readonly budgets: readonly BudgetReport[];
  /** Every evaluated configuration, for the plots. */
  readonly evaluated: NonNullable<StoredProfile["evaluated"]>;
}

const keyOf = (w: Readonly<Record<string, number>>, groups: readonly string[]) =>
  groups.map((g) => w[g].toFixed(6)).join(",");

/** Looks up a task's measured metric at a configuration (its shared and own widths). */
function lookup(profile: StoredProfile, costs: CostTable) {
  const maps = new Map<string, { groups: string[]; at: Map<string, number> }>();
  for (const [t, spec] of Object.entries(profile.tasks)) {
    const groups = costs.groups.filter((g) => g.part === "shared" || g.part === t).map((g) => g.name);
    const full = Object.fromEntries(costs.groups.map((g) => [g.name, g.choices[g.choices.length - 1]]));
    const at = new Map(spec.points.map((p) => [keyOf({ ...full, ...p.config }, groups), p.score]));
    maps.set(t, { groups, at });
  }
  return (task: string, widths: Readonly<Record<string, number>>): number | null => {
    const m = maps.get(task);
    return m?.at.get(keyOf(widths, m.groups)) ?? null;
  };
}

const widthsOf = (costs: CostTable, c: Config) =>
  Object.fromEntries(costs.groups.map((g) => [g.name, g.choices[c[g.name]]]));

/** Preference-blind baseline: the encoder and one decoder width shared by every task, best mean relative metric within the limit. */
function baseline(costs: CostTable, limit: number, score: (w: Record<string, number>) => number | null): Config | null {
  const shared = costs.groups.filter((g) => g.part === "shared");
  const own = costs.groups.filter((g) => g.part !== "shared");
  const k = Math.max(1, ...own.map((g) => g.choices.length));
  let sharedAll: Record<string, number>[] = [{}];
  for (const g of shared) sharedAll = sharedAll.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
  let best: { c: Config; s: number; macs: number } | null = null;
  for (const s of sharedAll.slice(0, 100_000))
    for (let i = 0; i < k; i++) {
      const c: Config = { ...s, ...Object.fromEntries(own.map((g) => [g.name, Math.min(i, g.choices.length - 1)])) };
      const macs = costAt(costs, c).macs;
      if (macs > limit * (1 + 1e-9)) continue;
      const v = score(widthsOf(costs, c)) ?? -Infinity;
      if (!best || v > best.s || (v === best.s && macs < best.macs)) best = { c, s: v, macs };
    }
  return best?.c ?? null;
}

export function buildReport(
  name: string,
  costs: CostTable,
  profile: StoredProfile,
  seed: number,
  strategy: StrategyOption = "auto",
  objective: ObjectiveName = "sum",
): ReportData {
  const tasks = Object.fromEntries(
    costs.tasks
      .filter((t) => profile.tasks[t])
      .map((t) => [
        t,
        { metric: profile.tasks[t].metric ?? "score", lowerIsBetter: profile.tasks[t].lowerIsBetter === true },
      ]),
  );
  const names = Object.keys(tasks);
  const at = lookup(profile, costs);
  const fullWidths = Object.fromEntries(costs.groups.map((g) => [g.name, g.choices[g.choices.length - 1]]));
  const error = (t: string, m: number) => (tasks[t].lowerIsBetter ? m : 1 - m);
  // A perfect full-width score (error 0) would divide by zero: the smallest positive error measured stands in.
  const floor = (t: string) =>
    Math.min(
      ...(profile.evaluated ?? []).map((e) => error(t, e.metrics[t]?.[tasks[t].metric] ?? NaN)).filter((x) => x > 0),
      1,
    );
  const fullError = Object.fromEntries(
    names.map((t) => {
      const e = error(t, at(t, fullWidths) ?? NaN);
      return [t, e > 0 ? e : floor(t)];
    }),
  );
  const loss = (t: string, m: number) => error(t, m) / fullError[t];
  const evaluated = profile.evaluated ?? [];
  const ref = names.map(
    (t) => 1.1 * Math.max(...evaluated.map((e) => (e.metrics[t] ? loss(t, e.metrics[t][tasks[t].metric]) : 0))),
  );
  const fullMacs = costAt(costs, Object.fromEntries(costs.groups.map((g) => [g.name, g.choices.length - 1]))).macs;
  const prefs = simplexPreferences(names, REPORT_PREFERENCES, seed);
  const relScore = (w: Record<string, number>) =>
    mean(
      names.map((t) => {
        const m = at(t, w);
        return m === null ? null : 1 / loss(t, m);
      }),
    );

  const row = (prefer: Record<string, number>, c: Config | null, limit: number): PlanRow => {
    if (!c)
      return {
        prefer,
        widths: null,
        macs: null,
        limit,
        withinBudget: false,
        metric: Object.fromEntries(names.map((t) => [t, null])),
      };
    const widths = widthsOf(costs, c);
    const macs = costAt(costs, c).macs;
    return {
      prefer,
      widths,
      macs,
      limit,
      withinBudget: macs <= limit * (1 + 1e-9),
      metric: Object.fromEntries(names.map((t) => [t, at(t, widths)])),
    };
  };
  const summarise = (plans: readonly PlanRow[]): Summary => {
    const perTask = Object.fromEntries(
      names.map((t) => {
        const ok = plans.filter((p) => p.metric[t] !== null);
        const pr = ok.map((p) => p.prefer[t]);
        const good = ok.map((p) => (tasks[t].lowerIsBetter ? -p.metric[t]! : p.metric[t]!));
        return [t, { spearman: spearman(pr, good), kendall: kendall(pr, good) }];
      }),
    );
    const complete = plans.filter((p) => names.every((t) => p.metric[t] !== null));
    const losses = complete.map((p) => names.map((t) => loss(t, p.metric[t]!)));
    return {
      spearman: mean(names.map((t) => perTask[t].spearman)),
      kendall: mean(names.map((t) => perTask[t].kendall)),
      uniformity: mean(
        complete.map((p, i) =>
          uniformity(
            names.map((t) => p.prefer[t]),
            losses[i],
          ),
        ),
      ),
      hypervolume: hypervolume(losses, ref),
      withinBudget: plans.filter((p) => p.withinBudget).length / plans.length,
      measured: complete.length / plans.length,
      perTask,
    };
  };

  const budgets = REPORT_BUDGETS.map((b) => {
    const limit = b * fullMacs;
    const controlled = prefs.map((prefer) => {
      const p = plan(costs, { budget: `${b * 100}%`, prefer }, { profile, strategy, objective });
      return row(prefer, isSearchError(p) ? null : p.config, limit);
    });
    const blind = baseline(costs, limit, relScore);
    const base = prefs.map((prefer) => row(prefer, blind, limit));
    return {
      budget: b,
      controlled: { plans: controlled, summary: summarise(controlled) },
      baseline: { plans: base, summary: summarise(base) },
    };
  });
  return {
    model: name,
    seed,
    strategy,
    objective,
    tasks,
    measured: profile.measured ?? null,
    hypervolumeReference: ref,
    budgets,
    evaluated,
  };
}
