// Realistic cost tables for tests and the benchmark. Costs follow how conv layers scale: a layer
// with input width w_in and output width w_out costs ~ w_in * w_out; layers inside a block are
// ~ w_out^2; the first layer (fixed 3-channel input) ~ w_out; a head's last layer (fixed class
// count) ~ w_head. The encoder is a chain of stages (one shared group each); each head is a chain
// of its own groups whose first layer reads the last encoder stage, so head terms depend on
// (encoder group, head group), as the compiler's tables do.

import fc from "fast-check";
import type { CostTable, CostTerm, GroupInfo } from "../../compiler/cost/types";
import { forEachAssignment, fits, totalCost, type Genome } from "./space";
import { objective, type Problem } from "./problem";
import type { LatencyTable } from "./latency";

export interface TableSpec {
  readonly choices: readonly number[]; // width multipliers of every group, ascending, last 1.0
  readonly tasks: number; // task count: t0, t1, ... (or names below)
  readonly names?: readonly string[];
  readonly stages?: number; // shared encoder groups, default 1
  readonly headGroups?: number; // groups per head, default 1
  readonly encoderMacs?: number; // full-width MACs of the encoder, default 4.1e9 (ResNet-50-like)
  /** Per task, head MACs as a fraction of the encoder's; default cycles 0.3, 0.15, 0.45. */
  readonly headShare?: readonly number[];
  /** Per term, the share of the w_in * w_out part (rest ~ w_out^2); default 0.3. */
  readonly mix?: readonly number[];
}

export const WIDTHS4 = [0.25, 0.5, 0.75, 1] as const;

function pairTerm(
  part: string,
  groups: string[],
  sizes: number[][],
  macs: number,
  params: number,
  mix: number,
  last: boolean,
): CostTerm {
  // groups: [in, out] or [out]; a term with a single group is the first layer (fixed input).
  const m: number[] = [];
  const p: number[] = [];
  const ins = groups.length === 2 ? sizes[0] : [1];
  const outs = sizes[sizes.length - 1];
  for (const wi of ins) {
    for (const wo of outs) {
      const scale = mix * wi * wo + (1 - mix) * wo * wo + (last ? 0.02 * wo : 0);
      m.push(Math.round(macs * scale));
      p.push(Math.round(params * scale));
    }
  }
  return { part, groups, macs: m, params: p };
}

export function makeTable(spec: TableSpec): CostTable {
  const stages = spec.stages ?? 1;
  const heads = spec.headGroups ?? 1;
  const names = spec.names ?? Array.from({ length: spec.tasks }, (_, i) => `t${i}`);
  const enc = spec.encoderMacs ?? 4.1e9;
  const mixAt = (i: number) => spec.mix?.[i % spec.mix.length] ?? 0.3;
  const share = (i: number) => spec.headShare?.[i % spec.headShare.length] ?? [0.3, 0.15, 0.45][i % 3];
  const groups: GroupInfo[] = [];
  const terms: CostTerm[] = [];
  const ch = spec.choices;
  let termIndex = 0;
  const encName = (k: number) => (stages === 1 ? "backbone" : `backbone.s${k}`);
  for (let k = 0; k < stages; k++) {
    groups.push({ name: encName(k), part: "shared", choices: ch });
    const gs = k === 0 ? [encName(0)] : [encName(k - 1), encName(k)];
    terms.push(
      pairTerm(
        "shared",
        gs,
        gs.map(() => [...ch]),
        enc / stages,
        enc / stages / 300,
        mixAt(termIndex++),
        false,
      ),
    );
  }
  names.forEach((t, i) => {
    const hName = (j: number) => (heads === 1 ? t : `${t}.h${j}`);
    for (let j = 0; j < heads; j++) {
      groups.push({ name: hName(j), part: t, choices: ch });
      const gs = j === 0 ? [encName(stages - 1), hName(0)] : [hName(j - 1), hName(j)];
      const macs = (enc * share(i)) / heads;
      terms.push(pairTerm(t, gs, [[...ch], [...ch]], macs, macs / 200, mixAt(termIndex++), j === heads - 1));
    }
  });
  return { groups, tasks: names, terms };
}

/** Random realistic tables: 1-4 tasks, 2-4 widths, random head sizes and layer mixes. */
export function arbTable(
  opts: { maxTasks?: number; maxStages?: number; maxHeadGroups?: number } = {},
): fc.Arbitrary<CostTable> {
  return fc
    .record({
      tasks: fc.integer({ min: 1, max: opts.maxTasks ?? 4 }),
      k: fc.integer({ min: 2, max: 4 }),
      stages: fc.integer({ min: 1, max: opts.maxStages ?? 1 }),
      headGroups: fc.integer({ min: 1, max: opts.maxHeadGroups ?? 1 }),
      encoderMacs: fc.integer({ min: 1e8, max: 1e10 }),
      headShare: fc.array(fc.double({ min: 0.02, max: 1.5, noNaN: true }), { minLength: 4, maxLength: 4 }),
      mix: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
    })
    .map(({ k, ...rest }) => makeTable({ ...rest, choices: Array.from({ length: k }, (_, i) => (i + 1) / k) }));
}

/** Random preference weights for a table's tasks (non-negative, at least one positive). */
export const arbPrefer = (tasks: readonly string[]): fc.Arbitrary<Record<string, number>> =>
  fc
    .array(fc.integer({ min: 0, max: 10 }), { minLength: tasks.length, maxLength: tasks.length })
    .filter((ws) => ws.some((w) => w > 0))
    .map((ws) => Object.fromEntries(tasks.map((t, i) => [t, ws[i]])));

/** The optimum by enumerating every configuration of the running parts. */
export function bruteForce(p: Problem): { value: number; genome: Genome } | null {
  const g = new Uint8Array(p.space.groups.length);
  let best: { value: number; genome: Genome } | null = null;
  forEachAssignment(p.space, p.space.active, g, () => {
    if (!fits(totalCost(p.cost, g), p.budget.limit)) return;
    const v = objective(p, g);
    if (!best || v > best.value) best = { value: v, genome: g.slice() };
  });
  return best;
}

/** A latency table shaped like a profiler's output: each term's time from its MACs plus a launch cost. */
export function latencyLike(table: CostTable, msPerGmac = 3, launchMs = 0.05, overheadMs = 0.4): LatencyTable {
  return {
    version: 1,
    device: "synthetic",
    overheadMs,
    terms: table.terms.map((t) => ({
      part: t.part,
      groups: t.groups,
      ms: t.macs.map((m) => launchMs + (m / 1e9) * msPerGmac),
    })),
  };
}
