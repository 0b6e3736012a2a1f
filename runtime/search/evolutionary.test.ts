import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseConstraints } from "./constraints";
import { evolutionary } from "./evolutionary";
import { exact } from "./exact";
import { buildProblem } from "./problem";
import { arbPrefer, arbTable, makeTable, WIDTHS4 } from "./test-tables";
import { isSearchError } from "./types";

const arbCase = arbTable({ maxStages: 3, maxHeadGroups: 2 }).chain((t) =>
  fc.tuple(
    fc.constant(t),
    arbPrefer(t.tasks),
    fc.double({ min: 0.15, max: 1.1, noNaN: true }),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ),
);

describe("evolutionary search", () => {
  it("stays within budget and within 2% of the exact optimum where exact is feasible", () => {
    fc.assert(
      fc.property(arbCase, ([t, prefer, frac, seed]) => {
        const c = parseConstraints({ prefer, budget: `${frac * 100}%` }, t.tasks);
        if (isSearchError(c)) throw new Error(c.message);
        const p = buildProblem(t, c, { seed });
        if (isSearchError(p)) {
          expect(p.code).toBe("infeasible");
          return;
        }
        const e = exact(p);
        const v = evolutionary(p);
        if (isSearchError(e) || isSearchError(v)) throw new Error("no plan");
        expect(v.cost.total).toBeLessThanOrEqual(p.budget.limit * (1 + 1e-9));
        expect(v.objective).toBeLessThanOrEqual(e.objective + 1e-9);
        expect(v.objective).toBeGreaterThanOrEqual(0.98 * e.objective);
      }),
      { numRuns: 60 },
    );
  });

  it("gives the same plan for the same seed", () => {
    const t = makeTable({ choices: [...WIDTHS4], tasks: 4, stages: 6, headGroups: 2 });
    const c = parseConstraints({ budget: "45%", prefer: { t0: 3, t1: 1, t2: 2, t3: 0.5 } }, t.tasks);
    if (isSearchError(c)) throw new Error(c.message);
    const run = (seed: number) => {
      const p = buildProblem(t, c, { seed });
      if (isSearchError(p)) throw new Error(p.message);
      return evolutionary(p);
    };
    expect(run(7)).toEqual(run(7));
    for (const seed of [1, 2, 3]) {
      const r = run(seed);
      if (isSearchError(r)) throw new Error(r.message);
      expect(r.cost.total).toBeLessThanOrEqual(r.budget.limit);
    }
  });
});
