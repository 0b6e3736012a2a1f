// Latency model from measurements. MACs do not predict latency well (memory-bound layers, kernel
// choice, threads), so a latency budget needs a table measured on the target device, as Once-for-All
// does with its per-layer lookup table. The table is factorised like the cost table: each term is a
// part's time as a function of a few groups' choices, and a configuration's predicted latency is the
// sum of the terms of the parts that run, plus a fixed per-run overhead. A profiler times each
// part (the encoder at every encoder configuration; each head at every (encoder, head) pair) and
// writes this table; the sum is an approximation that ignores overlap between parts.

import type { CostTable } from "../../compiler/cost/types";
import type { Config } from "../../compiler/ir/types";
import { isSearchError, searchError, type SearchError } from "./types";
import { unknownNameHint } from "./suggest";
import { compileMetric, makeSpace, totalCost, type RawTerm } from "./space";

export interface LatencyTerm {
  readonly part: string; // "shared" or a task name: paid only when that part runs
  readonly groups: readonly string[]; // groups the time depends on (may be empty)
  /** Milliseconds, row-major over the groups' choice indices (last group fastest), as CostTerm. */
  readonly ms: readonly number[];
}

export interface LatencyTable {
  readonly version: 1;
  /** Free text naming where it was measured, e.g. "cpu x86-64, onnxruntime-node 1.30, 4 threads". */
  readonly device?: string;
  /**
   * The precision of the sessions it timed (`mtl profile` writes it). Absent: "int8" when `device`
   * ends in ", int8" (tables from an older mtl), else "fp32".
   */
  readonly precision?: "fp32" | "int8";
  /** Paid once per run whatever the configuration (session call, input copy). */
  readonly overheadMs?: number;
  readonly terms: readonly LatencyTerm[];
  /** How the table was measured and how far it can be trusted (written by `mtl profile`). */
  readonly quality?: LatencyQuality;
}

/** `mtl profile`'s account of its own measurements (runtime/profile.ts). */
export interface LatencyQuality {
  readonly runs: number; // timed runs per measurement (more when re-measured)
  readonly warmup: number;
  readonly measurements: number;
  readonly samples: number; // timed runs in all
  /** Median over measurements of the robust relative spread (1.4826 MAD / median): 0.03 = ±3%. */
  readonly noise: number;
  readonly maxNoise: number;
  readonly noisy: number; // measurements whose spread exceeds 25% and 0.05 ms
  readonly outliers: number; // runs far from their measurement's median (ignored by the median)
  /** Places where a wider configuration measured faster than a narrower one beyond the noise. */
  readonly violations: readonly {
    part: string;
    group: string;
    at: readonly number[];
    narrowerMs: number;
    widerMs: number;
  }[];
  readonly reliable: boolean;
  readonly problems: readonly string[];
}

const bad = (message: string, hint?: string) => searchError("bad-latency", message, hint);
const isMs = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;

/** Checks the JSON shape of a latency table (as read from a file). */
export function parseLatencyTable(json: unknown): LatencyTable | SearchError {
  if (typeof json !== "object" || json === null)
    return bad("a latency table must be an object { version: 1, terms: [...] }");
  const o = json as Record<string, unknown>;
  if (o.version !== 1)
    return bad(`unsupported latency table version ${String(o.version)}`, "this runtime reads version 1");
  if (o.device !== undefined && typeof o.device !== "string") return bad("device must be text");
  if (o.precision !== undefined && o.precision !== "fp32" && o.precision !== "int8")
    return bad(`precision must be "fp32" or "int8", not ${JSON.stringify(o.precision)}`);
  if (o.overheadMs !== undefined && !isMs(o.overheadMs)) return bad("overheadMs must be a non-negative number");
  if (!Array.isArray(o.terms)) return bad("terms must be a list");
  if (o.quality !== undefined) {
    const q = o.quality as Record<string, unknown>;
    const texts = (x: unknown) => Array.isArray(x) && x.every((y) => typeof y === "string");
    if (typeof q !== "object" || q === null || typeof q.reliable !== "boolean" || !texts(q.problems))
      return bad(
        "quality must be an object { reliable: boolean, problems: [text], ... }",
        "`mtl profile` writes it; remove it or profile again",
      );
    if (!isMs(q.noise)) return bad("quality.noise must be a non-negative number");
  }
  for (const [i, t] of o.terms.entries()) {
    const term = t as Record<string, unknown>;
    if (typeof term !== "object" || term === null || typeof term.part !== "string")
      return bad(`term ${i}: part must be text`);
    if (!Array.isArray(term.groups) || term.groups.some((g) => typeof g !== "string"))
      return bad(`term ${i}: groups must be a list of group names`);
    if (!Array.isArray(term.ms) || !term.ms.every(isMs))
      return bad(`term ${i}: ms must be a list of non-negative numbers`);
  }
  return json as LatencyTable;
}

