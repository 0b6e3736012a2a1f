// `flops` means 2 FLOPs per MAC everywhere (issue 15.2): in a .mtl file's `budget`, in the runtime's
// budget text and objects, and so on the command line, which passes the text through.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { load } from "../../runtime/index";
import { isSearchError, parseBudget } from "../../runtime/search/index";
import { compileSource, TWO_TASK } from "../helpers/compiled";

describe("flops", () => {
  it("is the same limit from a .mtl budget and from runtime text", async () => {
    const model = await load(compileSource(TWO_TASK.replace("budget macs <= 50%", "budget flops <= 2M")));
    try {
      const fromFile = model.plan(); // the model's default budget
      const fromText = model.plan({ budget: "flops <= 2M" });
      expect(fromFile.budget).toMatchObject({ metric: "macs", limit: 1e6 });
      expect(fromText.budget.limit).toBe(fromFile.budget.limit);
      expect(fromText.widths).toEqual(fromFile.widths);
    } finally {
      await model.close();
    }
  });

  it("halves absolute quantities and keeps percentages, in every form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom("", "k", "M", "G"), (n, unit) => {
        const macs = parseBudget(`macs <= ${n}${unit}`);
        const flops = parseBudget(`flops <= ${n}${unit}`);
        const object = parseBudget({ flops: `${n}${unit}` });
        if (isSearchError(macs) || isSearchError(flops) || isSearchError(object)) return false;
        return flops!.value * 2 === macs!.value && object!.value === flops!.value && flops!.metric === "macs";
      }),
    );
    expect(parseBudget("flops <= 60%")).toEqual(parseBudget("macs <= 60%"));
  });
});
