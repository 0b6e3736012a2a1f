import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { latencyPrecision, latencyTerms, parseLatencyTable, predictLatency, type LatencyTable } from "./latency";
import { plan } from "./index";
import { arbTable, latencyLike, makeTable, WIDTHS4 } from "./test-tables";
import { isSearchError } from "./types";

const table = makeTable({ choices: [...WIDTHS4], tasks: 2, names: ["semseg", "depth"] });
const lat = latencyLike(table);

describe("latency table", () => {
  it("predicts the sum of the running parts' terms plus the overhead", () => {
    const config = { backbone: 2, semseg: 1, depth: 3 };
    const [enc, semseg, depth] = lat.terms;
    const both = predictLatency(lat, table, config, ["semseg", "depth"]);
    expect(both).toBeCloseTo(0.4 + enc.ms[2] + semseg.ms[2 * 4 + 1] + depth.ms[2 * 4 + 3], 12);
    // a task that is off costs nothing
    expect(predictLatency(lat, table, config, ["semseg"])).toBeCloseTo(0.4 + enc.ms[2] + semseg.ms[2 * 4 + 1], 12);
  });

  it.each([
    [{ ...lat, terms: lat.terms.map((t, i) => (i === 1 ? { ...t, ms: t.ms.slice(1) } : t)) }, "15 timings for 16"],
    [
      { ...lat, terms: lat.terms.map((t, i) => (i === 1 ? { ...t, groups: ["backbone", "semsg"] } : t)) },
      'did you mean "semseg"',
    ],
    [{ ...lat, terms: lat.terms.slice(0, 2) }, 'no latency measured for task "depth"'],
    [{ ...lat, terms: lat.terms.slice(1) }, "shared encoder"],
    [{ ...lat, terms: [...lat.terms, { part: "edges", groups: [], ms: [1] }] }, 'unknown part "edges"'],
  ])("rejects a table that does not match the model (%#)", (bad, text) => {
    const r = latencyTerms(bad as LatencyTable, table, ["semseg", "depth"]);
    expect(isSearchError(r) && r.code).toBe("bad-latency");
    expect(isSearchError(r) && `${r.message} ${r.hint ?? ""}`).toContain(text);
  });

  it("does not require measurements of tasks that are off", () => {
    const r = latencyTerms({ ...lat, terms: lat.terms.slice(0, 2) }, table, ["semseg"]);
    expect(isSearchError(r)).toBe(false);
  });

  it.each([
    [null],
    [{ version: 2, terms: [] }],
    [{ version: 1, terms: {} }],
    [{ version: 1, terms: [{ part: "shared", groups: [], ms: [-1] }] }],
    [{ version: 1, overheadMs: "x", terms: [] }],
    [{ version: 1, precision: "fp16", terms: [] }],
  ])("rejects a malformed table: %j", (json) => {
    const r = parseLatencyTable(json);
    expect(isSearchError(r) && r.code).toBe("bad-latency");
  });

  it("says which precision its times are of: its record, else the device text, else fp32", () => {
    expect(latencyPrecision({ ...lat, precision: "int8" })).toBe("int8");
    expect(latencyPrecision({ ...lat, device: "linux-x64, onnxruntime-node, int8" })).toBe("int8");
    expect(latencyPrecision({ ...lat, device: "linux-x64, onnxruntime-node" })).toBe("fp32");
    expect(latencyPrecision({ ...lat, device: undefined })).toBe("fp32");
  });

  it("round-trips through JSON", () => {
    expect(parseLatencyTable(JSON.parse(JSON.stringify(lat)))).toEqual(lat);
  });

  it("needs a table for a latency budget", () => {
    const r = plan(table, { budget: "12ms" });
    expect(isSearchError(r) && r.code).toBe("missing-latency");
  });

  it("keeps every strategy's plan within a latency budget", () => {
    fc.assert(
      fc.property(
        arbTable(),
        fc.double({ min: 0.2, max: 1.1, noNaN: true }),
        fc.constantFrom("paper", "exact", "evolutionary" as const),
        (t, frac, strategy) => {
          const l = latencyLike(t);
          const r = plan(t, { budget: { latency: `${frac * 100}%` } }, { strategy, latency: l });
          if (isSearchError(r)) {
            expect(r.code).toBe("infeasible");
            return;
          }
          expect(r.cost.metric).toBe("latency");
          expect(r.cost.latencyMs).toBe(r.cost.total);
          expect(r.cost.total).toBeLessThanOrEqual(r.budget.limit * (1 + 1e-9));
          const predicted = predictLatency(l, t, r.config, r.tasks);
          expect(predicted).toBeCloseTo(r.cost.total, 9);
        },
      ),
      { numRuns: 40 },
    );
  });
});
