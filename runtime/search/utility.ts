// Predicted utility of each task at a configuration, relative to the full-width model (1.0 = as good
// as full width). Relative values make tasks with different metrics (mIoU, RMSE) comparable, so the
// objective sum_t prefer_t * utility_t is meaningful; it is the Δm convention of multi-task papers.
// The source is a measured profile when one is given for the task, else a proxy (docs/search.md).

import type { CostTable } from "../../compiler/cost/types";
import { searchError, type SearchError } from "./types";
import { unknownNameHint } from "./suggest";
import { partCost, widest, type Genome, type Metric, type Space } from "./space";

export interface ProfilePoint {
  /** Width multiplier per group; groups left out are at full width; other tasks' groups are ignored. */
  readonly config: Readonly<Record<string, number>>;
  readonly score: number;
  /** `mtl eval`: every metric measured for the task at this configuration (the score is the first). */
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface ProfileTask {
  readonly lowerIsBetter?: boolean; // e.g. depth RMSE
  /** The metric the scores are (`mtl eval` writes the task's declared metric). */
  readonly metric?: string;
  readonly points: readonly ProfilePoint[];
}

/** Where a measured profile comes from (`mtl eval` writes it; explain() quotes it). */
export interface ProfileProvenance {
  readonly data: string;
  readonly split: string;
  readonly images: number;
  readonly calibrationBatches: number;
  readonly calibrationBatchSize: number;
  /** Which configurations were run: all, factorised, pareto or a sample of N. */
  readonly selection: string;
  readonly configurations: number;
}

export interface Profile {
  readonly version: 1;
  /** A list of points (higher score is better) or { lowerIsBetter, points }. */
  readonly tasks: Readonly<Record<string, readonly ProfilePoint[] | ProfileTask>>;
  readonly measured?: ProfileProvenance;
}

/** Where a task's utility at a configuration comes from: measured there, interpolated between measurements, or the proxy. */
export type UtilitySource = "profile" | "interpolated" | "proxy";

export interface UtilityModel {
  /** Per running task: "profile" when the profile covers it, else "proxy". */
  readonly source: Readonly<Record<string, "profile" | "proxy">>;
  /** Predicted relative utility of a running task; depends only on shared and that task's groups. */
  utility(task: string, g: Genome): number;
  /** Whether the task's utility at `g` is a measurement ("profile"), interpolated, or the proxy. */
  sourceAt(task: string, g: Genome): UtilitySource;
}

const bad = (message: string, hint?: string) => searchError("bad-profile", message, hint);

/**
 * Proxy, step 1: utility as a function of a capacity fraction x (1 = full width). Fitted to Slimmable
 * Nets' S-ResNet-50 (top-1 error 24.0 / 25.1 / 27.9 / 35.0 at 4.1G / 2.3G / 1.1G / 278M MACs, i.e.
 * x = 1 / 0.56 / 0.27 / 0.068): error ~ 20.1 + 3.89 / sqrt(x) fits all four within 0.3 points, which
 * gives relative accuracy u(x) = 1 - K (x^-1/2 - 1), K = 3.89 / 76.0, clamped at 0. Increasing and
 * concave: diminishing returns, as the measured numbers show.
 */
export const PROXY_K = 3.89 / 76.0;
export const proxyOfFraction = (x: number): number => (x <= 0 ? 0 : Math.max(0, 1 - PROXY_K * (1 / Math.sqrt(x) - 1)));

/**
 * Proxy, step 2: a task's capacity x = sqrt(e * h), the geometric mean of the encoder's MAC fraction
 * e and its head's MAC fraction h. At uniform width both equal the network's MAC fraction, the only
 * configurations Slimmable Nets measured, so the fit above applies as is. Off that diagonal the
 * encoder and the head are stages in series: a narrow head caps the task however wide the encoder
 * is, so the fractions multiply instead of being averaged by MACs (which would let a large encoder
 * drown out a head cut to a quarter). A part with no MACs at full width drops out.
 */
export function proxyCapacity(e: number | null, h: number | null): number {
  if (e === null && h === null) return 1;
  if (e === null) return h!;
  if (h === null) return e;
  return Math.sqrt(e * h);
}

function proxy(space: Space, macs: Metric): (task: string, g: Genome) => number {
  const full = widest(space);
  const sharedFull = partCost(macs, "shared", full);
  const taskFull = new Map(space.tasks.map((t) => [t, partCost(macs, t, full)]));
  return (task, g) => {
    const headFull = taskFull.get(task) ?? 0;
    const e = sharedFull > 0 ? partCost(macs, "shared", g) / sharedFull : null;
    const h = headFull > 0 ? partCost(macs, task, g) / headFull : null;
    return proxyOfFraction(proxyCapacity(e, h));
  };
}

const isPoint = (p: unknown): p is ProfilePoint =>
  typeof p === "object" &&
  p !== null &&
  typeof (p as ProfilePoint).score === "number" &&
  Number.isFinite((p as ProfilePoint).score) &&
  typeof (p as ProfilePoint).config === "object" &&
  (p as ProfilePoint).config !== null &&
  Object.values((p as ProfilePoint).config).every((w) => typeof w === "number" && Number.isFinite(w) && w > 0);

/** Checks the JSON shape of a profile (as read from a file). */
export function parseProfile(json: unknown): Profile | SearchError {
  if (typeof json !== "object" || json === null) return bad("a profile must be an object { version: 1, tasks: {...} }");
  const o = json as Record<string, unknown>;
  if (o.version !== 1) return bad(`unsupported profile version ${String(o.version)}`, "this runtime reads version 1");
  if (typeof o.tasks !== "object" || o.tasks === null || Array.isArray(o.tasks))
    return bad("tasks must be an object of task -> points");
  for (const [t, v] of Object.entries(o.tasks as Record<string, unknown>)) {
    const points = Array.isArray(v) ? v : (v as ProfileTask | null)?.points;
    if (!Array.isArray(points) || points.length === 0) return bad(`task "${t}": needs a non-empty list of points`);
    if (
      !Array.isArray(v) &&
      (v as ProfileTask).lowerIsBetter !== undefined &&
      typeof (v as ProfileTask).lowerIsBetter !== "boolean"
    ) {
      return bad(`task "${t}": lowerIsBetter must be true or false`);
    }
    const i = points.findIndex((p) => !isPoint(p));
    if (i >= 0) return bad(`task "${t}", point ${i}: needs { config: { group: width > 0 }, score: number }`);
  }
  return json as Profile;
}

/** Measured utility of one task: exact at measured points, inverse-distance weighted between. */
interface Measured {
  (g: Genome): number;
  /** The configuration's (shared + own) widths were measured. */
  exact(g: Genome): boolean;
}

function measured(space: Space, task: string, spec: ProfileTask, table: CostTable): Measured | SearchError {
  const rel = Int32Array.from([...space.shared, ...(space.own.get(task) ?? [])]);
  const names = table.groups.map((g) => g.name);
  // Repeated measurements of one configuration are averaged first, so that a repeat does not
  // weigh more than a single measurement when interpolating.
  const merged = new Map<string, { w: Float64Array; sum: number; n: number }>();
  for (const p of spec.points) {
    for (const name of Object.keys(p.config)) {
      if (!space.position.has(name))
        return bad(`task "${task}": unknown group "${name}"`, unknownNameHint(name, names, "groups"));
    }
    const w = Float64Array.from(rel, (pos) => {
      const grp = space.groups[pos];
      return p.config[grp.name] ?? grp.choices[grp.choices.length - 1];
    });
    const key = Array.from(w, (x) => x.toFixed(9)).join(",");
    const m = merged.get(key) ?? { w, sum: 0, n: 0 };
    m.sum += p.score;
    m.n++;
    merged.set(key, m);
  }
  const pts = [...merged.values()].map((m) => ({ w: m.w, score: m.sum / m.n }));
  const fullW = Float64Array.from(rel, (pos) => space.groups[pos].choices[space.groups[pos].choices.length - 1]);
  const near = (a: Float64Array, b: Float64Array) => a.every((x, i) => Math.abs(x - b[i]) < 1e-9);
  const atFull = pts.find((p) => near(p.w, fullW));
  const scores = pts.map((p) => p.score);
  const lower = spec.lowerIsBetter === true;
  // Reference: the full-width measurement, else the best measured score.
  const ref = atFull ? atFull.score : lower ? Math.min(...scores) : Math.max(...scores);
  if (!(ref > 0))
    return bad(`task "${task}": the reference score must be positive to compare relative to full width, got ${ref}`);
  const relScore = (s: number) => (lower ? 2 - s / ref : s / ref);

  const cache = new Map<string, number>();
  const exactKeys = new Set<string>();
  const keyOf = (g: Genome) => {
    let key = "";
    for (const p of rel) key += String.fromCharCode(48 + g[p]);
    return key;
  };
  const f = (g: Genome): number => {
    const key = keyOf(g);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const v = Float64Array.from(rel, (pos) => space.groups[pos].choices[g[pos]]);
    let num = 0;
    let den = 0;
    let u: number | null = null;
    for (const p of pts) {
      let d2 = 0;
      for (let i = 0; i < v.length; i++) d2 += (v[i] - p.w[i]) ** 2;
      if (d2 < 1e-18) {
        u = relScore(p.score);
        exactKeys.add(key);
        break;
      }
      num += relScore(p.score) / d2;
      den += 1 / d2;
    }
    u ??= num / den;
    cache.set(key, u);
    return u;
  };
  return Object.assign(f, {
    exact: (g: Genome) => {
      f(g);
      return exactKeys.has(keyOf(g));
    },
  });
}

export function makeUtility(
  space: Space,
  macs: Metric,
  table: CostTable,
  profile?: Profile,
): UtilityModel | SearchError {
  const fallback = proxy(space, macs);
  const byTask = new Map<string, Measured>();
  if (profile) {
    for (const [task, v] of Object.entries(profile.tasks)) {
      if (!table.tasks.includes(task))
        return bad(`profile for unknown task "${task}"`, unknownNameHint(task, table.tasks, "tasks"));
      if (!space.tasks.includes(task)) continue; // measured, but not running now
      const m = measured(space, task, Array.isArray(v) ? { points: v } : (v as ProfileTask), table);
      if (typeof m !== "function") return m;
      byTask.set(task, m);
    }
  }
  return {
    source: Object.fromEntries(space.tasks.map((t) => [t, byTask.has(t) ? "profile" : "proxy"])),
    utility: (task, g) => {
      const m = byTask.get(task);
      return m ? m(g) : fallback(task, g);
    },
    sourceAt: (task, g) => {
      const m = byTask.get(task);
      if (!m) return "proxy";
      return m.exact(g) ? "profile" : "interpolated";
    },
  };
}
