// Every ```mtl example in docs/language.md is a complete file and checks clean with the real
// compiler and stdlib; an example holding `// expect-error MTLxxxx` lines must fail with exactly
// those codes. ```mtl-fragment blocks are not checked. The layer and decoder tables must list
// every built-in, so the reference cannot silently fall behind layers.ts / decoders.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../compiler/index";
import { memoryHost } from "../../compiler/host";
import { layers } from "../../compiler/elaborate/layers";
import { decoders } from "../../compiler/elaborate/decoders";
import { functions } from "../../compiler/elaborate/functions";
import { catalogue } from "../../compiler/messages";
import { keywordNames } from "../../grammar/tokens";
import { ShapeErrors } from "../../compiler/ir/shape-errors";
import { stdlibFiles } from "../helpers/check";

const docPath = join(import.meta.dirname, "..", "..", "docs", "language.md");
const doc = readFileSync(docPath, "utf8");

interface Example {
  lang: string;
  line: number; // 1-based line of the opening fence
  source: string;
}

function examples(markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S+)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    out.push({ lang: open[1], line: start + 1, source: body.join("\n") + "\n" });
  }
  return out;
}

const all = examples(doc);
const checked = all.filter((e) => e.lang === "mtl");

/** A short title for the test name: the first model or block it defines. */
const title = (e: Example): string => {
  const m = /\b(model|block)\s+(\w+)/.exec(e.source);
  return `line ${e.line}${m ? ` (${m[1]} ${m[2]})` : ""}`;
};

describe("docs/language.md examples", () => {
  it("has checked examples, and only mtl / mtl-fragment fences besides plain ones", () => {
    expect(checked.length).toBeGreaterThan(20);
    expect(all.map((e) => e.lang).filter((l) => !["mtl", "mtl-fragment", "ts", "sh"].includes(l))).toEqual([]);
  });

  for (const e of checked) {
    it(`${title(e)} checks as documented`, () => {
      const expected = [...e.source.matchAll(/\/\/\s*expect-error\s+(MTL\d{4})/g)].map((m) => m[1]).sort();
      const r = checkProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": e.source }));
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      const shown = errors.map((d) => `${d.code} ${d.span.file}:${d.span.line}:${d.span.col} ${d.message}`);
      if (expected.length === 0) {
        expect(shown).toEqual([]);
        // An example with a model must elaborate to a graph per model.
        const models = [...e.source.matchAll(/^\s*model\s+\w+/gm)].length;
        expect(r.graphs.length).toBe(models);
      } else {
        expect([...new Set(errors.map((d) => d.code))].sort(), shown.join("\n")).toEqual([...new Set(expected)]);
      }
    });
  }
});

/** Table rows (`| \`name\` | ...`) of the section whose heading starts with `heading`. */
function rowsOf(heading: string): string[] {
  const from = doc.indexOf(`\n## ${heading}`);
  const to = doc.indexOf("\n## ", from + 1);
  return doc
    .slice(from, to === -1 ? undefined : to)
    .split("\n")
    .filter((l) => l.startsWith("| `"));
}
const rowFor = (rows: string[], name: string): string | undefined => rows.find((l) => l.startsWith(`| \`${name}\` |`));

describe("docs/language.md covers the built-ins", () => {
  it("lists every primitive layer with every parameter, and every alias", () => {
    const rows = rowsOf("8. Primitive layers");
    const canonical = new Set([...layers.values()]);
    for (const def of canonical) {
      const row = rowFor(rows, def.name);
      expect(row, `layer ${def.name}`).toBeDefined();
      const same = /\| same as `(\w+)`/.exec(row!);
      const text = same ? rowFor(rows, same[1])! : row!;
      for (const p of def.params) expect(text, `${def.name}.${p.name}`).toContain(`\`${p.name}: `);
    }
    const aliases = [...layers.entries()].filter(([n, d]) => n !== d.name);
    for (const [alias, def] of aliases) expect(doc, `alias ${alias}`).toContain(`\`${alias}\` = \`${def.name}\``);
  });

  it("lists every decoding strategy with every parameter", () => {
    const rows = rowsOf("11. Decoding strategies");
    for (const [name, def] of decoders) {
      const row = rowFor(rows, name);
      expect(row, `decoder ${name}`).toBeDefined();
      for (const p of def.params) expect(row!, `${name}.${p.name}`).toContain(`\`${p.name}: `);
    }
  });

  it("lists every function and every keyword", () => {
    const rows = rowsOf("7. Functions");
    for (const name of functions.keys())
      expect(
        rows.some((r) => r.startsWith(`| \`${name}(`)),
        `function ${name}`,
      ).toBe(true);
    const keywordBlock = all.find(
      (e) => e.lang === "mtl-fragment" && e.source.includes("widths") && e.source.includes("fixed"),
    )!;
    expect(keywordBlock.source.split(/\s+/).filter(Boolean).sort()).toEqual([...keywordNames].sort());
  });

  it("mentions only diagnostic codes that exist", () => {
    const shapeCodes = new Set<string>(Object.values(ShapeErrors).map((e) => e.code));
    for (const m of doc.matchAll(/MTL\d{4}/g)) expect(m[0] in catalogue || shapeCodes.has(m[0]), m[0]).toBe(true);
  });
});