/** The precision a table's times are of: its own record, else what its device text says. */
export const latencyPrecision = (t: LatencyTable): "fp32" | "int8" =>
  t.precision ?? (t.device?.endsWith(", int8") ? "int8" : "fp32");

/**
 * Matches a latency table to a model and the running tasks: groups must exist, each `ms` list must
 * cover every choice combination, and the encoder and every running task need at least one
 * measurement (a missing part would silently count as free).
 */
export function latencyTerms(
  latency: LatencyTable,
  table: CostTable,
  tasks: readonly string[],
): readonly RawTerm[] | SearchError {
  const names = table.groups.map((g) => g.name);
  const parts = ["shared", ...table.tasks];
  const terms: RawTerm[] = [];
  // A table none of whose groups this model has was measured on another model: said as such (a
  // table that shares groups gets the per-term messages below, with their did-you-mean hints).
  const tableGroups = [...new Set(latency.terms.flatMap((t) => t.groups))];
  if (tableGroups.length && !tableGroups.some((g) => names.includes(g))) {
    const strangers = [
      ...tableGroups.map((g) => `group "${g}"`),
      ...new Set(latency.terms.filter((t) => !parts.includes(t.part)).map((t) => `part "${t.part}"`)),
    ];
    return bad(
      `the latency table was measured on another model: it times ${strangers.slice(0, 4).join(", ")}` +
        `${strangers.length > 4 ? ` and ${strangers.length - 4} more` : ""}, which this model does not have ` +
        `(its groups: ${names.join(", ")}; its parts: ${parts.join(", ")})`,
      "measure this model's table: mtl profile MODEL.onnx -o latency.json",
    );
  }
  for (const [i, t] of latency.terms.entries()) {
    if (!parts.includes(t.part))
      return bad(`term ${i}: unknown part "${t.part}"`, unknownNameHint(t.part, parts, "parts"));
    let size = 1;
    for (const g of t.groups) {
      const info = table.groups.find((x) => x.name === g);
      if (!info) return bad(`term ${i}: unknown group "${g}"`, unknownNameHint(g, names, "groups"));
      size *= info.choices.length;
    }
    if (t.ms.length !== size) {
      return bad(
        `term ${i} (${t.part}): ${t.ms.length} timings for ${size} choice combinations of [${t.groups.join(", ")}]`,
        "the table was measured on a different model; profile again",
      );
    }
    terms.push({ part: t.part, groups: t.groups, values: t.ms });
  }
  for (const p of ["shared", ...tasks]) {
    if (!terms.some((t) => t.part === p))
      return bad(
        `no latency measured for ${p === "shared" ? "the shared encoder" : `task "${p}"`}`,
        "profile the model again with this task on",
      );
  }
  if (latency.overheadMs) terms.push({ part: "shared", groups: [], values: [latency.overheadMs] });
  return terms;
}

/** Predicted latency (ms) of a configuration with the given tasks running. */
export function predictLatency(
  latency: LatencyTable,
  table: CostTable,
  config: Config,
  tasks: readonly string[],
): number | SearchError {
  const terms = latencyTerms(latency, table, tasks);
  if (isSearchError(terms)) return terms;
  const space = makeSpace(table, tasks);
  const g = Uint8Array.from(table.groups, (grp) => config[grp.name] ?? grp.choices.length - 1);
  return totalCost(compileMetric(space, terms), g);
}
