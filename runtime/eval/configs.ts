// Which configurations `mtl eval` measures (docs/eval.md):
// - "factorised" (default): every assignment of the shared (encoder) groups times one "tied"
//   assignment of the task decoders, where every task takes the k-th assignment of its own groups.
//   A task's outputs depend only on the shared groups and its own, so this measures every task at
//   every (encoder, own decoder) combination: per task it is as complete as "all", in
//   |shared| x max_t |own_t| runs instead of the product over all groups (MultiMNIST: 16 instead
//   of 64; cifar_mtl, 4^21 configurations: 4 x 4 = 16). When the shared assignments alone exceed
//   the limit, the shared part is the diagonal plus one-group-at-a-time sweeps (the others at full
//   width), and the planner interpolates the shared combinations that were not run.
// - "all": the full product (refused above the limit).
// - "pareto": the configurations the planner picks over a grid of budgets (5% .. 100% of the MACs)
//   and preferences (uniform, each task alone, 20 seeded draws from the simplex), with the
//   utilities it has now (the model's profile, else the proxy).
// - a number N: N configurations drawn uniformly (seeded), always with the narrowest and the widest.
import type { CostTable } from "../../compiler/cost/types";
import type { Config } from "../../compiler/ir/types";
import { mulberry32 } from "../../compiler/util/prng";
import { isSearchError, plan, type Profile } from "../search/index";
import { EvalError } from "./metrics";
import { simplexPreferences } from "./preferences";

export type ConfigSelection = "factorised" | "all" | "pareto" | number;

interface GroupLike {
  readonly name: string;
  readonly part: string;
  readonly choices: readonly number[];
}

/** Every assignment of these groups, the last group varying fastest (so the last is all widest). */
function product(groups: readonly GroupLike[]): Record<string, number>[] {
  let all: Record<string, number>[] = [{}];
  for (const g of groups) all = all.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
  return all;
}

const countOf = (groups: readonly GroupLike[]): number => groups.reduce((n, g) => n * g.choices.length, 1);

/** The diagonal (every group at its k-th choice, or its last) plus each group swept alone. */
function diagonalAndSweeps(groups: readonly GroupLike[]): Record<string, number>[] {
  const top = (g: GroupLike) => g.choices.length - 1;
  const k = Math.max(...groups.map((g) => g.choices.length));
  const out: Record<string, number>[] = [];
  for (let i = 0; i < k; i++) out.push(Object.fromEntries(groups.map((g) => [g.name, Math.min(i, top(g))])));
  for (const g of groups)
    for (let i = 0; i < top(g); i++) out.push(Object.fromEntries(groups.map((h) => [h.name, h === g ? i : top(h)])));
  return out;
}

const keyOf = (c: Config, groups: readonly GroupLike[]): string => groups.map((g) => c[g.name]).join(",");

function unique(configs: readonly Config[], groups: readonly GroupLike[]): Config[] {
  const seen = new Map<string, Config>();
  for (const c of configs) if (!seen.has(keyOf(c, groups))) seen.set(keyOf(c, groups), c);
  return [...seen.values()];
}

function factorised(groups: readonly GroupLike[], tasks: readonly string[], limit: number): Config[] {
  const shared = groups.filter((g) => g.part === "shared");
  const own = tasks.map((t) => product(groups.filter((g) => g.part === t)));
  const tied = Math.max(1, ...own.map((o) => o.length));
  const sharedSet = countOf(shared) * tied <= limit ? product(shared) : diagonalAndSweeps(shared);
  const out: Config[] = [];
  for (const s of sharedSet)
    for (let k = 0; k < tied; k++) {
      const c: Record<string, number> = { ...s };
      for (const o of own) Object.assign(c, o[Math.min(k, o.length - 1)]);
      out.push(c);
    }
  return unique(out, groups);
}

function sampled(groups: readonly GroupLike[], n: number, seed: number): Config[] {
  const total = countOf(groups);
  const rnd = mulberry32(seed);
  const ends = [0, 1].map((w) => Object.fromEntries(groups.map((g) => [g.name, w * (g.choices.length - 1)])));
  const out = unique(ends, groups);
  const seen = new Set(out.map((c) => keyOf(c, groups)));
  while (out.length < Math.min(n, total)) {
    const c = Object.fromEntries(groups.map((g) => [g.name, Math.floor(rnd() * g.choices.length)]));
    if (seen.has(keyOf(c, groups))) continue;
    seen.add(keyOf(c, groups));
    out.push(c);
  }
  return out;
}

function planned(costs: CostTable, profile: Profile | undefined, seed: number): Config[] {
  const prefs = [
    Object.fromEntries(costs.tasks.map((t) => [t, 1])),
    ...costs.tasks.map((t) => Object.fromEntries(costs.tasks.map((u) => [u, u === t ? 1 : 0]))),
    ...simplexPreferences(costs.tasks, 20, seed),
  ];
  const out: Config[] = [];
  for (let b = 5; b <= 100; b += 5)
    for (const prefer of prefs) {
      const p = plan(costs, { budget: `${b}%`, prefer }, profile ? { profile } : {});
      if (!isSearchError(p)) out.push(p.config);
    }
  return unique(out, costs.groups);
}

/** Largest number of configurations "all" runs without being asked for a sample instead. */
export const ALL_LIMIT = 4096;

export function selectConfigs(
  costs: CostTable,
  selection: ConfigSelection,
  o: { seed?: number; profile?: Profile; limit?: number } = {},
): Config[] {
  const groups = costs.groups;
  const limit = o.limit ?? ALL_LIMIT;
  if (selection === "all") {
    const n = countOf(groups);
    if (n > limit)
      throw new EvalError(
        "MTL-EVAL-004",
        `the model has ${n.toExponential(2)} configurations, more than ${limit} that --configs all runs`,
        "use --configs factorised (the default), pareto, or a number N for a seeded sample",
      );
    return product(groups);
  }
  if (selection === "factorised") return factorised(groups, costs.tasks, limit);
  if (selection === "pareto") return planned(costs, o.profile, o.seed ?? 0);
  if (!Number.isInteger(selection) || selection < 2)
    throw new EvalError("MTL-EVAL-004", `--configs ${selection}: a sample needs at least 2 configurations`);
  return sampled(groups, selection, o.seed ?? 0);
}

/** Reads --configs: all, factorised, pareto, or a whole number of at least 2; anything else is a usage error (exit 2). */
export function parseSelection(text: string | undefined): ConfigSelection {
  if (text === undefined || text === "factorised" || text === "all" || text === "pareto") return text ?? "factorised";
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) >= 2) return Number(text);
  throw new EvalError(
    "MTL-EVAL-004",
    `--configs takes factorised, all, pareto or a number N of at least 2, not ${JSON.stringify(text)}`,
    "e.g. --configs pareto, or --configs 50 for a seeded sample of 50 (factorised is the default)",
    2,
  );
}
