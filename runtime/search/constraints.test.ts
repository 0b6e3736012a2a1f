import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseBudget, parseConstraints } from "./constraints";
import { isSearchError } from "./types";

const TASKS = ["semseg", "depth", "normals"];

describe("parseBudget", () => {
  it.each([
    ["60%", { metric: "macs", value: 0.6, relative: true }],
    ["2.5G", { metric: "macs", value: 2.5e9, relative: false }],
    ["300M", { metric: "macs", value: 3e8, relative: false }],
    ["12ms", { metric: "latency", value: 12, relative: false }],
    ["0.5s", { metric: "latency", value: 500, relative: false }],
    ["params <= 5M", { metric: "params", value: 5e6, relative: false }],
    ["flops<=60%", { metric: "macs", value: 0.6, relative: true }],
    // flops count 2 per MAC, as in a .mtl file's `budget` (issue 15.2)
    ["flops <= 1G", { metric: "macs", value: 5e8, relative: false }],
    [{ flops: "2M" }, { metric: "macs", value: 1e6, relative: false }],
    [
      { metric: "flops", value: 4e6, relative: false },
      { metric: "macs", value: 2e6, relative: false },
    ],
    ["macs <= 60", { metric: "macs", value: 60, relative: false }],
    ["latency 80%", { metric: "latency", value: 0.8, relative: true }],
    [1234, { metric: "macs", value: 1234, relative: false }],
    [{ macs: "1.5k" }, { metric: "macs", value: 1500, relative: false }],
    [{ latency: 12 }, { metric: "latency", value: 12, relative: false }],
    [
      { metric: "params", value: 0.5, relative: true },
      { metric: "params", value: 0.5, relative: true },
    ],
  ])("reads %j", (input, expected) => {
    expect(parseBudget(input)).toEqual(expected);
  });

  it.each(["60", "1e9", "NaN", "Infinity", "1e400G"])("refuses %j (no unit, or not a finite quantity)", (text) => {
    const r = parseBudget(text);
    expect(isSearchError(r) && r.code).toBe("bad-budget");
  });

  it("says how to write a bare number", () => {
    const r = parseBudget("60");
    expect(isSearchError(r) && r.hint).toMatch(/60%.*60M.*macs <= 60/);
  });

  it("reads no budget as null", () => {
    expect(parseBudget(undefined)).toBeNull();
    expect(parseBudget(null)).toBeNull();
  });

  it.each([
    ["12ms", "macs"], // unit of the wrong metric
    ["abc", null],
    ["-5G", null],
    ["0%", null],
    ["watts <= 3", null],
    [{ macs: 1, params: 2 }, null],
    [{}, null],
    [[1], null],
    [Number.NaN, null],
    [0, null],
  ])("rejects %j", (input, metric) => {
    const r = parseBudget(metric ? { [metric]: input } : input);
    expect(isSearchError(r) && r.code).toBe("bad-budget");
  });
});

describe("parseConstraints", () => {
  it("defaults to every task with equal preference and no budget", () => {
    expect(parseConstraints({}, TASKS)).toEqual({
      budget: null,
      tasks: TASKS,
      prefer: { semseg: 1 / 3, depth: 1 / 3, normals: 1 / 3 },
    });
  });

  it("normalises preferences over the running tasks and drops those of tasks that are off", () => {
    const c = parseConstraints({ prefer: { semseg: 2, depth: 1, normals: 5 }, tasks: ["depth", "semseg"] }, TASKS);
    expect(c).toEqual({ budget: null, tasks: ["semseg", "depth"], prefer: { semseg: 2 / 3, depth: 1 / 3 } });
  });

  it("gives running tasks left out of prefer weight 0", () => {
    expect(parseConstraints({ prefer: { depth: 3 } }, TASKS)).toMatchObject({
      prefer: { semseg: 0, depth: 1, normals: 0 },
    });
  });

  it.each([
    [{ prefer: { semseg: 0, depth: 0, normals: 0 } }, "bad-preference"],
    [{ prefer: { semseg: -1, depth: 1 } }, "bad-preference"],
    [{ prefer: { semseg: "high" } }, "bad-preference"],
    [{ prefer: { normals: 1 }, tasks: ["semseg"] }, "bad-preference"], // only an off task is preferred
    [{ prefer: { semsg: 1 } }, "unknown-task"],
    [{ tasks: ["semseg", "edges"] }, "unknown-task"],
    [{ tasks: [] }, "no-tasks"],
    [{ tasks: "semseg" }, "bad-input"],
    [{ budjet: "60%" }, "bad-input"],
    [null, "bad-input"],
    [{ budget: "lots" }, "bad-budget"],
  ])("rejects %j with %s", (input, code) => {
    const r = parseConstraints(input, TASKS);
    expect(isSearchError(r) && r.code).toBe(code);
  });

  it("suggests the closest task name", () => {
    const r = parseConstraints({ tasks: ["semsge"] }, TASKS);
    expect(isSearchError(r) && r.hint).toContain('"semseg"');
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.record({ budget: fc.anything(), prefer: fc.anything(), tasks: fc.anything() }, { requiredKeys: [] }),
        (a, b) => {
          for (const input of [a, b]) {
            const r = parseConstraints(input, TASKS);
            expect(isSearchError(r) || Array.isArray(r.tasks)).toBe(true);
          }
        },
      ),
    );
  });

  it("keeps preference ratios and sums them to 1", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }), (ws) => {
        fc.pre(ws.some((w) => w > 0));
        const r = parseConstraints({ prefer: { semseg: ws[0], depth: ws[1], normals: ws[2] } }, TASKS);
        if (isSearchError(r)) throw new Error(r.message);
        const total = ws[0] + ws[1] + ws[2];
        expect(r.prefer.semseg + r.prefer.depth + r.prefer.normals).toBeCloseTo(1, 12);
        TASKS.forEach((t, i) => expect(r.prefer[t]).toBeCloseTo(ws[i] / total, 12));
      }),
    );
  });
});
