// `load(file, {preload})`: which configurations to build specialised sessions for in the background
// after load ("pareto", "all", or a list), checked against the model before anything is built.
import type { CostTable } from "../compiler/cost/types";
import type { Config } from "../compiler/ir/types";
import type { MtlMetadata } from "../compiler/lower/metadata";
import { didYouMean } from "../compiler/messages";
import { PlanError } from "./plan-error";
import type { Profile } from "./search/index";
import { paretoConfigs } from "./serve/pareto";

export type Preload = "pareto" | "all" | readonly Readonly<Record<string, number>>[];

/**
 * What a background preload did: sessions built, builds that failed (retried on a run), and whether
 * the dynamic graph is built and warm (it answers "auto" runs of configurations not built yet).
 */
export interface PreloadResult {
  readonly built: number;
  readonly failed: number;
  readonly dynamic: boolean;
}

/** The configurations `preload` names, checked against the model's groups (bad ones: PlanError "bad-config"). */
export function preloadConfigs(
  meta: MtlMetadata,
  costs: CostTable,
  preload: Preload,
  profile: Profile | null = null,
): Config[] {
  if (preload === "pareto") return paretoConfigs(costs, meta, profile);
  if (preload === "all")
    return meta.groups.reduce<Config[]>(
      (acc, g) => acc.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i }))),
      [{}],
    );
  if (!Array.isArray(preload))
    throw new PlanError(
      "bad-config",
      `preload must be "pareto", "all" or a list of configurations`,
      'e.g. preload: "pareto"',
    );
  return preload.map((given) => {
    const config: Record<string, number> = {};
    for (const k of Object.keys(given))
      if (!meta.groups.some((g) => g.name === k))
        throw new PlanError(
          "bad-config",
          `preload: model ${meta.name} has no width group \`${k}\``,
          didYouMean(
            k,
            meta.groups.map((g) => g.name),
          ) ?? `its groups are ${meta.groups.map((g) => g.name).join(", ")}`,
        );
    for (const g of meta.groups) {
      const i = given[g.name] ?? g.choices.length - 1;
      if (!Number.isInteger(i) || i < 0 || i >= g.choices.length)
        throw new PlanError(
          "bad-config",
          `preload: width choice ${i} is out of range for group \`${g.name}\``,
          `use 0 to ${g.choices.length - 1}`,
        );
      config[g.name] = i;
    }
    return config;
  });
}
