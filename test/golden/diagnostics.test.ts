// Every case in test/cases/**.mtl is checked; its rendered diagnostics must equal the reference
// `<case>.diagnostics` beside it. A case's first line may name the codes it is about:
//   // expect: MTL2003 MTL2008
// and the test fails if the checker stops reporting them. `// expect: none` means the case must
// check clean. A case marked `// known-crash: why` documents a compiler crash: the test asserts that
// checking it still throws, so that fixing the crash turns it red (then drop the marker, accept the
// reference and remove the code from `unreachable` below).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../compiler/index";
import { renderAll } from "../../compiler/render";
import { catalogue } from "../../compiler/messages";
import { ShapeErrors } from "../../compiler/ir/shape-errors";
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

/**
 * Codes no case can name, each with the reason. Keep this list short: when a code becomes
 * reachable, the "has a case" test below fails until it is removed from here.
 */
const unreachable: Record<string, string> = {
  MTL6001: "reported by `mtl export torch` only (checked in test/export/torch-export.test.ts); every op the front end builds exports",
  MTL1099: "reported by `mtl fmt` only, when the formatter fails its own round-trip check (a bug in mtl), never by `mtl check`",
  MTL3012:
    "input sizes are checked first (MTL5012) and layers whose output would vanish report MTL3011 " +
    "(kernel bigger than its padded input)",
  // Shape errors the builder raises but the front end never lets happen.
  MTL3004: "every width group a layer can use (encoder, task, `group` block) is declared by the evaluator before use",
  MTL3005: "groups are deduplicated by the evaluator and width lists are rejected first as MTL5002",
  // Training-graph diagnostics come from buildTrainingGraph (compiler/train/), not from `mtl check`.
  MTL7001: "reported when a training graph is built (buildTrainingGraph), never by `mtl check`; test/train/diagnostics.test.ts covers it",
};

const expectedCodes = (src: string): string[] =>
  (/^\/\/ expect:(.*)$/m.exec(src)?.[1].trim().split(/\s+/) ?? []).filter((c) => c !== "none" && c !== "");
const knownCrash = (src: string): boolean => /^\/\/ known-crash:/m.test(src);

describe("diagnostic golden cases", () => {
  for (const file of cases) {
    const name = relative(casesRoot, file);
    const src = readFileSync(file, "utf8");
    // the compiler's own root-relative names (`names/x.mtl`), as the references hold them: without
    // the CLI's mapping to paths from the current folder (test/cli/diagnostic-paths.test.ts covers that)
    const host = { ...fileHost(file, casesRoot), display: undefined };
    if (knownCrash(src)) {
      it(`${name} (known crash)`, () => {
        expect(() => checkProgram(host.entryOf(file), host), `${name} no longer crashes: drop its known-crash marker`).toThrow();
      });
      continue;
    }
    it(name, () => {
      const result = checkProgram(host.entryOf(file), host);
      const text = renderAll(result.diagnostics, { source: (f) => host.readFile(f) }) || "no diagnostics\n";
      expectGolden(text, file.replace(/\.mtl$/, ".diagnostics"));
      if (/^\/\/ expect:\s*none\s*$/m.test(src)) expect(result.diagnostics, `${name} should check clean`).toEqual([]);
      const got = new Set(result.diagnostics.map((d) => d.code));
      for (const code of expectedCodes(src)) {
        expect(got.has(code), `${name} should report ${code}`).toBe(true);
        covered.add(code);
      }
    });
  }

  it("has a case for every diagnostic code", () => {
    const named = new Set(
      walk(casesRoot)
        .map((f) => readFileSync(f, "utf8"))
        .filter((src) => !knownCrash(src))
        .flatMap(expectedCodes),
    );
    const all = [...Object.keys(catalogue), ...Object.values(ShapeErrors).map((e) => e.code)];
    expect(all.filter((c) => !named.has(c) && !(c in unreachable)), "codes without a case").toEqual([]);
    expect(Object.keys(unreachable).filter((c) => named.has(c)), "codes listed as unreachable that a case now names").toEqual([]);
    expect(Object.keys(unreachable).filter((c) => !all.includes(c)), "unreachable entries that are not codes").toEqual([]);
  });
});

/** Rows of the code table in docs/diagnostics.md, by code: [severity, summary, example]. */
function docRows(): Map<string, string[]> {
  const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "diagnostics.md"), "utf8");
  const rows = new Map<string, string[]>();
  for (const line of doc.split("\n")) {
    const m = /^\| (MTL\d{4}) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1], m[2].split(/(?<!\\)\| /).map((c) => c.trim().replaceAll("\\|", "|")));
  }
  return rows;
}

describe("docs/diagnostics.md", () => {
  const rows = docRows();
  const summaries = new Map<string, { severity: string; summary: string }>([
    ...Object.entries(catalogue).map(([code, e]) => [code, e] as const),
    ...Object.values(ShapeErrors).map((e) => {
      const summary = `${e.description[0].toUpperCase()}${e.description.slice(1)}.`;
      return [e.code, { severity: "error", summary }] as const;
    }),
  ]);

  it("has a row for every code, with the catalogue's severity and summary, and no other rows", () => {
    expect([...rows.keys()].sort()).toEqual([...summaries.keys()].sort());
    for (const [code, e] of summaries) expect(rows.get(code)!.slice(0, 2), code).toEqual([e.severity, e.summary]);
  });

  it("links each code's example to a case that expects it, or says why there is none", () => {
    for (const [code, row] of rows) {
      const example = row[2];
      if (code in unreachable) {
        expect(example, code).not.toContain("](../test/cases/");
        continue;
      }
      const link = /\]\(\.\.\/test\/cases\/([^)]+\.mtl)\)/.exec(example);
      expect(link, `${code} links no case`).not.toBeNull();
      const src = readFileSync(join(casesRoot, link![1]), "utf8");
      expect(expectedCodes(src), `${code}: ${link![1]}`).toContain(code);
    }
  });
});
