// Per-request `parameters` -> the configuration and tasks to run. A request either asks the search
// (budget, prefer, tasks, strategy, objective) or names a configuration (`config: "features=0.5,fish=1"`);
// Triton-style `width.<group>` / `run.<task>` inputs select a configuration the same way.
import type { Config } from "../../compiler/ir/types";
import { didYouMean } from "../../compiler/messages";
import type { MtlModel } from "../model";
import {
  isSearchError,
  OBJECTIVE_OPTIONS,
  plan as search,
  type ConstraintsInput,
  type Plan,
  type PlanOptions,
} from "../search/index";
import { badRequest } from "./errors";

export type Scalar = string | number | boolean;

/** Parameters mtl reads; KServe's own (binary_data_output) and Triton's timeout are accepted too. */
export const KNOWN_PARAMETERS = [
  "budget",
  "prefer",
  "tasks",
  "strategy",
  "objective",
  "seed",
  "config",
  "binary_data_output",
  "timeout_ms",
] as const;

export interface Route {
  readonly config: Config;
  readonly tasks: readonly string[];
  readonly plan: Plan | null;
}

const STRATEGIES = ["auto", "paper", "exact", "evolutionary"] as const;

export function checkParameterNames(params: Readonly<Record<string, unknown>>): void {
  for (const k of Object.keys(params))
    if (!(KNOWN_PARAMETERS as readonly string[]).includes(k))
      throw badRequest(
        `parameters.${k} is not a parameter mtl knows`,
        didYouMean(k, KNOWN_PARAMETERS) ?? `known parameters: ${KNOWN_PARAMETERS.join(", ")}`,
      );
}

function text(params: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = params[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" && key === "budget") return String(v);
  throw badRequest(`parameters.${key} must be a string`, key === "prefer" ? 'e.g. "semseg=2,depth=1"' : undefined);
}

/** "a=2,b=1" or {a: 2, b: 1} -> weights. */
function readPrefer(raw: unknown): Record<string, number> | undefined {
  if (raw === undefined || raw === null) return undefined;
  let pairs: [string, unknown][];
  if (typeof raw === "string") {
    pairs = raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((p) => {
        const m = /^([A-Za-z_][\w.]*)\s*[=:]\s*(.+)$/.exec(p);
        if (!m)
          throw badRequest(`parameters.prefer: cannot read "${p}"`, 'write task=weight pairs, e.g. "semseg=2,depth=1"');
        return [m[1], Number(m[2])];
      });
  } else if (typeof raw === "object" && !Array.isArray(raw)) pairs = Object.entries(raw as object);
  else throw badRequest('parameters.prefer must be a string such as "semseg=2,depth=1"');
  const out: Record<string, number> = {};
  for (const [k, v] of pairs) {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw badRequest(`parameters.prefer: the weight of ${k} is not a number`, 'e.g. "semseg=2,depth=1"');
    out[k] = v;
  }
  return out;
}

function readTasks(model: MtlModel, raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === "string"
      ? raw
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : null;
  if (!list || list.some((t) => typeof t !== "string"))
    throw badRequest(
      "parameters.tasks must be a comma-separated string of task names",
      `e.g. "${model.tasks.slice(0, 2).join(",")}"`,
    );
  for (const t of list as string[])
    if (!model.tasks.includes(t))
      throw badRequest(
        `parameters.tasks: model ${model.meta.name} has no task \`${t}\``,
        didYouMean(t, model.tasks) ?? `its tasks are ${model.tasks.join(", ")}`,
      );
  if (!list.length) throw badRequest("parameters.tasks is empty", `name at least one of ${model.tasks.join(", ")}`);
  return list as string[];
}

/** "features=0.5,fish=1" (width multipliers; groups left out run at full width) -> choice indices. */
export function readConfig(model: MtlModel, raw: string): Config {
  const config: Record<string, number> = Object.fromEntries(
    model.meta.groups.map((g) => [g.name, g.choices.length - 1]),
  );
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][\w.]*)\s*[=:]\s*([0-9]*\.?[0-9]+)$/.exec(part);
    if (!m)
      throw badRequest(
        `parameters.config: cannot read "${part}"`,
        'write group=width pairs, e.g. "features=0.5,fish=1"',
      );
    const g = model.meta.groups.find((x) => x.name === m[1]);
    if (!g)
      throw badRequest(
        `parameters.config: model ${model.meta.name} has no width group \`${m[1]}\``,
        didYouMean(
          m[1],
          model.meta.groups.map((x) => x.name),
        ) ?? undefined,
      );
    const i = g.choices.findIndex((c) => Math.abs(c - Number(m[2])) < 1e-9);
    if (i < 0)
      throw badRequest(
        `parameters.config: width ${m[2]} is not a choice of group \`${g.name}\``,
        `choose one of ${g.choices.join(", ")}`,
      );
    config[g.name] = i;
  }
  return config;
}

