// docs/diagnostics.md has a row for every code in the catalogue (compiler/messages.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { catalogue } from "../../compiler/messages";

it("docs/diagnostics.md lists every catalogue code", () => {
  const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "diagnostics.md"), "utf8");
  const missing = Object.keys(catalogue).filter((code) => !doc.includes(`| ${code} |`));
  expect(missing).toEqual([]);
});
