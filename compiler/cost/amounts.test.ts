import { describe, expect, it } from "vitest";
import { formatAmount, formatPercent } from "./amounts";

describe("amount formatting", () => {
  it("keeps zeros before the decimal point and trims them after it", () => {
    expect(formatAmount("macs", 650.0000001e6)).toBe("650M");
    expect(formatAmount("macs", 2.5e9)).toBe("2.5G");
    expect(formatPercent(0.5000001)).toBe("50%");
    expect(formatPercent(0.105)).toBe("10.5%");
  });
});
