import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { argmax, logSoftmax, runStep, softmax, topIndices } from "./logits";
import { DecodeError } from "./types";

const naiveLogSoftmax = (xs: number[]) => {
  const z = xs.reduce((a, x) => a + Math.exp(x), 0);
  return xs.map((x) => x - Math.log(z));
};

describe("logSoftmax", () => {
  it("matches the naive formula on moderate logits", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 12 }), (xs) => {
        const got = logSoftmax(xs);
        naiveLogSoftmax(xs).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 10));
      }),
    );
  });

  it("is stable for huge logits, where the naive formula overflows", () => {
    const xs = [1e4, 1e4 - 1, -1e4];
    expect(naiveLogSoftmax(xs).some((v) => Number.isNaN(v) || !Number.isFinite(v))).toBe(true);
    const got = logSoftmax(xs);
    expect(got[0]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 10);
    expect(got[1]).toBeCloseTo(-1 - Math.log(1 + Math.exp(-1)), 10);
    expect(got[2]).toBeLessThan(-1e4);
    const p = softmax(new Float32Array([3e38, 3e38]));
    expect(Array.from(p)).toEqual([0.5, 0.5]);
  });

  it("gives probabilities summing to 1", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), (xs) => {
        const p = softmax(xs);
        expect(p.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 9);
      }),
    );
  });

  it("keeps -Infinity (masked) tokens at -Infinity and rejects NaN, +Infinity and all -Infinity", () => {
    const got = logSoftmax([0, -Infinity, 0]);
    expect(got[1]).toBe(-Infinity);
    expect(got[0]).toBeCloseTo(Math.log(0.5), 12);
    expect(() => logSoftmax([0, NaN])).toThrow(DecodeError);
    expect(() => logSoftmax([0, Infinity])).toThrow(DecodeError);
    expect(() => logSoftmax([-Infinity, -Infinity])).toThrow(/every logit/);
  });
});

describe("argmax and topIndices", () => {
  it("argmax breaks ties toward the lowest index", () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -Infinity, 0])).toBe(2);
  });

  it("topIndices equals a full sort (value desc, index asc), for small and large k", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(-Infinity)), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 45 }),
        (xs, k) => {
          const ref = xs
            .map((x, i) => i)
            .filter((i) => xs[i] > -Infinity)
            .sort((a, b) => xs[b] - xs[a] || a - b)
            .slice(0, k);
          expect(topIndices(xs, k)).toEqual(ref);
        },
      ),
    );
  });
});

describe("runStep", () => {
  it("rejects a StepFn returning the wrong count or inconsistent lengths", async () => {
    await expect(runStep(async () => [], [[1]], [0], { size: -1 })).rejects.toThrow(/0 logits vectors for 1 prefixes/);
    await expect(
      runStep(async () => [new Float32Array(3), new Float32Array(4)], [[1], [1]], [0, 0], { size: -1 }),
    ).rejects.toThrow(/length 4, expected 3/);
    await expect(runStep(async () => [new Float32Array(0)], [[1]], [0], { size: -1 })).rejects.toThrow(DecodeError);
  });
});
