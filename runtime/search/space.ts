// The search space, compiled for speed. A configuration is a "genome": one choice index per group
// of the model, in the cost table's group order. Cost terms are compiled to positions and strides
// into that genome, so evaluating a term is a few multiply-adds and one array read; searches
// evaluate configurations hundreds of thousands of times.

import type { CostTable, GroupInfo } from "../../compiler/cost/types";
import type { Config } from "../../compiler/ir/types";

export type Genome = Uint8Array; // choice index per group (no group has 256 choices)

/** One factor of a cost: `values` indexed row-major by the choice indices of `pos` groups. */
export interface CompiledTerm {
  readonly part: string;
  readonly pos: Int32Array;
  readonly strides: Int32Array;
  readonly values: ArrayLike<number>;
}

/** A metric's terms for the running parts, split the way the searches use them. */
export interface Metric {
  readonly all: readonly CompiledTerm[];
  readonly byPart: ReadonlyMap<string, readonly CompiledTerm[]>; // "shared" and each running task
}

export interface Space {
  readonly groups: readonly GroupInfo[]; // every group of the model
  readonly position: ReadonlyMap<string, number>; // group name -> genome position
  readonly tasks: readonly string[]; // running tasks
  readonly parts: readonly string[]; // "shared" then the running tasks
  readonly active: Int32Array; // positions the search may change: shared groups and running tasks' groups
  readonly shared: Int32Array;
  readonly own: ReadonlyMap<string, Int32Array>; // running task -> its groups' positions
  readonly size: Int32Array; // number of choices per position
}

export interface RawTerm {
  readonly part: string;
  readonly groups: readonly string[];
  readonly values: readonly number[];
}

export function makeSpace(table: CostTable, tasks: readonly string[]): Space {
  const position = new Map(table.groups.map((g, i) => [g.name, i]));
  const pick = (pred: (g: GroupInfo) => boolean) =>
    Int32Array.from(table.groups.flatMap((g, i) => (pred(g) ? [i] : [])));
  return {
    groups: table.groups,
    position,
    tasks,
    parts: ["shared", ...tasks],
    active: pick((g) => g.part === "shared" || tasks.includes(g.part)),
    shared: pick((g) => g.part === "shared"),
    own: new Map(tasks.map((t) => [t, pick((g) => g.part === t)])),
    size: Int32Array.from(table.groups, (g) => g.choices.length),
  };
}

/** Compiles the terms of running parts; terms of parts that are off are dropped (not paid). */
export function compileMetric(space: Space, terms: readonly RawTerm[]): Metric {
  const all: CompiledTerm[] = [];
  const byPart = new Map<string, CompiledTerm[]>(space.parts.map((p) => [p, []]));
  for (const t of terms) {
    const list = byPart.get(t.part);
    if (!list) continue;
    const pos = Int32Array.from(t.groups, (g) => space.position.get(g) ?? -1);
    const strides = new Int32Array(pos.length);
    let stride = 1;
    for (let i = pos.length - 1; i >= 0; i--) {
      strides[i] = stride;
      stride *= space.size[pos[i]];
    }
    const c: CompiledTerm = { part: t.part, pos, strides, values: t.values };
    all.push(c);
    list.push(c);
  }
  return { all, byPart };
}

export function termValue(t: CompiledTerm, g: Genome): number {
  let o = 0;
  for (let i = 0; i < t.pos.length; i++) o += g[t.pos[i]] * t.strides[i];
  return t.values[o];
}

export function sumTerms(terms: readonly CompiledTerm[], g: Genome): number {
  let s = 0;
  for (const t of terms) s += termValue(t, g);
  return s;
}

export const partCost = (m: Metric, part: string, g: Genome): number => sumTerms(m.byPart.get(part) ?? [], g);
export const totalCost = (m: Metric, g: Genome): number => sumTerms(m.all, g);

export function costByPart(m: Metric, space: Space, g: Genome): Record<string, number> {
  return Object.fromEntries(space.parts.map((p) => [p, partCost(m, p, g)]));
}

/** Budget comparison with a relative tolerance, so that float rounding in a different summation
 * order (latency in ms) never turns an exactly-at-budget plan into an over-budget one. */
export const fits = (cost: number, limit: number): boolean => cost <= limit + 1e-9 * Math.abs(limit);

/** Number of assignments of a set of positions (may exceed 2^53 only as an estimate). */
export function assignments(space: Space, positions: Int32Array): number {
  let n = 1;
  for (const p of positions) n *= space.size[p];
  return n;
}

/**
 * Calls `fn` once per assignment of `positions`, writing each into `g` in place (an odometer: the
 * last position varies fastest). `g` holds the last assignment afterwards. `fn` returning false
 * stops early.
 */
export function forEachAssignment(space: Space, positions: Int32Array, g: Genome, fn: () => boolean | void): void {
  for (const p of positions) g[p] = 0;
  for (;;) {
    if (fn() === false) return;
    let i = positions.length - 1;
    while (i >= 0) {
      const p = positions[i];
      if (g[p] + 1 < space.size[p]) {
        g[p]++;
        break;
      }
      g[p] = 0;
      i--;
    }
    if (i < 0) return;
  }
}

export const narrowest = (space: Space): Genome => new Uint8Array(space.groups.length);

export function widest(space: Space): Genome {
  const g = narrowest(space);
  for (const p of space.active) g[p] = space.size[p] - 1;
  return g;
}

export const toConfig = (space: Space, g: Genome): Config =>
  Object.fromEntries(space.groups.map((grp, i) => [grp.name, g[i]]));
