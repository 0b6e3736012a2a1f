// `mtl search MODEL.onnx --budget 60% --prefer a=2,b=1`: the configuration the built-in search
// picks, and why.
import { explain, load } from "../../runtime/index";
import { PlanError } from "../../runtime/plan-error";
import {
  isSearchError,
  parseLatencyTable,
  OBJECTIVE_OPTIONS,
  parseProfile,
  STRATEGY_OPTIONS,
  type PlanOptions,
} from "../../runtime/search/index";
import { checkReadable, parseAssignments, parseTaskList, readBytes } from "../files";
import { budgetFlag, wholeNumber } from "../flags";
import { out, UserError } from "../io";

export interface SearchCliOptions {
  budget?: string;
  prefer?: string;
  tasks?: string;
  strategy?: string;
  objective?: string;
  seed?: string;
  latency?: string;
  profile?: string;
  acceptUnreliableLatency?: boolean;
  json?: boolean;
}

/** --latency (a table from `mtl profile`) and --profile (measured task utility) as plan options. */
export interface PlanFlags {
  strategy?: string;
  objective?: string;
  seed?: string;
  latency?: string;
  profile?: string;
  acceptUnreliableLatency?: boolean;
}

export function planOptionsFrom(o: PlanFlags): PlanOptions {
  const strategies: readonly string[] = STRATEGY_OPTIONS;
  if (o.strategy && !strategies.includes(o.strategy))
    throw new UserError(`unknown strategy "${o.strategy}"`, 2, `use one of ${strategies.join(", ")}`);
  const objectives: readonly string[] = OBJECTIVE_OPTIONS;
  if (o.objective && !objectives.includes(o.objective))
    throw new UserError(`unknown objective "${o.objective}"`, 2, `use one of ${objectives.join(", ")}`);
  const json = (path: string, what: string): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(readBytes(path, what)));
    } catch (e) {
      if (e instanceof SyntaxError) throw new UserError(`${path} is not valid JSON (${e.message})`);
      throw e;
    }
  };
  const options: { -readonly [K in keyof PlanOptions]: PlanOptions[K] } = {
    strategy: (o.strategy ?? "auto") as PlanOptions["strategy"],
  };
  if (o.objective) options.objective = o.objective as PlanOptions["objective"];
  if (o.seed !== undefined) options.seed = wholeNumber(o.seed, "--seed", 1, 0);
  // only the evolutionary search draws random numbers: auto may run it, and so may chebyshev's scale (found with auto)
  if (o.seed !== undefined && (o.strategy === "paper" || o.strategy === "exact") && o.objective !== "chebyshev")
    throw new UserError(
      `--seed seeds the evolutionary search, which --strategy ${o.strategy} never runs`,
      2,
      "drop --seed, or use --strategy evolutionary (or auto, which runs it on large spaces)",
    );
  if (o.acceptUnreliableLatency && !o.latency)
    throw new UserError(
      "--accept-unreliable-latency goes with --latency",
      2,
      "it accepts a latency table flagged as unreliable: pass the table with --latency, or drop the flag",
    );
  if (o.latency) {
    const t = parseLatencyTable(json(o.latency, "latency table"));
    if (isSearchError(t)) {
      const hint = t.hint ?? "measure one with `mtl profile MODEL.onnx -o latency.json`";
      throw PlanError.from({ ...t, message: `${o.latency}: ${t.message}`, hint });
    }
    options.latency = t;
    options.acceptUnreliableLatency = o.acceptUnreliableLatency === true;
    if (!t.quality)
      out.err(
        `note: ${o.latency} has no quality record (not written by this mtl's profile): how noisy it is is unknown`,
      );
    else if (!t.quality.reliable)
      out.err(`warning: ${o.latency} was flagged as unreliable when measured: ${t.quality.problems.join("; ")}`);
  }
  if (o.profile) {
    const p = parseProfile(json(o.profile, "utility profile"));
    if (isSearchError(p)) {
      const hint = p.hint ?? "see docs/search.md for the profile format";
      throw PlanError.from({ ...p, message: `${o.profile}: ${p.message}`, hint });
    }
    options.profile = p;
  }
  return options;
}

export function constraintsFrom(o: { budget?: string; prefer?: string; tasks?: string }) {
  return {
    budget: budgetFlag(o.budget),
    prefer: o.prefer ? parseAssignments(o.prefer, "--prefer") : undefined,
    tasks: parseTaskList(o.tasks),
  };
}

export async function runSearch(path: string, o: SearchCliOptions): Promise<number> {
  const options = planOptionsFrom(o);
  budgetFlag(o.budget); // before the model loads
  checkReadable(path, "model file"); // the same code for a missing file or a folder as every command
  const model = await load(path);
  const t0 = performance.now();
  const plan = model.plan(constraintsFrom(o), options);
  const ms = performance.now() - t0;
  if (o.json) out.log(JSON.stringify({ ...plan, ms }, null, 2));
  else out.log(`${explain(plan)}\nplanned in ${ms.toFixed(2)} ms`);
  await model.close();
  return 0;
}
