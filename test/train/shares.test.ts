// Data-parallel steps (runtime/train/shares.ts): shares cover the batch in order, pooled BatchNorm
// moments equal the moments of the whole batch computed directly, and combined losses and
// gradients are the share-size-weighted means.
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { combineShares, MIN_SHARE, poolMoments, shareSizes, splitFeeds } from "../../runtime/train/shares";

describe("shareSizes", () => {
  it("covers the batch with at most `threads` shares of at least MIN_SHARE, differing by at most one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 16 }), (batch, threads) => {
        const sizes = shareSizes(batch, threads);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(batch);
        expect(sizes.length).toBeLessThanOrEqual(threads);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        if (sizes.length > 1) expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_SHARE);
        if (batch >= threads * MIN_SHARE) expect(sizes.length).toBe(threads);
      }),
    );
  });
});

describe("splitFeeds", () => {
  it("cuts batch-first feeds into consecutive shares and passes the others whole", () => {
    const image = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 5 * 6 }, (_, i) => i),
      [5, 2, 3],
    );
    const labels = new ort.Tensor("int64", BigInt64Array.from([0n, 1n, 2n, 3n, 4n]), [5]);
    const table = new ort.Tensor("float32", new Float32Array([9, 8]), [2]);
    const [a, b] = splitFeeds({ image, labels, table }, [3, 2]);
    expect(a.image.dims).toEqual([3, 2, 3]);
    expect([...(a.image.data as Float32Array)]).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect([...(b.image.data as Float32Array)]).toEqual(Array.from({ length: 12 }, (_, i) => 18 + i));
    expect([...(b.labels.data as BigInt64Array)]).toEqual([3n, 4n]);
    expect(a.table).toBe(table);
    expect(b.table).toBe(table);
  });
});

/** Mean and unbiased variance per channel of samples [count][channels], directly. */
function moments(rows: readonly number[][]): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, c) => rows.reduce((a, r) => a + r[c], 0) / n);
  const variance = mean.map((m, c) => rows.reduce((a, r) => a + (r[c] - m) ** 2, 0) / (n - 1));
  return { mean, variance };
}

describe("poolMoments", () => {
  const share = fc.array(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }), {
    minLength: 2,
    maxLength: 40,
  });
  it("gives the whole batch's mean and unbiased variance from each share's", () => {
    fc.assert(
      fc.property(fc.array(share, { minLength: 1, maxLength: 4 }), (shares) => {
        const parts = shares.map(moments);
        const pooled = poolMoments(
          shares.map((s) => s.length),
          parts.map((p) => Float32Array.from(p.mean)),
          parts.map((p) => Float32Array.from(p.variance)),
          true,
        );
        const whole = moments(shares.flat());
        whole.mean.forEach((m, c) => expect(pooled.mean[c]).toBeCloseTo(m, 3));
        whole.variance.forEach((v, c) => expect(Math.abs(pooled.variance[c] - v)).toBeLessThanOrEqual(1e-4 * (1 + v)));
      }),
    );
  });

  it("with counts only in proportion, treats the shares as large (no Bessel terms)", () => {
    // two shares with means 0 and 2, variances 1 and 3, equal sizes: 2 + 1 = 3 around the mean 1
    const pooled = poolMoments(
      [1, 1],
      [new Float32Array([0]), new Float32Array([2])],
      [new Float32Array([1]), new Float32Array([3])],
      false,
    );
    expect(pooled.mean[0]).toBe(1);
    expect(pooled.variance[0]).toBe(3);
  });
});

describe("combineShares", () => {
  const scalar = (x: number) => new ort.Tensor("float32", new Float32Array([x]), []);
  const vec = (...x: number[]) => new ort.Tensor("float32", Float32Array.from(x), [x.length]);
  it("weights losses and gradients by share size, pools BatchNorm statistics, and drops per-sample outputs", () => {
    const bn = { mean: "m", variance: "v", runningMean: "rm", runningVar: "rv", perSample: 4 };
    const outs = [
      { loss: scalar(1), "loss.left": scalar(2), "grad.w": vec(3, 6), m: vec(0), v: vec(1), "output.left": vec(1) },
      { loss: scalar(4), "loss.left": scalar(8), "grad.w": vec(0, 3), m: vec(2), v: vec(1), "output.left": vec(2) },
    ];
    const c = combineShares(outs, [2, 1], [bn]);
    expect(c.loss.data[0]).toBeCloseTo(2, 6);
    expect(c["loss.left"].data[0]).toBeCloseTo(4, 6);
    expect([...(c["grad.w"].data as Float32Array)].map((x) => +x.toFixed(5))).toEqual([2, 5]);
    expect(c["grad.w"].dims).toEqual([2]);
    // 8 + 4 values: mean (8*0 + 4*2) / 12; M2 = 7*1 + 3*1 + 8*(2/3)^2 + 4*(4/3)^2 = 10 + 32/3
    expect(c.m.data[0]).toBeCloseTo(2 / 3, 6);
    expect(c.v.data[0]).toBeCloseTo((10 + 32 / 3) / 11, 5);
    expect(c["output.left"]).toBeUndefined();
  });

  it("passes a single share through untouched", () => {
    const out = { loss: scalar(1) };
    expect(combineShares([out], [7], [])).toBe(out);
  });
});
