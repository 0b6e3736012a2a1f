import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { solveMckp, type Item } from "./mckp";

function brute(classes: Item[][], cap: number): number | null {
  let best: number | null = null;
  const rec = (k: number, cost: number, value: number) => {
    if (cost > cap) return;
    if (k === classes.length) {
      if (best === null || value > best) best = value;
      return;
    }
    for (const it of classes[k]) rec(k + 1, cost + it.cost, value + it.value);
  };
  rec(0, 0, 0);
  return best;
}

const item = fc.record({
  cost: fc.double({ min: 0, max: 100, noNaN: true }),
  value: fc.double({ min: 0, max: 10, noNaN: true }),
});
const classes = fc.array(fc.array(item, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 });

describe("solveMckp", () => {
  it("finds the brute-force optimum, and its pick is feasible and worth what it says", () => {
    fc.assert(
      fc.property(classes, fc.double({ min: 0, max: 400, noNaN: true }), (cs, cap) => {
        const sol = solveMckp(cs, cap);
        const want = brute(cs, cap);
        if (want === null) {
          expect(sol).toBeNull();
          return;
        }
        expect(sol).not.toBeNull();
        expect(sol!.value).toBeCloseTo(want, 9);
        const picked = cs.map((c, i) => c[sol!.pick[i]]);
        expect(picked.reduce((s, it) => s + it.cost, 0)).toBeLessThanOrEqual(cap + 1e-9);
        expect(picked.reduce((s, it) => s + it.value, 0)).toBeCloseTo(sol!.value, 9);
      }),
      { numRuns: 500 },
    );
  });

  it("takes the best item of each class when capacity is unlimited", () => {
    const cs = [
      [
        { cost: 1, value: 1 },
        { cost: 5, value: 3 },
      ],
      [
        { cost: 2, value: 2 },
        { cost: 1, value: 0.5 },
      ],
    ];
    expect(solveMckp(cs, Infinity)).toMatchObject({ value: 5, cost: 7 });
  });
});
