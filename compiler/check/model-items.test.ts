// The declaration checks run without elaboration: each kind's entry reports its mistakes and
// returns what the items declare, or the default after a mistake.
import { describe, expect, it } from "vitest";
import type * as A from "../ast";
import { parseFile } from "../syntax";
import { DECLARATION_CHECKS, DEFAULT_WIDTHS, MODEL_CHECKS } from "./model-items";

function model(src: string): A.ModelDecl {
  return parseFile(src, "m.mtl").program.models[0];
}
const itemsOf = <K extends A.ModelItem["kind"]>(m: A.ModelDecl, kind: K) =>
  m.items.filter((i): i is Extract<A.ModelItem, { kind: K }> => i.kind === kind);

describe("model-item checks", () => {
  const codes: string[] = [];
  const report = (code: string) => void codes.push(code);

  it("reads widths and budgets, and reports bad ones with the catalogue's codes", () => {
    const m = model(
      "model M {\n  widths 0.5, 0.25, 1.0\n  budget macs <= 60%\n  budget flops <= 2G\n  budget params <= 0\n}\n",
    );
    codes.length = 0;
    const ctx = { model: "M", taskNames: [] };
    expect(DECLARATION_CHECKS.widths(itemsOf(m, "widths"), ctx, report)).toEqual(DEFAULT_WIDTHS);
    expect(DECLARATION_CHECKS.budget(itemsOf(m, "budget"), ctx, report)).toEqual([
      { metric: "macs", value: 0.6, relative: true },
      { metric: "macs", value: 1e9, relative: false }, // flops count 2 per MAC; reported twice-declared
    ]);
    expect(codes).toEqual(["MTL5002", "MTL5013", "MTL5007"]);
  });

  it("checks preferences against the model's tasks, and the model for inputs and tasks", () => {
    const m = model("model M {\n  prefer a: 2, b: 1\n}\n");
    codes.length = 0;
    expect(DECLARATION_CHECKS.prefer(itemsOf(m, "prefer"), { model: "M", taskNames: ["a"] }, report)).toEqual({ a: 2 });
    for (const check of MODEL_CHECKS) check(m, report);
    expect(codes).toEqual(["MTL5008", "MTL5001", "MTL5011"]);
  });
});