const FIELD_OF: Record<string, string> = {
  "bad-budget": "budget",
  infeasible: "budget",
  "missing-latency": "budget",
  "bad-preference": "prefer",
  "unknown-task": "tasks",
  "no-tasks": "tasks",
  "bad-option": "strategy",
};

/** Plans once per distinct (budget, prefer, tasks, strategy, objective, seed); plans are pure, so they are memoised. */
export class Router {
  private readonly memo = new Map<string, Route>();
  constructor(
    private readonly model: MtlModel,
    private readonly memoSize = 512,
  ) {}

  route(params: Readonly<Record<string, unknown>>, controls?: { config: Config; tasks: string[] }): Route {
    checkParameterNames(params);
    const tasks = readTasks(this.model, params.tasks);
    const configText = text(params, "config");
    if (configText !== undefined || controls) {
      for (const k of ["budget", "prefer", "strategy", "objective"] as const)
        if (params[k] !== undefined)
          throw badRequest(
            `parameters.${k} cannot be combined with an explicit configuration`,
            "give either config (or width inputs) or budget/prefer/strategy/objective",
          );
      const config = configText !== undefined ? readConfig(this.model, configText) : controls!.config;
      return { config, tasks: tasks ?? controls?.tasks ?? this.model.tasks, plan: null };
    }
    const strategy = text(params, "strategy");
    if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy))
      throw badRequest(`parameters.strategy "${strategy}" is not a strategy`, `use one of ${STRATEGIES.join(", ")}`);
    const objective = text(params, "objective");
    if (objective !== undefined && !(OBJECTIVE_OPTIONS as readonly string[]).includes(objective))
      throw badRequest(
        `parameters.objective "${objective}" is not an objective`,
        `use one of ${OBJECTIVE_OPTIONS.join(", ")}`,
      );
    const seed = params.seed;
    if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed)))
      throw badRequest("parameters.seed must be a whole number");
    const budget = text(params, "budget");
    const prefer = readPrefer(params.prefer);
    // named here, not by the search (whose unknown-task error would be charged to parameters.tasks)
    for (const t of Object.keys(prefer ?? {}))
      if (!this.model.tasks.includes(t))
        throw badRequest(
          `parameters.prefer: model ${this.model.meta.name} has no task \`${t}\``,
          didYouMean(t, this.model.tasks) ?? `its tasks are ${this.model.tasks.join(", ")}`,
        );
    const key = JSON.stringify([budget, prefer, tasks, strategy, objective, seed]);
    const hit = this.memo.get(key);
    if (hit) return hit;
    const meta = this.model.meta;
    const constraints: ConstraintsInput = {
      // A static model's `budget` was spent choosing its one configuration: no default then.
      budget: budget !== undefined ? budget : this.model.staticConfig ? null : (meta.budgets[0] ?? null),
      prefer: prefer ?? (Object.keys(meta.prefer).length ? meta.prefer : undefined),
      tasks,
    };
    const options: PlanOptions = {
      strategy: (strategy ?? "auto") as PlanOptions["strategy"],
      ...(objective !== undefined ? { objective: objective as PlanOptions["objective"] } : {}),
      ...(seed !== undefined ? { seed: seed as number } : {}),
      // measured utilities stored by `mtl eval --write`, as model.plan() uses them
      ...(this.model.profile ? { profile: this.model.profile } : {}),
    };
    const p = search(this.model.costs, constraints, options);
    if (isSearchError(p)) throw badRequest(`parameters.${FIELD_OF[p.code] ?? "budget"}: ${p.message}`, p.hint);
    const route: Route = { config: p.config, tasks: p.tasks, plan: p };
    if (this.memo.size >= this.memoSize) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(key, route);
    return route;
  }
}
