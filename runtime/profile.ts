// Measures a latency table on this machine (`mtl profile`): the shared encoder at every
// configuration of its groups (all tasks off), and each head at every configuration of the groups
// its cost depends on (that task alone, minus the encoder's time). Runs use specialised sessions,
// the way the runtime serves cached configurations.
//
// Timings on a busy machine are noisy, so each measurement is warmed up, repeated in interleaved
// rounds (a burst of load hits every measurement of a block alike instead of one configuration),
// summarised by its median, re-measured once when it is noisy or has many outliers, and the table
// is checked: time must not fall as a group widens. The result carries a `quality` record (noise,
// outliers, violations, reliable or not) that the search reads before planning on the table.
import type { CostTable } from "../compiler/cost/types";
import { MtlError } from "../compiler/errors";
import type { InputTensor } from "./inputs";
import type { MtlModel } from "./model";
import {
  ABS_TOLERANCE_MS,
  MAX_NOISY_SHARE,
  median,
  monotonicityViolations,
  NOISY,
  summarise,
  type MonotonicityViolation,
} from "./profile-stats";
import type { LatencyQuality, LatencyTable, LatencyTerm } from "./search/latency";

export interface ProfileOptions {
  runs?: number; // timed runs per measurement (median taken), default 7
  warmup?: number; // untimed runs per measurement first, default 2
  /** Measurements timed round-robin in one block (their sessions stay cached), default 8. */
  interleave?: number;
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

/** One timed quantity: a run of `tasks` at `config`. */
interface Measurement {
  readonly config: Record<string, number>;
  readonly tasks: string[];
  samples: number[];
}

type Runner = Pick<MtlModel, "run" | "costs" | "tasks"> & { readonly precision?: MtlModel["precision"] };

/** Times every measurement: blocks of `interleave`, warm-up, then rounds in rotating order. */
async function measureAll(
  model: Runner,
  inputs: Record<string, InputTensor>,
  list: Measurement[],
  o: Required<Omit<ProfileOptions, "onProgress" | "maxMeasurements">>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const time = async (m: Measurement) =>
    (await model.run(inputs, { config: m.config, tasks: m.tasks, mode: "specialised" })).ms; // never the dynamic stand-in
  const rounds = async (block: Measurement[], n: number) => {
    for (let r = 0; r < n; r++)
      for (let i = 0; i < block.length; i++) {
        const m = block[(i + r) % block.length];
        m.samples.push(await time(m));
      }
  };
  let done = 0;
  for (let start = 0; start < list.length; start += o.interleave) {
    const block = list.slice(start, start + o.interleave);
    for (const m of block) for (let i = 0; i < o.warmup; i++) await time(m);
    await rounds(block, o.runs);
    // A noisy measurement, or one with many outliers, gets one more set of rounds.
    const again = block.filter((m) => {
      const s = summarise(m.samples);
      return s.noisy || s.outliers > m.samples.length / 5;
    });
    if (again.length) await rounds(again, o.runs);
    done += block.length;
    onProgress?.(done, list.length);
  }
}

export async function profileLatency(
  model: Runner,
  inputs: Record<string, InputTensor>,
  o: ProfileOptions = {},
): Promise<LatencyTable> {
  const opts = { runs: o.runs ?? 7, warmup: o.warmup ?? 2, interleave: o.interleave ?? 8 };
  if (!Number.isInteger(opts.runs) || opts.runs < 1)
    throw new ProfileError(`runs must be a whole number >= 1, got ${opts.runs}`, "e.g. --runs 7");
  const parts = partGroups(model.costs);
  const shared = parts.get("shared") ?? [];
  const plan: { part: string; groups: string[] }[] = [
    { part: "shared", groups: shared },
    ...model.tasks.map((t) => ({ part: t, groups: parts.get(t) ?? shared })),
  ];
  const [a, b] = model.tasks;
  const narrow = Object.fromEntries(model.costs.groups.map((g) => [g.name, 0]));

  // What to time. The encoder is separated by inclusion-exclusion over two tasks at their narrowest
  // heads, E = T(a) + T(b) - T(a, b) (a run needs at least one task); with one task, its narrowest
  // head is folded into the encoder's time (the sums stay right). A head is T(task) - E.
  const list: Measurement[] = [];
  const byKey = new Map<string, Measurement>();
  const need = (config: Record<string, number>, tasks: string[]): Measurement => {
    const key = `${JSON.stringify(config)}|${tasks.join(",")}`;
    let m = byKey.get(key);
    if (m) return m;
    m = { config, tasks, samples: [] };
    byKey.set(key, m);
    list.push(m);
    return m;
  };
  const cells = plan.map((p) =>
    [...combinations(model.costs, p.groups)].map((c) => {
      if (p.part !== "shared") return [need(c, [p.part])];
      const at = { ...narrow, ...c };
      return b === undefined ? [need(at, [a])] : [need(at, [a]), need(at, [b]), need(at, [a, b])];
    }),
  );
  if (list.length > (o.maxMeasurements ?? 2000)) {
    // Where the count comes from: the encoder at each configuration of its groups, each head at each
    // configuration of the groups its cost depends on.
    const perPart = cells.map((c, i) =>
      plan[i].part !== "shared"
        ? `${c.length} for ${plan[i].part}`
        : b === undefined
          ? `${c.length} for the encoder`
          : `${c.length * 3} for the encoder (${c.length} configurations, each timed with two tasks apart and together)`,
    );
    throw new ProfileError(
      `profiling would take ${list.length} measurements, more than --max ${o.maxMeasurements ?? 2000}`,
      `one per width configuration of each part: ${perPart.join(", ")}; raise --max to ${list.length}, ` +
        "or profile a model with fewer width choices",
    );
  }

  await measureAll(model, inputs, list, opts, o.onProgress);

  const value = (m: Measurement) => summarise(m.samples).median;
  const key = (c: Record<string, number>) => shared.map((g) => c[g]).join(",");
  const encoderMs = new Map<string, number>();
  let negative = 0; // differences that came out below zero by more than the noise: clamped to 0
  const terms: LatencyTerm[] = plan.map((p, i) => {
    const configs = [...combinations(model.costs, p.groups)];
    const ms = cells[i].map((ms3, j) => {
      let t: number;
      if (p.part === "shared") {
        t = ms3.length === 1 ? value(ms3[0]) : value(ms3[0]) + value(ms3[1]) - value(ms3[2]);
        encoderMs.set(key(configs[j]), Math.max(0, t));
      } else t = value(ms3[0]) - (encoderMs.get(key(configs[j])) ?? 0);
      const slack = Math.max(0.05, NOISY * Math.max(...ms3.map(value)));
      if (t < -slack) negative++;
      return Math.max(0, t);
    });
    return { part: p.part, groups: p.groups, ms };
  });
  const quality = assess(model.costs, terms, list, opts, negative);
  // An int8 table says so: its times are int8 sessions', not fp32 ones.
  const device = `${process.platform}-${process.arch}, onnxruntime-node${model.precision === "int8" ? ", int8" : ""}`;
  return { version: 1, device, precision: model.precision ?? "fp32", overheadMs: 0, terms, quality };
}

/** How far the table can be trusted: noise over all measurements, outliers, and width monotonicity. */
function assess(
  costs: CostTable,
  terms: LatencyTerm[],
  list: Measurement[],
  o: { runs: number; warmup: number },
  negative: number,
): LatencyQuality {
  const stats = list.map((m) => summarise(m.samples));
  const noise = median(stats.map((s) => s.noise));
  const noisy = stats.filter((s) => s.noisy).length;
  const relTolerance = Math.max(0.1, 3 * noise);
  const violations: MonotonicityViolation[] = terms.flatMap((t) =>
    monotonicityViolations(
      t,
      t.groups.map((g) => costs.groups.find((x) => x.name === g)!.choices.length),
      relTolerance,
    ),
  );
  const problems: string[] = [];
  if (noisy > MAX_NOISY_SHARE * list.length)
    problems.push(
      `${noisy} of ${list.length} measurements vary by more than ${NOISY * 100}% (and ${ABS_TOLERANCE_MS} ms) between runs`,
    );
  if (violations.length)
    problems.push(
      `${violations.length} place${violations.length === 1 ? "" : "s"} where a wider configuration measured faster than a narrower one`,
    );
  if (negative)
    problems.push(
      `${negative} part time${negative === 1 ? "" : "s"} came out negative (the parts' sum disagrees with the whole)`,
    );
  return {
    runs: o.runs,
    warmup: o.warmup,
    measurements: list.length,
    noise: round(noise),
    maxNoise: round(Math.max(0, ...stats.map((s) => s.noise))),
    noisy,
    outliers: stats.reduce((n, s) => n + s.outliers, 0),
    samples: list.reduce((n, m) => n + m.samples.length, 0),
    violations: violations
      .slice(0, 20)
      .map((v) => ({ ...v, narrowerMs: round(v.narrowerMs), widerMs: round(v.widerMs) })),
    reliable: problems.length === 0,
    problems,
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
