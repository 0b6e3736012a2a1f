import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manyGroupNet, resnet18, twoTaskNet } from "../../test/helpers/reference-nets";
import type { Config, Graph } from "../ir/types";
import { directCost } from "./node-cost";
import { buildCostTable, costAt } from "./table";

const nets: [string, Graph][] = [
  ["two-task", twoTaskNet()],
  ["many-group", manyGroupNet()],
  ["resnet18", resnet18()],
];

const configOf = (g: Graph): fc.Arbitrary<Config> =>
  fc.record(Object.fromEntries(g.groups.map((x) => [x.name, fc.integer({ min: 0, max: x.choices.length - 1 })])));

describe.each(nets)("cost table of the %s network", (_, g) => {
  const table = buildCostTable(g);
  const tasks = g.tasks.map((t) => t.name);

  it("agrees with a direct per-node sum at random configurations", () => {
    fc.assert(
      fc.property(configOf(g), fc.subarray(tasks), (config, on) => {
        expect(costAt(table, config, on)).toEqual(directCost(g, config, on));
      }),
    );
  });

  it("is monotone non-decreasing in every group's width", () => {
    const groups = g.groups.map((x) => x.name);
    fc.assert(
      fc.property(configOf(g), fc.constantFrom(...groups), fc.subarray(tasks), (config, group, on) => {
        const k = g.groups.find((x) => x.name === group)!.choices.length;
        fc.pre(config[group] < k - 1);
        const before = costAt(table, config, on);
        const after = costAt(table, { ...config, [group]: config[group] + 1 }, on);
        expect(after.macs).toBeGreaterThanOrEqual(before.macs);
        expect(after.params).toBeGreaterThanOrEqual(before.params);
        for (const part of Object.keys(before.byPart)) {
          expect(after.byPart[part].macs).toBeGreaterThanOrEqual(before.byPart[part].macs);
          expect(after.byPart[part].params).toBeGreaterThanOrEqual(before.byPart[part].params);
        }
      }),
    );
  });
});
