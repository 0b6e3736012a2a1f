// Every case in test/cases/**.mtl is checked; its rendered diagnostics must equal the reference
// `<case>.diagnostics` beside it. A case's first line may name the codes it is about:
//   // expect: MTL2003 MTL2008
// and the test fails if the checker stops reporting them.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../compiler/index";
import { renderAll } from "../../compiler/render";
import { catalogue } from "../../compiler/messages";
import { expectGolden } from "../helpers/golden";
import { fileHost } from "../../cli/host";

const casesRoot = join(import.meta.dirname, "..", "cases");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith(".mtl") ? [p] : [];
  });
}

const cases = existsSync(casesRoot) ? walk(casesRoot).sort() : [];
const covered = new Set<string>();

describe("diagnostic golden cases", () => {
  for (const file of cases) {
    const name = relative(casesRoot, file);
    it(name, () => {
      const host = fileHost(file, casesRoot);
      const result = checkProgram(host.entryOf(file), host);
      const text = renderAll(result.diagnostics, { source: (f) => host.readFile(f) }) || "no diagnostics\n";
      expectGolden(text, file.replace(/\.mtl$/, ".diagnostics"));
      const expected = /^\/\/ expect:(.*)$/m.exec(readFileSync(file, "utf8"))?.[1].trim().split(/\s+/) ?? [];
      const got = new Set(result.diagnostics.map((d) => d.code));
      for (const code of expected) {
        expect(got.has(code), `${name} should report ${code}`).toBe(true);
        covered.add(code);
      }
    });
  }

  it("has a case for every diagnostic code", () => {
    const all = walk(casesRoot).map((f) => readFileSync(f, "utf8")).join("\n");
    const missing = Object.keys(catalogue).filter((c) => !new RegExp(`// expect:.*\\b${c}\\b`).test(all));
    expect(missing).toEqual([]);
  });
});
