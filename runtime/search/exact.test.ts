import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CostTable } from "../../compiler/cost/types";
import { parseConstraints } from "./constraints";
import { exact } from "./exact";
import { plan } from "./index";
import { buildProblem } from "./problem";
import { arbPrefer, arbTable, bruteForce, makeTable } from "./test-tables";
import { isSearchError } from "./types";

/** A random small problem: table, preferences, a non-empty task subset and a relative budget. */
const arbCase = (opts: Parameters<typeof arbTable>[0] = {}) =>
  arbTable(opts).chain((t) =>
    fc.tuple(
      fc.constant(t),
      arbPrefer(t.tasks),
      fc.subarray([...t.tasks], { minLength: 1 }),
      fc.double({ min: 0.1, max: 1.1, noNaN: true }),
    ),
  );

function problemOf(t: CostTable, prefer: Record<string, number>, tasks: string[], frac: number) {
  const c = parseConstraints({ prefer, tasks, budget: `${frac * 100}%` }, t.tasks);
  return isSearchError(c) ? c : buildProblem(t, c);
}

describe("exact search", () => {
  it("equals the brute-force optimum on random small spaces", () => {
    fc.assert(
      fc.property(arbCase({ maxStages: 2, maxHeadGroups: 2, maxTasks: 3 }), ([t, prefer, tasks, frac]) => {
        const p = problemOf(t, prefer, tasks, frac);
        if (isSearchError(p)) {
          // only two user-level outcomes are possible here: all-zero preferences of the subset, or too small a budget
          expect(["bad-preference", "infeasible"]).toContain(p.code);
          return;
        }
        const want = bruteForce(p);
        const got = exact(p);
        if (isSearchError(got)) throw new Error(got.message);
        expect(want).not.toBeNull();
        expect(got.objective).toBeCloseTo(want!.value, 9);
        expect(got.cost.total).toBeLessThanOrEqual(p.budget.limit * (1 + 1e-9));
      }),
      { numRuns: 200 },
    );
  });

  // Raising a task's preference can trade its head width for a wider encoder, so head width is not
  // monotone in general. What exact optimisation does guarantee (revealed preference): with x, x'
  // optimal at p, p', p.U(x) >= p.U(x') and p'.U(x') >= p'.U(x); adding gives
  // (p'_t - p_t)(u_t(x') - u_t(x)) >= 0, so the task's predicted utility never falls.
  it("never lowers a task's predicted utility when its preference rises", () => {
    fc.assert(
      fc.property(arbCase(), fc.integer({ min: 1, max: 10 }), fc.nat(), ([t, prefer, tasks, frac], raise, pick) => {
        const task = tasks[pick % tasks.length];
        const before = plan(t, { prefer, tasks, budget: `${frac * 100}%` }, { strategy: "exact" });
        const after = plan(
          t,
          { prefer: { ...prefer, [task]: prefer[task] + raise }, tasks, budget: `${frac * 100}%` },
          { strategy: "exact" },
        );
        if (isSearchError(after)) return; // infeasible budget: nothing to compare
        if (isSearchError(before)) {
          expect(before.code).toBe("bad-preference"); // the raise made an all-zero subset valid
          return;
        }
        expect(after.utility[task]).toBeGreaterThanOrEqual(before.utility[task] - 1e-9);
      }),
      { numRuns: 200 },
    );
  });

  // The monotone case for width: with the encoder fixed (one choice), a task's utility depends on
  // its own head only and grows with its width, so the inequality above becomes one on widths.
  it("never narrows a task's head when its preference rises, when the encoder is fixed", () => {
    const fixedEncoder = (t: CostTable): CostTable => {
      const k = t.groups[0].choices.length;
      const keep = (g: readonly string[], values: readonly number[]) => {
        if (g[0] !== "backbone") return values;
        const inner = values.length / k;
        return values.slice((k - 1) * inner); // the full-width encoder's slice
      };
      return {
        ...t,
        groups: t.groups.map((g) => (g.name === "backbone" ? { ...g, choices: [1] } : g)),
        terms: t.terms.map((term) => ({
          ...term,
          macs: keep(term.groups, term.macs),
          params: keep(term.groups, term.params),
        })),
      };
    };
    fc.assert(
      fc.property(arbCase(), fc.integer({ min: 1, max: 10 }), fc.nat(), ([t0, prefer, tasks, frac], raise, pick) => {
        const t = fixedEncoder(t0);
        const task = tasks[pick % tasks.length];
        const before = plan(t, { prefer, tasks, budget: `${frac * 100}%` }, { strategy: "exact" });
        const after = plan(
          t,
          { prefer: { ...prefer, [task]: prefer[task] + raise }, tasks, budget: `${frac * 100}%` },
          { strategy: "exact" },
        );
        if (isSearchError(before) || isSearchError(after)) return;
        expect(after.config[task]).toBeGreaterThanOrEqual(before.config[task]);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses tables whose task costs depend on another task's groups", () => {
    const t = makeTable({ choices: [0.5, 1], tasks: 2 });
    const crossed: CostTable = {
      ...t,
      terms: [...t.terms, { part: "t0", groups: ["t1"], macs: [1, 2], params: [1, 2] }],
    };
    const p = buildProblem(crossed, { budget: null, tasks: ["t0", "t1"], prefer: { t0: 0.5, t1: 0.5 } });
    if (isSearchError(p)) throw new Error(p.message);
    expect(p.separable).toBe(false);
    const r = exact(p);
    expect(isSearchError(r) && r.code).toBe("bad-table");
    // auto falls back to the evolutionary search, which needs no separability
    const a = plan(crossed, {});
    expect(!isSearchError(a) && a.strategy).toBe("evolutionary");
  });
});
