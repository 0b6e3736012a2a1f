import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildProblem } from "./problem";
import { parseProfile, proxyCapacity, proxyOfFraction, type Profile } from "./utility";
import { arbTable, makeTable, WIDTHS4 } from "./test-tables";
import { isSearchError } from "./types";
import { forEachAssignment } from "./space";

const table = makeTable({ choices: [...WIDTHS4], tasks: 2, names: ["semseg", "depth"] });
const all = { budget: null, tasks: ["semseg", "depth"], prefer: { semseg: 0.5, depth: 0.5 } };

function problemWith(profile?: Profile) {
  const p = buildProblem(table, all, { profile });
  if (isSearchError(p)) throw new Error(p.message);
  return p;
}
const genome = (backbone: number, semseg: number, depth: number) => Uint8Array.from([backbone, semseg, depth]);

describe("proxy utility", () => {
  it("reproduces Slimmable Nets' S-ResNet-50 accuracy against MACs within half a point", () => {
    const acc = [76.0, 74.9, 72.1, 65.0];
    const macs = [4.1e9, 2.3e9, 1.1e9, 278e6];
    macs.forEach((m, i) => expect(Math.abs(proxyOfFraction(m / 4.1e9) - acc[i] / 76.0)).toBeLessThan(0.005));
  });

  it("is 1 at full width and grows with every group's width", () => {
    const p = problemWith();
    expect(p.utility.utility("semseg", genome(3, 3, 0))).toBeCloseTo(1, 12);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (b, s, which) => {
          const g = genome(b, s, 0);
          const wider = g.slice();
          if (wider[which] === 3) return;
          wider[which]++;
          const task = which === 2 ? "depth" : "semseg";
          expect(p.utility.utility(task, wider)).toBeGreaterThanOrEqual(p.utility.utility(task, g));
        },
      ),
    );
  });

  it("treats encoder and head as stages in series: equals the MAC fraction at uniform width", () => {
    expect(proxyCapacity(0.25, 0.25)).toBeCloseTo(0.25, 12);
    expect(proxyCapacity(1, 0.0625)).toBeCloseTo(0.25, 12);
    expect(proxyCapacity(null, 0.5)).toBe(0.5);
  });

  it("depends only on shared groups and the task's own groups", () => {
    fc.assert(
      fc.property(arbTable({ maxHeadGroups: 2, maxStages: 2 }), (t) => {
        const p = buildProblem(t, {
          budget: null,
          tasks: t.tasks,
          prefer: Object.fromEntries(t.tasks.map((x) => [x, 1 / t.tasks.length])),
        });
        if (isSearchError(p)) throw new Error(p.message);
        const task = t.tasks[0];
        const g = new Uint8Array(t.groups.length);
        const base = p.utility.utility(task, g);
        forEachAssignment(
          p.space,
          Int32Array.from(t.groups.flatMap((grp, i) => (grp.part !== "shared" && grp.part !== task ? [i] : []))),
          g,
          () => {
            expect(p.utility.utility(task, g)).toBe(base);
          },
        );
      }),
      { numRuns: 30 },
    );
  });
});

describe("measured profile", () => {
  const profile: Profile = {
    version: 1,
    tasks: {
      semseg: [
        { config: {}, score: 0.4 }, // full width: the reference
        { config: { backbone: 0.25, semseg: 0.25 }, score: 0.3 },
        { config: { backbone: 0.25, semseg: 0.25, depth: 0.5 }, score: 0.32 }, // depth's group is ignored: a repeat
      ],
      depth: {
        lowerIsBetter: true,
        points: [
          { config: {}, score: 0.5 },
          { config: { backbone: 0.5 }, score: 0.6 },
        ],
      },
    },
  };

  it("is exact at measured points, relative to the full-width score, averaging repeats", () => {
    const p = problemWith(profile);
    expect(p.utility.source).toEqual({ semseg: "profile", depth: "profile" });
    expect(p.utility.utility("semseg", genome(3, 3, 0))).toBeCloseTo(1, 12);
    expect(p.utility.utility("semseg", genome(0, 0, 2))).toBeCloseTo(0.31 / 0.4, 12);
    expect(p.utility.utility("depth", genome(1, 0, 3))).toBeCloseTo(2 - 0.6 / 0.5, 12); // 20% worse RMSE -> 0.8
  });

  it("interpolates by inverse squared distance in width, staying within the measured range", () => {
    const p = problemWith(profile);
    // (0.5, 0.5) is at squared distance 0.125 from (0.25, 0.25) and 0.5 from (1, 1): weights 8 and 2.
    expect(p.utility.utility("semseg", genome(1, 1, 0))).toBeCloseTo((8 * (0.31 / 0.4) + 2 * 1) / 10, 12);
    const g = new Uint8Array(3);
    forEachAssignment(p.space, p.space.active, g, () => {
      const u = p.utility.utility("semseg", g);
      expect(u).toBeGreaterThanOrEqual(0.3 / 0.4 - 1e-12);
      expect(u).toBeLessThanOrEqual(1 + 1e-12);
    });
  });

  it("falls back to the proxy for tasks it does not cover", () => {
    const p = problemWith({ version: 1, tasks: { semseg: [{ config: {}, score: 1 }] } });
    expect(p.utility.source).toEqual({ semseg: "profile", depth: "proxy" });
  });

  it.each([
    [{ version: 1, tasks: { edges: [{ config: {}, score: 1 }] } }, "unknown task"],
    [{ version: 1, tasks: { semseg: [{ config: { backbon: 0.5 }, score: 1 }] } }, 'did you mean "backbone"'],
    [{ version: 1, tasks: { semseg: [{ config: {}, score: -1 }] } }, "must be positive"],
  ])("rejects a profile that does not match the model: %j", (pr, text) => {
    const p = buildProblem(table, all, { profile: pr as Profile });
    expect(isSearchError(p) && p.code).toBe("bad-profile");
    expect(isSearchError(p) && `${p.message} ${p.hint ?? ""}`).toContain(text);
  });

  it.each([
    [null],
    [{ tasks: {} }],
    [{ version: 1, tasks: [] }],
    [{ version: 1, tasks: { semseg: [] } }],
    [{ version: 1, tasks: { semseg: [{ config: { backbone: 0 }, score: 1 }] } }],
    [{ version: 1, tasks: { semseg: [{ config: {}, score: "high" }] } }],
    [{ version: 1, tasks: { semseg: { lowerIsBetter: "yes", points: [{ config: {}, score: 1 }] } } }],
  ])("rejects a malformed profile: %j", (json) => {
    const r = parseProfile(json);
    expect(isSearchError(r) && r.code).toBe("bad-profile");
  });

  it("accepts the documented format", () => {
    expect(isSearchError(parseProfile(profile))).toBe(false);
  });
});
