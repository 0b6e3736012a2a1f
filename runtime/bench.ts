// Side-by-side timings of one model's configurations: the dynamic graph, a specialised session
// (cold: building it; warm: cached), and MACs, so ratios come from one run on one machine.
import { costAt } from "../compiler/cost/table";
import type { Config } from "../compiler/ir/types";
import type { InputTensor } from "./inputs";
import { ProfileError } from "./profile";
import type { MtlModel } from "./model";

export interface BenchRow {
  readonly config: Config;
  readonly macs: number;
  /** null for an int8 model, which runs only specialised (quantised) sessions. */
  readonly dynamicMs: number | null;
  readonly specialisedMs: number;
  readonly buildMs: number; // first use of the configuration: specialise + create the session + first run
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function timeRuns(run: () => Promise<{ ms: number }>, runs: number, warmup = 2): Promise<number> {
  // A median of no runs would be undefined, printed as NaN: refuse instead.
  if (!Number.isInteger(runs) || runs < 1)
    throw new ProfileError(`runs must be a whole number >= 1, got ${runs}`, "e.g. runs: 10");
  for (let i = 0; i < warmup; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await run()).ms);
  return median(ms);
}

/** Configurations along the diagonal (every group at choice k), which span the cost range. */
export function diagonalConfigs(model: MtlModel): Config[] {
  const k = Math.max(...model.meta.groups.map((g) => g.choices.length), 1);
  return Array.from({ length: k }, (_, i) =>
    Object.fromEntries(model.meta.groups.map((g) => [g.name, Math.min(i, g.choices.length - 1)])),
  );
}

export async function benchModel(
  model: MtlModel,
  inputs: Record<string, InputTensor>,
  configs: readonly Config[],
  runs = 10,
  onRow?: (r: BenchRow) => void,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const config of configs) {
    const t0 = performance.now();
    await model.run(inputs, { config, mode: "specialised" }); // wait for the session: its build is what is timed
    const buildMs = performance.now() - t0;
    const specialisedMs = await timeRuns(() => model.run(inputs, { config, mode: "specialised" }), runs);
    const dynamicMs =
      model.precision === "int8" ? null : await timeRuns(() => model.run(inputs, { config, mode: "dynamic" }), runs);
    // A static model's config is empty (its graph has no width inputs); its table has one choice per group.
    const costConfig = Object.fromEntries(
      model.costs.groups.map((g) => [g.name, config[g.name] ?? g.choices.length - 1]),
    );
    const row = { config, macs: costAt(model.costs, costConfig).macs, dynamicMs, specialisedMs, buildMs };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

/** Spearman rank correlation, for "how closely does latency track MACs". */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  const rank = (v: readonly number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const n = xs.length;
  const d2 = rx.reduce((s, r, i) => s + (r - ry[i]) ** 2, 0);
  return n < 2 ? 1 : 1 - (6 * d2) / (n * (n * n - 1));
}
