// The report's statistics (runtime/report/stats.ts): hand-computed cases, then NumPy references
// written without scipy (average ranks, tau-b from pair counts, hypervolume by counting grid cells).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../compiler/util/prng";
import { hypervolume, kendall, paretoFront, ranks, spearman, uniformity } from "../../runtime/report/stats";

describe("statistics by hand", () => {
  it("average ranks, Spearman and Kendall", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3], [10, 20, 30])).toBeCloseTo(1);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNull(); // a constant metric has no rank correlation
    // pairs of (1,1),(2,3),(3,2): concordant 2, discordant 1 -> tau = 1/3
    expect(kendall([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3);
    expect(kendall([1, 1, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(2 * 3)); // tau-b with a tie in a
  });

  it("DYMU uniformity", () => {
    expect(uniformity([0.5, 0.5], [1, 1])).toBeCloseTo(1); // equal weighted losses
    // r L = (0.75, 0.25): KL((0.75, 0.25) || 0.5) = 0.75 ln 1.5 + 0.25 ln 0.5
    expect(uniformity([0.75, 0.25], [1, 1])).toBeCloseTo(1 - (0.75 * Math.log(1.5) + 0.25 * Math.log(0.5)));
    expect(uniformity([1, 0], [0, 3])).toBeNull();
  });

  it("hypervolume of a 2-D staircase and duplicates", () => {
    // points (1,3), (2,2), (3,1) against (4,4): 3 + 2 + 1 ... union = 1*3 + 1*2 + 1*1 = 6
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBeCloseTo(6);
    expect(
      hypervolume(
        [
          [1, 3],
          [1, 3],
          [2, 3.5],
        ],
        [4, 4],
      ),
    ).toBeCloseTo(3); // duplicate and dominated point
    expect(hypervolume([[5, 1]], [4, 4])).toBe(0); // outside the reference box
  });

  it("Pareto front of (cost, metric)", () => {
    // costs 1..4, accuracy 0.5, 0.4, 0.7, 0.7: point 1 dominated by 0, point 3 by 2
    expect(paretoFront([1, 2, 3, 4], [0.5, 0.4, 0.7, 0.7], true)).toEqual([0, 2]);
    expect(paretoFront([1, 2, 3], [3, 2, 2.5], false)).toEqual([0, 1]);
  });
});

const PYTHON = `
import json, sys, itertools
import numpy as np
d = json.load(sys.stdin)
def rank(x):
    x = np.asarray(x, float); r = np.empty(len(x))
    for i, v in enumerate(x): r[i] = (x < v).sum() + ((x == v).sum() + 1) / 2
    return r
def tau_b(a, b):
    a = np.asarray(a); b = np.asarray(b); n = len(a); s = 0; n0 = n * (n - 1) / 2; ta = tb = 0
    for i, j in itertools.combinations(range(n), 2):
        s += np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
    _, ca = np.unique(a, return_counts=True); _, cb = np.unique(b, return_counts=True)
    ta = (ca * (ca - 1) / 2).sum(); tb = (cb * (cb - 1) / 2).sum()
    return s / np.sqrt((n0 - ta) * (n0 - tb))
def hv(points, ref):
    P = np.asarray(points); ref = np.asarray(ref); axes = [np.unique(np.r_[P[:, j], ref[j]]) for j in range(P.shape[1])]
    total = 0.0
    for cell in itertools.product(*[range(len(a) - 1) for a in axes]):
        lo = np.array([axes[j][c] for j, c in enumerate(cell)]); hi = np.array([axes[j][c + 1] for j, c in enumerate(cell)])
        if (P <= lo).all(1).any(): total += np.prod(hi - lo)
    return total
out = {"spearman": [], "kendall": [], "hv": []}
for a, b in d["pairs"]:
    out["spearman"].append(float(np.corrcoef(rank(a), rank(b))[0, 1])); out["kendall"].append(float(tau_b(a, b)))
for pts in d["sets"]:
    out["hv"].append(float(hv(pts, d["ref"])))
print(json.dumps(out))
`;

describe.skipIf(!existsSync("/usr/bin/python3"))("statistics against NumPy", () => {
  it("Spearman, Kendall tau-b and 3-D hypervolume on random data with ties", () => {
    const rnd = mulberry32(11);
    const pairs = Array.from({ length: 6 }, () => [
      Array.from({ length: 20 }, () => Math.round(rnd() * 8)),
      Array.from({ length: 20 }, () => Math.round(rnd() * 5)),
    ]);
    const sets = Array.from({ length: 4 }, () =>
      Array.from({ length: 7 }, () => [rnd(), rnd(), rnd()].map((v) => Math.round(v * 10) / 10)),
    );
    const ref = [1.1, 1.1, 1.1];
    const want = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PYTHON], {
        input: JSON.stringify({ pairs, sets, ref }),
        encoding: "utf8",
      }),
    );
    pairs.forEach(([a, b], i) => {
      expect(spearman(a, b)).toBeCloseTo(want.spearman[i], 10);
      expect(kendall(a, b)).toBeCloseTo(want.kendall[i], 10);
    });
    sets.forEach((s, i) => expect(hypervolume(s, ref)).toBeCloseTo(want.hv[i], 10));
  });
});
