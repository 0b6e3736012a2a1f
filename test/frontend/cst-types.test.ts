// grammar/cst.d.ts is generated from the grammar; it must be regenerated when the grammar changes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { cstTypes } from "../../scripts/gen-cst-types";

it("grammar/cst.d.ts matches the grammar (run `npm run gen:cst`)", () => {
  expect(readFileSync(join(import.meta.dirname, "..", "..", "grammar", "cst.d.ts"), "utf8")).toBe(cstTypes());
});
