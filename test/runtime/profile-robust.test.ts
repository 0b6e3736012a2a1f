// `mtl profile`'s measurement (issue 15.5), on a stub model whose run times are scripted: warm-up,
// interleaved rounds, medians that ignore outliers, monotonicity checks, and the search refusing a
// table flagged as unreliable.
import { describe, expect, it } from "vitest";
import type { CostTable } from "../../compiler/cost/types";
import { profileLatency } from "../../runtime/profile";
import { monotonicityViolations, summarise } from "../../runtime/profile-stats";
import { isSearchError, parseLatencyTable, plan } from "../../runtime/search/index";

/** Two groups (encoder e, head h), two tasks a and b; b has no groups of its own. */
const COSTS: CostTable = {
  groups: [
    { name: "e", part: "shared", choices: [0.5, 1] },
    { name: "h", part: "a", choices: [0.5, 1] },
  ],
  tasks: ["a", "b"],
  terms: [
    { part: "shared", groups: ["e"], macs: [100, 400], params: [10, 40] },
    { part: "a", groups: ["e", "h"], macs: [10, 20, 20, 40], params: [1, 2, 2, 4] },
    { part: "b", groups: ["e"], macs: [5, 10], params: [1, 1] },
  ],
};

type Call = { config: Record<string, number>; tasks: string[] };

/** A model whose run time is `ms(call, n)` for the n-th run overall; records every call. */
function stub(ms: (c: Call, n: number) => number) {
  const calls: Call[] = [];
  return {
    calls,
    model: {
      costs: COSTS,
      tasks: ["a", "b"],
      run: async (_inputs: unknown, o: { config?: Record<string, number>; tasks?: readonly string[] } = {}) => {
        const call = { config: { e: 1, h: 1, ...o.config }, tasks: [...(o.tasks ?? [])] };
        calls.push(call);
        return { ms: ms(call, calls.length) } as never;
      },
    },
  };
}

/** Time that grows with width: encoder 1 ms per unit of e-choice, head a 0.5 ms per step. */
const clean = (c: Call) =>
  1 +
  c.config.e +
  (c.tasks.includes("a") ? 0.2 + 0.5 * c.config.h * (1 + c.config.e) : 0) +
  (c.tasks.includes("b") ? 0.1 : 0);

describe("profileLatency", () => {
  it("warms up, interleaves the measurements of a block, and recovers the parts' times", async () => {
    const s = stub(clean);
    const table = await profileLatency(s.model, {}, { runs: 5, warmup: 2 });
    expect(table.quality).toMatchObject({ reliable: true, runs: 5, warmup: 2, violations: [] });
    // Encoder: E = T(a) + T(b) - T(a,b) at the narrowest head = 1 + e.
    expect(table.terms.find((t) => t.part === "shared")!.ms.map((x) => +x.toFixed(6))).toEqual([1, 2]);
    // Interleaved: no measurement's timed runs come back to back more than twice in a row.
    const keys = s.calls.map((c) => JSON.stringify(c));
    let run = 1;
    let longest = 1;
    for (let i = 1; i < keys.length; i++) longest = Math.max(longest, (run = keys[i] === keys[i - 1] ? run + 1 : 1));
    expect(longest).toBeLessThanOrEqual(2); // the warm-up pair; timed rounds rotate
  });

  it("ignores outliers (every 4th run 50x slower) and counts them", async () => {
    const table = await profileLatency(
      stub((c, n) => (n % 4 === 0 ? 50 : 1) * clean(c)).model,
      {},
      { runs: 9, warmup: 1 },
    );
    expect(table.terms.find((t) => t.part === "shared")!.ms.map((x) => +x.toFixed(6))).toEqual([1, 2]);
    expect(table.quality!.outliers).toBeGreaterThan(0);
  });

  it("flags a table whose time falls as a group widens (the issue's [0, 246, 76, 242])", async () => {
    // Head a is slow at h=0 and fast at h=1: not noise, a wrong table.
    const table = await profileLatency(
      stub((c) => clean(c) + (c.tasks.length === 1 && c.tasks[0] === "a" && c.config.h === 0 ? 5 : 0)).model,
      {},
      { runs: 3, warmup: 0 },
    );
    expect(table.quality!.reliable).toBe(false);
    expect(table.quality!.violations.some((v) => v.part === "a" && v.group === "h")).toBe(true);
    expect(table.quality!.problems.join()).toMatch(/wider configuration measured faster/);
  });

  it("flags a noisy table", async () => {
    let s = 7;
    const noise = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 3; // up to 300% jitter
    const table = await profileLatency(stub((c) => clean(c) * (1 + noise())).model, {}, { runs: 5, warmup: 0 });
    expect(table.quality!.noise).toBeGreaterThan(0.25);
    expect(table.quality!.reliable).toBe(false);
  });

  it("refuses runs < 1 instead of writing a table of nulls", async () => {
    await expect(profileLatency(stub(clean).model, {}, { runs: 0 })).rejects.toThrow(/runs must be/);
  });
});

describe("the search and a table's quality", () => {
  it("refuses a latency budget on a table flagged unreliable unless told to accept it", async () => {
    const table = await profileLatency(
      stub((c) => clean(c) + (c.tasks[0] === "a" && c.tasks.length === 1 && c.config.h === 0 ? 5 : 0)).model,
      {},
      { runs: 3, warmup: 0 },
    );
    const parsed = parseLatencyTable(JSON.parse(JSON.stringify(table)));
    expect(isSearchError(parsed)).toBe(false);
    const refused = plan(COSTS, { budget: "100ms" }, { latency: table });
    expect(isSearchError(refused) && refused.code).toBe("unreliable-latency");
    expect(isSearchError(plan(COSTS, { budget: "100ms" }, { latency: table, acceptUnreliableLatency: true }))).toBe(
      false,
    );
    // Other metrics do not depend on the table: no refusal.
    expect(isSearchError(plan(COSTS, { budget: "macs <= 500" }, { latency: table }))).toBe(false);
  });

  it("plans on a reliable table", async () => {
    const table = await profileLatency(stub(clean).model, {}, { runs: 3, warmup: 0 });
    expect(isSearchError(plan(COSTS, { budget: "100ms" }, { latency: table }))).toBe(false);
  });
});

describe("profile statistics", () => {
  it("summarises with the median and a MAD-based spread", () => {
    expect(summarise([1, 1, 1, 1, 100])).toMatchObject({ median: 1, noise: 0, outliers: 1 });
    expect(summarise([9, 10, 11]).noise).toBeCloseTo(1.4826 / 10, 6);
  });
  it("finds each step where time falls beyond the tolerance", () => {
    const v = monotonicityViolations({ part: "p", groups: ["x", "y"], ms: [1, 2, 0.5, 3] }, [2, 2], 0.1);
    // Widening x at y=0 goes 1 -> 0.5 ms; every other step grows.
    expect(v).toEqual([{ part: "p", group: "x", at: [0, 0], narrowerMs: 1, widerMs: 0.5 }]);
  });
});
