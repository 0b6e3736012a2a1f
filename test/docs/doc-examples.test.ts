// The ```mtl examples of the other docs (README, stdlib, architecture) check clean too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram, memoryHost } from "../../compiler/index";
import { stdlibFiles } from "../helpers/check";

const root = join(import.meta.dirname, "..", "..");

for (const doc of ["README.md", "docs/stdlib.md", "docs/architecture.md", "docs/search.md", "docs/decoding.md"]) {
  const text = readFileSync(join(root, doc), "utf8");
  const blocks = [...text.matchAll(/^```mtl\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (!blocks.length) continue;
  describe(doc, () => {
    blocks.forEach((source, i) => {
      it(`example ${i + 1} checks clean`, () => {
        const r = checkProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": source }));
        expect(
          r.diagnostics
            .filter((d) => d.severity === "error")
            .map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`),
        ).toEqual([]);
      });
    });
  });
}
