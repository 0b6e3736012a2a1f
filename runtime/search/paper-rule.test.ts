import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { plan } from "./index";
import { rankFractions } from "./paper-rule";
import { arbPrefer, arbTable, makeTable, WIDTHS4 } from "./test-tables";
import { isSearchError, type Plan } from "./types";

const table = makeTable({ choices: [...WIDTHS4], tasks: 3, names: ["semseg", "depth", "normals"] });

function mustPlan(r: ReturnType<typeof plan>): Plan {
  if (isSearchError(r)) throw new Error(`${r.code}: ${r.message}`);
  return r;
}

describe("paper rule", () => {
  it("maps preference ranks to width fractions, equal preferences sharing a rank", () => {
    expect(rankFractions(["a", "b", "c"], { a: 0.5, b: 0.3, c: 0.2 })).toEqual({ a: 1, b: 0.5, c: 0 });
    expect(rankFractions(["a", "b", "c"], { a: 0.4, b: 0.4, c: 0.2 })).toEqual({ a: 1, b: 1, c: 0 });
    expect(rankFractions(["a", "b"], { a: 0.5, b: 0.5 })).toEqual({ a: 1, b: 1 });
  });

  it("gives ranked decoders widths 1.0 / 0.75 / 0.25 of four choices, then the widest encoder that fits", () => {
    const p = mustPlan(
      plan(table, { prefer: { semseg: 5, depth: 3, normals: 2 }, budget: "60%" }, { strategy: "paper" }),
    );
    expect(p.widths).toMatchObject({ semseg: 1, depth: 0.75, normals: 0.25 }); // round(3 * 0.5) = 2 -> 0.75
    // the encoder one step wider would not fit
    const wider = mustPlan(plan(table, { prefer: { semseg: 5, depth: 3, normals: 2 } }, { strategy: "paper" }));
    expect(wider.widths.backbone).toBe(1);
    expect(p.widths.backbone).toBeLessThan(1);
    expect(p.binding.kind).not.toBe("max-width");
  });

  it("shrinks the least preferred decoder first when no encoder fits", () => {
    // 20%: even the narrowest encoder does not fit with semseg and depth at their ranked widths
    const p = mustPlan(
      plan(table, { prefer: { semseg: 5, depth: 3, normals: 2 }, budget: "20%" }, { strategy: "paper" }),
    );
    expect(p.cost.total).toBeLessThanOrEqual(p.budget.limit);
    expect(p.widths.normals).toBe(0.25);
    expect(p.widths.semseg).toBeGreaterThanOrEqual(p.widths.depth);
  });

  it("never gives a task a narrower decoder when its preference rises", () => {
    fc.assert(
      fc.property(
        arbTable().chain((t) =>
          fc.tuple(
            fc.constant(t),
            arbPrefer(t.tasks),
            fc.nat(t.tasks.length - 1),
            fc.integer({ min: 1, max: 10 }),
            fc.double({ min: 0.15, max: 1.1, noNaN: true }),
          ),
        ),
        ([t, prefer, i, raise, frac]) => {
          const task = t.tasks[i];
          const before = plan(t, { prefer, budget: `${frac * 100}%` }, { strategy: "paper" });
          const after = plan(
            t,
            { prefer: { ...prefer, [task]: prefer[task] + raise }, budget: `${frac * 100}%` },
            { strategy: "paper" },
          );
          if (isSearchError(before) || isSearchError(after)) {
            expect(isSearchError(before) && before.code).toBe("infeasible");
            expect(isSearchError(after) && after.code).toBe("infeasible");
            return;
          }
          expect(after.config[task]).toBeGreaterThanOrEqual(before.config[task]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("handles per-layer encoders too large to enumerate by climbing", () => {
    const big = makeTable({ choices: [...WIDTHS4], tasks: 2, stages: 7 }); // 4^7 shared assignments
    const p = mustPlan(plan(big, { budget: "50%", prefer: { t0: 2, t1: 1 } }, { strategy: "paper" }));
    expect(p.cost.total).toBeLessThanOrEqual(p.budget.limit);
    expect(p.widths.t0).toBe(1);
    expect(p.binding.kind).toBe("budget");
  });
});
