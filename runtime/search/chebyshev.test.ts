import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CostTable } from "../../compiler/cost/types";
import { withChebyshevScale } from "./chebyshev";
import { parseConstraints } from "./constraints";
import { evolutionary } from "./evolutionary";
import { exact } from "./exact";
import { explain, plan } from "./index";
import { buildProblem, CHEBYSHEV_AUGMENT, weightedLossSum, weightedMaxLoss, type Problem } from "./problem";
import { fits, forEachAssignment, totalCost } from "./space";
import { arbPrefer, arbTable, bruteForce, makeTable } from "./test-tables";
import { isSearchError } from "./types";

const arbCase = arbTable({ maxStages: 2, maxHeadGroups: 2, maxTasks: 3 }).chain((t) =>
  fc.tuple(
    fc.constant(t),
    arbPrefer(t.tasks),
    fc.subarray([...t.tasks], { minLength: 1 }),
    fc.double({ min: 0.1, max: 1.1, noNaN: true }),
  ),
);

function chebyshevProblem(t: CostTable, prefer: Record<string, number>, tasks: string[], frac: number) {
  const c = parseConstraints({ prefer, tasks, budget: `${frac * 100}%` }, t.tasks);
  if (isSearchError(c)) return c;
  const p = buildProblem(t, c, { objective: "chebyshev" });
  return isSearchError(p) ? p : withChebyshevScale(p, (q) => exact(q));
}

/** Every task's best utility within the budget, by enumeration. */
function ideals(p: Problem): Record<string, number> {
  const best: Record<string, number> = Object.fromEntries(p.tasks.map((t) => [t, -Infinity]));
  const g = new Uint8Array(p.space.groups.length);
  forEachAssignment(p.space, p.space.active, g, () => {
    if (!fits(totalCost(p.cost, g), p.budget.limit)) return;
    for (const t of p.tasks) best[t] = Math.max(best[t], p.utility.utility(t, g));
  });
  return best;
}

describe("chebyshev objective", () => {
  it("exact search equals the brute-force optimum of the scaled Chebyshev objective", () => {
    fc.assert(
      fc.property(arbCase, ([t, prefer, tasks, frac]) => {
        const p = chebyshevProblem(t, prefer, tasks, frac);
        if (isSearchError(p)) {
          expect(["bad-preference", "infeasible"]).toContain(p.code);
          return;
        }
        const want = bruteForce(p)!;
        const got = exact(p);
        if (isSearchError(got)) throw new Error(got.message);
        expect(got.objectiveName).toBe("chebyshev");
        expect(got.objective).toBeCloseTo(want.value, 9);
        expect(got.cost.total).toBeLessThanOrEqual(p.budget.limit * (1 + 1e-9));
      }),
      { numRuns: 200 },
    );
  });

  it("scales each task from its best utility within the budget (ideal) over its range at the other tasks' best plans", () => {
    fc.assert(
      fc.property(arbCase, ([t, prefer, tasks, frac]) => {
        const p = chebyshevProblem(t, prefer, tasks, frac);
        if (isSearchError(p) || p.tasks.length < 2) return;
        const best = ideals(p);
        for (const task of p.tasks) {
          expect(p.scale!.range[task]).toBeGreaterThan(0);
          // a task in conflict with another is scaled from its ideal; one that is not keeps 1 - u
          if (p.scale!.range[task] !== 1 || p.scale!.ideal[task] !== 1)
            expect(p.scale!.ideal[task]).toBeCloseTo(best[task], 12);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("gives a task that alone has preference its best utility within the budget", () => {
    const t = makeTable({ choices: [0.25, 0.5, 0.75, 1], tasks: 2 });
    for (const task of ["t0", "t1"]) {
      const prefer = { t0: task === "t0" ? 1 : 0, t1: task === "t1" ? 1 : 0 };
      const r = plan(t, { prefer, budget: "50%" }, { objective: "chebyshev" });
      if (isSearchError(r)) throw new Error(r.message);
      const p = chebyshevProblem(t, prefer, ["t0", "t1"], 0.5);
      if (isSearchError(p)) throw new Error(p.message);
      expect(r.utility[task]).toBeCloseTo(ideals(p)[task], 12);
    }
  });

  it("the evolutionary search returns a valid plan no worse than the greedy climb it starts from", () => {
    const t = makeTable({ choices: [0.25, 0.5, 0.75, 1], tasks: 3, stages: 2, headGroups: 2 });
    const c = parseConstraints({ prefer: { t0: 3, t1: 1, t2: 1 }, budget: "40%" }, t.tasks);
    if (isSearchError(c)) throw new Error(c.message);
    const p0 = buildProblem(t, c, { objective: "chebyshev" });
    if (isSearchError(p0)) throw new Error(p0.message);
    const p = withChebyshevScale(p0, (q) => exact(q));
    if (isSearchError(p)) throw new Error(p.message);
    const e = evolutionary(p);
    const x = exact(p);
    if (isSearchError(e) || isSearchError(x)) throw new Error("no plan");
    expect(e.cost.total).toBeLessThanOrEqual(p.budget.limit * (1 + 1e-9));
    expect(e.objective).toBeLessThanOrEqual(x.objective + 1e-12);
    expect(e.objective).toBeGreaterThanOrEqual(x.objective - 0.05);
  });

  it("is named in the plan and its explanation, and an unknown objective is a bad option", () => {
    const t = makeTable({ choices: [0.5, 1], tasks: 2 });
    const r = plan(t, { budget: "70%" }, { objective: "chebyshev" });
    if (isSearchError(r)) throw new Error(r.message);
    expect(explain(r)).toContain("objective (chebyshev");
    const s = plan(t, { budget: "70%" });
    expect(!isSearchError(s) && s.objectiveName).toBe("sum");
    const bad = plan(t, {}, { objective: "median" as never });
    expect(isSearchError(bad) && bad.code).toBe("bad-option");
  });

  it("minimises the largest weighted scaled loss: no fitting configuration has a smaller one", () => {
    const t = makeTable({ choices: [0.25, 0.5, 0.75, 1], tasks: 2, headGroups: 2 });
    const p = chebyshevProblem(t, { t0: 2, t1: 1 }, ["t0", "t1"], 0.45);
    if (isSearchError(p)) throw new Error(p.message);
    const r = exact(p);
    if (isSearchError(r)) throw new Error(r.message);
    const g = new Uint8Array(p.space.groups.length);
    let least = Infinity;
    let sumThere = Infinity; // the loss sum of a configuration with the least maximum
    forEachAssignment(p.space, p.space.active, g, () => {
      if (!fits(totalCost(p.cost, g), p.budget.limit)) return;
      const m = weightedMaxLoss(p, g);
      if (m < least) [least, sumThere] = [m, weightedLossSum(p, g)];
    });
    // -objective = max + rho * sum: at least the least maximum, at most that configuration's value
    expect(-r.objective).toBeGreaterThanOrEqual(least - 1e-12);
    expect(-r.objective).toBeLessThanOrEqual(least + CHEBYSHEV_AUGMENT * sumThere + 1e-12);
  });
});
