// A static model (compiled for one configuration) has exactly one configuration everywhere
// (issue 15.1): plans, costs, and refusals of budgets it cannot meet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costAt } from "../../compiler/cost/table";
import { load, type MtlModel, PlanError } from "../../runtime/index";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

let dynamic: MtlModel;
let fixed: MtlModel;
const widths = { e: 0.5, seg: 0.25, cls: 1 };
const image = { data: seededImage(3 * 16 * 16), dims: [1, 3, 16, 16] };

beforeAll(async () => {
  dynamic = await load(compileSource(TWO_TASK));
  fixed = await load(compileSource(TWO_TASK, widths));
});
afterAll(async () => {
  await dynamic.close();
  await fixed.close();
});

describe("static models", () => {
  const staticMacs = () => costAt(dynamic.costs, { e: 1, seg: 0, cls: 3 }).macs;

  it("hold one configuration in their cost table, costing what that configuration costs", () => {
    expect(fixed.staticConfig).toEqual(widths);
    expect(fixed.costs.groups.map((g) => g.choices)).toEqual([[0.5], [0.25], [1]]);
    expect(costAt(fixed.costs, { e: 0, seg: 0, cls: 0 }).macs).toBe(staticMacs());
  });

  it("plan their one configuration whatever the preferences, and ignore the source's default budget", () => {
    const p = fixed.plan({ prefer: { seg: 0, cls: 1 } });
    expect(p.widths).toEqual(widths);
    expect(p.cost.macs).toBe(staticMacs());
    expect(p.budget.limit).toBe(Infinity); // the source's `budget macs <= 50%` chose the config at compile time
  });

  it("refuse a budget they cannot meet, saying the model is static", () => {
    const below = Math.floor(staticMacs() / 2);
    let err: unknown;
    try {
      fixed.plan({ budget: { macs: below } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect(err).toMatchObject({ code: "infeasible", minimum: staticMacs() });
    expect((err as Error).message).toMatch(/static model, it runs only e=0.5, seg=0.25, cls=1/);
    // A budget it meets plans it; the dynamic model's plan at that budget differs (the wrong answer).
    expect(fixed.plan({ budget: { macs: staticMacs() } }).widths).toEqual(widths);
  });

  it("run only their own configuration and refuse another", async () => {
    const r = await fixed.run({ image }, { plan: fixed.plan() });
    const same = await dynamic.run({ image }, { config: { e: 1, seg: 0, cls: 3 } });
    expect(Array.from(r.outputs.cls["cls.values"].data as Float32Array).map((x) => x.toFixed(4))).toEqual(
      Array.from(same.outputs.cls["cls.values"].data as Float32Array).map((x) => x.toFixed(4)),
    );
    await expect(fixed.run({ image }, { config: { e: 1 } })).rejects.toMatchObject({
      code: "bad-config",
      message: expect.stringMatching(/is static/),
    });
    // Choice 0 of its cut-down table is its own configuration (what `mtl profile` asks for).
    await expect(fixed.run({ image }, { config: { e: 0, seg: 0, cls: 0 } })).resolves.toMatchObject({
      tasks: ["seg", "cls"],
    });
  });
});
