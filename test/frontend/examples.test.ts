// Every bundled example and stdlib file checks clean, and examples elaborate to verified IR.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verify } from "../../compiler/ir/verify";
import { check, stdlibFiles } from "../helpers/check";

const examplesDir = join(import.meta.dirname, "..", "..", "examples");
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".mtl"))
  .sort();

describe("examples", () => {
  it("there are at least three", () => expect(examples.length).toBeGreaterThanOrEqual(3));
  for (const name of examples) {
    it(`${name} checks clean and its IR verifies`, () => {
      const r = check(readFileSync(join(examplesDir, name), "utf8"));
      expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
      expect(r.graphs.length).toBe(1);
      const g = r.graphs[0];
      expect(verify(g)).toEqual([]);
      expect(g.tasks.length).toBeGreaterThan(0);
      for (const t of g.tasks) expect(g.values.get(t.output)?.type.channels.every((s) => s.group === null)).toBe(true);
    });
  }
});

describe("stdlib", () => {
  for (const [path, text] of Object.entries(stdlibFiles)) {
    it(`${path} checks clean`, () => {
      const r = check(text);
      expect(r.diagnostics).toEqual([]);
    });
  }
});
