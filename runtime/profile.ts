// Measures a latency table on this machine (`mtl profile`): the shared encoder at every
// configuration of its groups (all tasks off), and each head at every configuration of the groups
// its cost depends on (that task alone, minus the encoder's time). Runs use specialised sessions,
// the way the runtime serves cached configurations.
import { MtlError } from "../compiler/errors";
import type { CostTable } from "../compiler/cost/types";
import type { InputTensor } from "./inputs";
import type { MtlModel } from "./model";
import type { LatencyTable, LatencyTerm } from "./search/latency";

export interface ProfileOptions {
  runs?: number; // timed runs per measurement (median taken)
  warmup?: number;
  maxMeasurements?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Profiling cannot run as asked (MTL-PROF-001, docs/errors.md). */
export class ProfileError extends MtlError {
  constructor(message: string, hint?: string, code = "MTL-PROF-001") {
    super(code, message, hint);
  }
}

/** The groups each part's cost depends on, from the cost table. */
export function partGroups(costs: CostTable): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const t of costs.terms) {
    const s = out.get(t.part) ?? new Set<string>();
    for (const g of t.groups) s.add(g);
    out.set(t.part, s);
  }
  const order = costs.groups.map((g) => g.name);
  return new Map([...out].map(([p, s]) => [p, order.filter((g) => s.has(g))]));
}

/** Every combination of choice indices for `groups`, last group fastest (the table's row-major order). */
export function* combinations(costs: CostTable, groups: readonly string[]): Generator<Record<string, number>> {
  const sizes = groups.map((g) => costs.groups.find((x) => x.name === g)!.choices.length);
  const idx = sizes.map(() => 0);
  while (true) {
    yield Object.fromEntries(groups.map((g, i) => [g, idx[i]]));
    let k = groups.length - 1;
    while (k >= 0 && ++idx[k] === sizes[k]) idx[k--] = 0;
    if (k < 0) return;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeRun(model: MtlModel, inputs: Record<string, InputTensor>, config: Record<string, number>, tasks: string[], o: Required<Pick<ProfileOptions, "runs" | "warmup">>): Promise<number> {
  for (let i = 0; i < o.warmup; i++) await model.run(inputs, { config, tasks });
  const ms: number[] = [];
  for (let i = 0; i < o.runs; i++) ms.push((await model.run(inputs, { config, tasks })).ms);
  return median(ms);
}

export async function profileLatency(model: MtlModel, inputs: Record<string, InputTensor>, o: ProfileOptions = {}): Promise<LatencyTable> {
  const opts = { runs: o.runs ?? 5, warmup: o.warmup ?? 1 };
  const parts = partGroups(model.costs);
  const shared = parts.get("shared") ?? [];
  const plan: { part: string; groups: string[] }[] = [{ part: "shared", groups: shared }, ...model.tasks.map((t) => ({ part: t, groups: parts.get(t) ?? shared }))];
  const count = (groups: string[]) => groups.reduce((n, g) => n * model.costs.groups.find((x) => x.name === g)!.choices.length, 1);
  const total = plan.reduce((n, p) => n + count(p.groups), 0);
  if (total > (o.maxMeasurements ?? 2000))
    throw new ProfileError(`profiling would take ${total} measurements`, "this model's configuration space is per-layer; profile a coarser model, or raise --max");
  let done = 0;
  const encoderMs = new Map<string, number>(); // shared config key -> ms (with no task running)
  const key = (c: Record<string, number>) => shared.map((g) => c[g]).join(",");
  const terms: LatencyTerm[] = [];
  for (const p of plan) {
    const ms: number[] = [];
    for (const c of combinations(model.costs, p.groups)) {
      if (p.part === "shared") {
        // A run needs at least one task, so the encoder is separated by inclusion-exclusion over
        // two tasks at their narrowest heads: E = T(a) + T(b) - T(a, b). With one task, its
        // narrowest head is folded into the encoder's time (the sums stay right).
        const narrow = Object.fromEntries(model.costs.groups.map((g) => [g.name, 0]));
        const at = { ...narrow, ...c };
        const [a, b] = model.tasks;
        let t = await timeRun(model, inputs, at, [a], opts);
        if (b !== undefined) t = Math.max(0, t + (await timeRun(model, inputs, at, [b], opts)) - (await timeRun(model, inputs, at, [a, b], opts)));
        encoderMs.set(key(c), t);
        ms.push(t);
      } else {
        const t = await timeRun(model, inputs, c, [p.part], opts);
        ms.push(Math.max(0, t - (encoderMs.get(key(c)) ?? 0)));
      }
      o.onProgress?.(++done, total);
    }
    terms.push({ part: p.part, groups: p.groups, ms });
  }
  return { version: 1, device: `${process.platform}-${process.arch}, onnxruntime-node`, overheadMs: 0, terms };
}
