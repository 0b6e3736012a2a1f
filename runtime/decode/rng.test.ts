import { describe, expect, it } from "vitest";
import { mix32, seededRng } from "./rng";

const take = (seed: number, stream: number, n: number) => {
  const r = seededRng(seed, stream);
  return Array.from({ length: n }, () => r.next());
};

describe("seededRng", () => {
  it("is deterministic for a seed and stream", () => {
    expect(take(42, 0, 50)).toEqual(take(42, 0, 50));
    expect(take(42, 3, 50)).toEqual(take(42, 3, 50));
  });

  it("gives different streams for different seeds and streams", () => {
    expect(take(1, 0, 5)).not.toEqual(take(2, 0, 5));
    expect(take(1, 0, 5)).not.toEqual(take(1, 1, 5));
    expect(take(-1, 0, 5)).toEqual(take(2 ** 32 - 1, 0, 5)); // seeds are taken modulo 2^32
  });

  it("is uniform in [0, 1): range, mean and a coarse histogram", () => {
    const xs = take(7, 0, 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, x) => a + x, 0) / xs.length).toBeCloseTo(0.5, 2);
    const bins = new Array(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]++;
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500); // ~5 sigma
  });

  it("first draws of consecutive seeds look uniform too", () => {
    const firsts = Array.from({ length: 20_000 }, (_, s) => seededRng(s).next());
    const bins = new Array(10).fill(0);
    for (const x of firsts) bins[Math.floor(x * 10)]++;
    for (const b of bins) expect(Math.abs(b - 2_000)).toBeLessThan(220);
  });

  it("mix32 is a bijection-like scrambler (no collisions on a range)", () => {
    const seen = new Set(Array.from({ length: 10_000 }, (_, i) => mix32(i)));
    expect(seen.size).toBe(10_000);
  });
});
