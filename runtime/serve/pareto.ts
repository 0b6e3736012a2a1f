// The configurations worth preparing ahead: the search's choice at a ladder of relative budgets
// (5% to 100% in 5% steps) with the model's own preferences and every task running. Each is the
// best predicted utility for its cost the search can find, so together they trace the Pareto
// front of cost against utility that common budgets land on. Utilities come from the measured
// profile stored in the file when there is one (as `model.plan()` does), else from the proxy.
import type { Config } from "../../compiler/ir/types";
import type { CostTable } from "../../compiler/cost/types";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { isSearchError, plan, type Plan, type Profile } from "../search/index";

export function paretoPlans(
  costs: CostTable,
  meta: Pick<MtlMetadata, "prefer">,
  profile: Profile | null = null,
  steps = 20,
): Plan[] {
  const seen = new Set<string>();
  const out: Plan[] = [];
  const prefer = Object.keys(meta.prefer).length ? meta.prefer : undefined;
  for (let i = 1; i <= steps; i++) {
    const p = plan(costs, { budget: `${Math.round((100 * i) / steps)}%`, prefer }, { profile });
    if (isSearchError(p)) continue; // below the cheapest configuration
    const key = JSON.stringify(p.config);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

export const paretoConfigs = (
  costs: CostTable,
  meta: Pick<MtlMetadata, "prefer">,
  profile: Profile | null = null,
): Config[] => paretoPlans(costs, meta, profile).map((p) => p.config);
