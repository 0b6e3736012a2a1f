// Coded errors (issue 13, item 4): every user-facing error class of the runtime and the CLI extends
// MtlError, every code in the sources has a row in docs/errors.md, and every search error code one
// in docs/search.md.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
/** Every MTL-AREA-NNN code written in the sources, in any kind of quotes. */
const codesIn = (files: readonly string[]): Set<string> =>
  new Set(
    files.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/["'`](MTL-[A-Z]+-\d{3})["'`]/g)].map((m) => m[1])),
  );

describe("coded errors", () => {
  const files = [...sources("runtime"), ...sources("cli"), ...sources("compiler")];

  it("no error class in runtime/ or cli/ extends Error directly", () => {
    const direct = [...sources("runtime"), ...sources("cli")].flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(/class (\w+) extends Error\b/g)].map(
        (m) => `${f.slice(root.length + 1)}: ${m[1]}`,
      ),
    );
    expect(direct).toEqual([]);
  });

  it("documents every MTL-AREA-NNN code in docs/errors.md", () => {
    const doc = readFileSync(join(root, "docs", "errors.md"), "utf8");
    const codes = codesIn(files);
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((c) => !doc.includes(`| \`${c}\` |`))).toEqual([]);
  });

  it("documents no MTL-AREA-NNN code that the sources never use (a stale row)", () => {
    const doc = readFileSync(join(root, "docs", "errors.md"), "utf8");
    const rows = [...doc.matchAll(/^\| `(MTL-[A-Z]+-\d{3})` \|/gm)].map((m) => m[1]);
    const used = codesIn(files);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((c) => !used.has(c))).toEqual([]);
    expect(rows.filter((c, i) => rows.indexOf(c) !== i)).toEqual([]); // one row, one meaning
  });

  it("throws UserError's default code only where it means what docs/errors.md says", () => {
    // `new UserError(message)` or `(message, 1, hint)` is MTL-CLI-002: a file that is missing, a
    // folder or not valid JSON. Any other mistake passes its own code (or exit code 2: MTL-CLI-001).
    const defaulted = sources("cli").flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(/new UserError\(((?:[^()]|\([^()]*(?:\([^()]*\)[^()]*)*\))*)\)/g)]
        .map((m) => m[1].replace(/\s+/g, " ").trim())
        .filter((args) => !/["'`]MTL-[A-Z]+-\d{3}["'`]|, 2,|, 2\)?$|\bcode\b|OUTPUT_CODE/.test(args))
        .map((args) => `${f.slice(root.length + 1)}: ${args.slice(0, 70)}`),
    );
    expect(defaulted.filter((d) => !/does not exist|is a folder|not valid JSON/.test(d))).toEqual([]);
  });

  it("documents every search error code in docs/search.md and docs/errors.md", () => {
    const types = readFileSync(join(root, "runtime", "search", "types.ts"), "utf8");
    const union = /export type SearchErrorCode =([^;]+);/.exec(types)![1];
    const codes = [...union.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
    const search = readFileSync(join(root, "docs", "search.md"), "utf8");
    const errors = readFileSync(join(root, "docs", "errors.md"), "utf8");
    expect(codes.filter((c) => !search.includes(`| \`${c}\` |`))).toEqual([]);
    expect(codes.filter((c) => !errors.includes(`\`${c}\``))).toEqual([]);
  });
});
