import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fnv1a64 } from "./hash";

/** The textbook definition with BigInt, as the reference. */
function reference(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("equals the BigInt definition on any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        expect(fnv1a64(s)).toBe(reference(s));
      }),
      { numRuns: 300 },
    );
  });
  it("has the published value for the empty string", () => expect(fnv1a64("")).toBe("cbf29ce484222325"));
});
