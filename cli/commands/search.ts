// `mtl search MODEL.onnx --budget 60% --prefer a=2,b=1`: the configuration the built-in search
// picks, and why.
import { explain, load } from "../../runtime/index";
import type { PlanOptions } from "../../runtime/search/index";
import { parseAssignments } from "../files";
import { out, UserError } from "../io";

export interface SearchCliOptions {
  budget?: string;
  prefer?: string;
  tasks?: string;
  strategy?: string;
  seed?: string;
  json?: boolean;
}

export function constraintsFrom(o: { budget?: string; prefer?: string; tasks?: string }) {
  return {
    budget: o.budget,
    prefer: o.prefer ? parseAssignments(o.prefer, "--prefer") : undefined,
    tasks: o.tasks ? o.tasks.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
  };
}

export async function runSearch(path: string, o: SearchCliOptions): Promise<number> {
  const strategies = ["auto", "paper", "exact", "evolutionary"];
  if (o.strategy && !strategies.includes(o.strategy)) throw new UserError(`unknown strategy "${o.strategy}"`, 2, `use one of ${strategies.join(", ")}`);
  const model = await load(path);
  const options: PlanOptions = { strategy: (o.strategy ?? "auto") as PlanOptions["strategy"], seed: o.seed ? Number(o.seed) : undefined };
  const t0 = performance.now();
  const plan = model.plan(constraintsFrom(o), options);
  const ms = performance.now() - t0;
  if (o.json) out.log(JSON.stringify({ ...plan, ms }, null, 2));
  else out.log(`${explain(plan)}\nplanned in ${ms.toFixed(2)} ms`);
  await model.close();
  return 0;
}
