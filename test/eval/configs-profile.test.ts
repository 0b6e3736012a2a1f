// Which configurations `mtl eval` runs (runtime/eval/configs.ts), and the profile schema checks
// (runtime/profile-schema.ts) that guard the `mtl.profile` metadata.
import { describe, expect, it } from "vitest";
import type { CostTable } from "../../compiler/cost/types";
import { parseSelection, selectConfigs } from "../../runtime/eval/configs";
import { checkProfile, parseStoredProfile } from "../../runtime/profile-schema";
import { prepareSource, SMALL_MULTIMNIST } from "../helpers/train-fixture";

const W = [0.25, 0.5, 0.75, 1];
const table = (tasks: number, sharedGroups = 1): CostTable => ({
  groups: [
    ...Array.from({ length: sharedGroups }, (_, i) => ({ name: `enc${i}`, part: "shared", choices: W })),
    ...Array.from({ length: tasks }, (_, i) => ({ name: `t${i}`, part: `t${i}`, choices: W })),
  ],
  tasks: Array.from({ length: tasks }, (_, i) => `t${i}`),
  terms: [],
});

describe("configuration selection", () => {
  it("factorised: every (encoder, own head) pair of every task, in |shared| x |own| runs", () => {
    for (const tasks of [2, 20]) {
      const t = table(tasks);
      const configs = selectConfigs(t, "factorised");
      expect(configs).toHaveLength(16); // MultiMNIST's 64 and cifar_mtl's 4^21 alike
      for (const task of t.tasks) {
        const pairs = new Set(configs.map((c) => `${c.enc0},${c[task]}`));
        expect(pairs.size).toBe(16);
      }
    }
  });

  it("factorised with too many shared assignments: diagonal plus one-group sweeps", () => {
    const t = table(2, 7); // 4^7 x 4 > 4096
    const configs = selectConfigs(t, "factorised");
    // shared: 4 diagonal + 7 groups x 3 narrower choices = 25; x 4 tied head runs
    expect(configs).toHaveLength(25 * 4);
  });

  it("all, samples, and their limits", () => {
    expect(selectConfigs(table(2), "all")).toHaveLength(64);
    expect(() => selectConfigs(table(20), "all")).toThrow(/MTL-EVAL-004|more than 4096/);
    const s = selectConfigs(table(20), 10, { seed: 3 });
    expect(s).toHaveLength(10);
    expect(s[0]).toEqual(Object.fromEntries(table(20).groups.map((g) => [g.name, 0])));
    expect(s[1]).toEqual(Object.fromEntries(table(20).groups.map((g) => [g.name, 3])));
    expect(selectConfigs(table(20), 10, { seed: 3 })).toEqual(s); // seeded
    expect(parseSelection(undefined)).toBe("factorised");
    expect(parseSelection("12")).toBe(12);
    expect(() => parseSelection("some")).toThrow(
      /--configs takes factorised, all, pareto or a number N of at least 2, not "some"/,
    );
    expect(() => parseSelection("1")).toThrow(expect.objectContaining({ code: "MTL-EVAL-004", exitCode: 2 }));
  });

  it("pareto: the configurations plans pick, each a real configuration", () => {
    const { costs } = prepareSource(SMALL_MULTIMNIST);
    const configs = selectConfigs(costs, "pareto");
    expect(configs.length).toBeGreaterThan(1);
    expect(configs.length).toBeLessThanOrEqual(8);
    for (const c of configs) for (const g of costs.groups) expect(c[g.name]).toBeLessThan(g.choices.length);
  });
});

describe("profile schema", () => {
  const { costs } = prepareSource(SMALL_MULTIMNIST);
  const [enc, left] = costs.groups.map((g) => g.name);
  const good = {
    version: 1,
    tasks: { left: { metric: "accuracy", points: [{ config: { [enc]: 0.5, [left]: 1 }, score: 0.9 }] } },
  };

  it("accepts a well-formed profile and names the field of a malformed one", () => {
    expect(checkProfile(good, "m.onnx", costs).tasks.left.points).toHaveLength(1);
    expect(() => parseStoredProfile("{", "m.onnx", costs)).toThrow(/MTL-MF-001|not valid JSON/);
    expect(() => checkProfile({ ...good, version: 2 }, "m.onnx", costs)).toThrow(/malformed at version/);
    const noScore = { version: 1, tasks: { left: { points: [{ config: {} }] } } };
    expect(() => checkProfile(noScore, "m.onnx", costs)).toThrow(/tasks\.left\.points\[0\]\.score/);
  });

  it("checks tasks, groups and widths against the model", () => {
    const task = { version: 1, tasks: { middle: good.tasks.left } };
    expect(() => checkProfile(task, "m.onnx", costs)).toThrow(/task `middle`/);
    const group = { version: 1, tasks: { left: { points: [{ config: { nope: 1 }, score: 1 }] } } };
    expect(() => checkProfile(group, "m.onnx", costs)).toThrow(/width group `nope`/);
    const width = { version: 1, tasks: { left: { points: [{ config: { [enc]: 0.3 }, score: 1 }] } } };
    expect(() => checkProfile(width, "m.onnx", costs)).toThrow(/width 0\.3, not one of 0\.5, 1/);
  });
});
