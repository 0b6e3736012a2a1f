import { describe, expect, it } from "vitest";
import { inPrefer, openCall, paramsOf, taskNames } from "../../playground/src/completion-context";

describe("completion context", () => {
  it("finds the innermost open call", () => {
    expect(openCall("  y = x |> conv(64, k")).toBe("conv");
    expect(openCall("  y = conv(x, max(3, 4), str")).toBe("conv");
    expect(openCall("  y = concat([a, b], ax")).toBe("concat");
    expect(openCall("  decode topk(")).toBe("topk");
    expect(openCall("  y = relu(x) + z")).toBeUndefined();
  });
  it("lists a layer's or decoder's parameters with types and defaults", () => {
    const conv = paramsOf("conv").map((p) => p.name);
    expect(conv).toEqual(["x", "out", "k", "stride", "pad", "dilation", "groups", "bias"]);
    expect(paramsOf("conv").find((p) => p.name === "stride")?.detail).toBe("int|int[] = 1");
    expect(paramsOf("beam").map((p) => p.name)).toContain("length_penalty");
    expect(paramsOf("nothing")).toEqual([]);
  });
  it("offers the model's tasks after prefer", () => {
    const text = "model M {\n  task seg { head x }\n  task depth { head y }\n  prefer seg: 2, ";
    expect(taskNames(text)).toEqual(["seg", "depth"]);
    expect(inPrefer("  prefer seg: 2, ")).toBe(true);
    expect(inPrefer("  prefer seg: ")).toBe(false);
    expect(inPrefer("  budget macs <= ")).toBe(false);
  });
});
