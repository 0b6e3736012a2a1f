// Issue 15 item 15: `mtl fmt` keeps a file's mode, formats a symbolic link's target (the link stays),
// explains syntax errors as `mtl check` does, and accepts a UTF-8 byte order mark.
import { chmodSync, lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runFmt } from "../../cli/commands/fmt";
import { out } from "../../cli/io";
import { checkProgram } from "../../compiler/index";
import { memoryHost } from "../../compiler/host";

const UGLY =
  "model M {\n input x: f32[N, 3, 8, 8]\n      encoder e = x |> conv(8, k: 1)\n task t { head e |> fixed conv(2, k: 1) }\n}\n";
let dir: string;
let printed: string[];
const saved = { ...out };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mtl-fmt-"));
  printed = [];
  out.log = (s) => void printed.push(s);
  out.err = (s) => void printed.push(s);
});
afterEach(() => Object.assign(out, saved));

describe("mtl fmt", () => {
  it("refuses a file that is not .mtl source in one line, as mtl check does, and leaves it alone", () => {
    const f = join(dir, "README.md");
    writeFileSync(f, "# Title\n\nSome `prose` (with brackets { and } and 100% of it).\n");
    const ok = join(dir, "ok.mtl");
    writeFileSync(ok, UGLY);
    expect(runFmt([f, ok], {})).toBe(1);
    const text = printed.join("\n");
    expect(text).toContain(`${f}:1:1: error MTL2002: "${f}" is not .mtl source`);
    expect(text).not.toContain("MTL1001");
    expect(text).not.toContain("MTL1002");
    expect(readFileSync(f, "utf8")).toContain("# Title"); // untouched
    expect(readFileSync(ok, "utf8")).not.toBe(UGLY); // the other file is still formatted
  });

  it("keeps the file's mode", () => {
    const f = join(dir, "secret.mtl");
    writeFileSync(f, UGLY);
    chmodSync(f, 0o600);
    expect(runFmt([f], {})).toBe(0);
    expect(readFileSync(f, "utf8")).not.toBe(UGLY);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it("formats a symbolic link's target and keeps the link", () => {
    const target = join(dir, "real.mtl");
    const link = join(dir, "link.mtl");
    writeFileSync(target, UGLY);
    symlinkSync(target, link);
    expect(runFmt([link], {})).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toContain("  encoder e = x |> conv(8, k: 1)\n");
  });

  it("explains a syntax error as check does, not with the parser's raw text", () => {
    const f = join(dir, "bad.mtl");
    writeFileSync(f, `${UGLY}}\n`);
    expect(runFmt([f], {})).toBe(1);
    const text = printed.join("\n");
    expect(text).not.toContain("-->");
    expect(text).toContain("unexpected `}` at the top level");
  });

  it("accepts and keeps a UTF-8 byte order mark", () => {
    const f = join(dir, "bom.mtl");
    writeFileSync(f, `\uFEFF${UGLY}`);
    expect(runFmt([f], {})).toBe(0);
    const after = readFileSync(f, "utf8");
    expect(after.startsWith("\uFEFF")).toBe(true);
    expect(after.slice(1)).toContain("  encoder e");
    expect(checkProgram("m.mtl", memoryHost({ "m.mtl": `\uFEFF${UGLY}` })).diagnostics).toEqual([]);
  });

  it("--check --stdout prints the formatted text and still exits 1 for a file not formatted", () => {
    const f = join(dir, "ugly.mtl");
    writeFileSync(f, UGLY);
    expect(runFmt([f], { check: true, stdout: true })).toBe(1);
    expect(printed.join("\n")).toContain("ugly.mtl: not formatted");
    expect(readFileSync(f, "utf8")).toBe(UGLY); // nothing written
    const formatted = printed[0];
    writeFileSync(f, formatted.endsWith("\n") ? formatted : `${formatted}\n`);
    printed = [];
    expect(runFmt([f], { check: true, stdout: true })).toBe(0);
  });

  it("names a folder given as a file", () => {
    expect(() => runFmt([dir], {})).toThrow(/is a folder, not a \.mtl file/);
  });
});
