// Diagnostics name files so that they open from the folder the command ran in: relative to it for
// files under it (as before: golden files and messages keep `examples/x.mtl`); outside it, as the
// user wrote the file: `../bad/aug.mtl` (imports too), `/abs/aug.mtl`. check, --json and fmt agree.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mtlIn } from "../helpers/cli";

const work = mkdtempSync(join(tmpdir(), "mtl-diagpaths-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = mtlIn(join(work, "here"));
const BAD = 'import { blk } from "./lib"\nmodel M {\n  input x: f32[N, 3]\n  encoder e = x |> linar(8)\n}\n';
const LIB = "block blk(x: tensor) -> tensor {\n  return x |> nope(3)\n}\n";

beforeAll(() => {
  for (const d of ["here/sub", "bad"]) mkdirSync(join(work, d), { recursive: true });
  for (const dir of ["bad", "here/sub"]) {
    writeFileSync(join(work, dir, "aug.mtl"), BAD);
    writeFileSync(join(work, dir, "lib.mtl"), LIB);
  }
  writeFileSync(join(work, "bad", "fmt.mtl"), "model M {\n  x = \n}\n");
});

describe("diagnostic paths", () => {
  it("a file outside the current folder, given relatively: ../bad/aug.mtl, its import ../bad/lib.mtl", () => {
    const r = mtl("check", "../bad/aug.mtl");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^\.\.\/bad\/aug\.mtl:4:20: error MTL2003: `linar` is not defined/m);
    expect(r.err).toMatch(/^\.\.\/bad\/lib\.mtl:2:\d+: error/m);
    const json = JSON.parse(mtl("check", "--json", "../bad/aug.mtl").out) as { span: { file: string } }[];
    expect(new Set(json.map((d) => d.span.file))).toEqual(new Set(["../bad/aug.mtl", "../bad/lib.mtl"]));
  });

  it("given absolutely: the absolute path, the leading slash kept", () => {
    const abs = join(work, "bad", "aug.mtl");
    expect(mtl("check", abs).err).toMatch(new RegExp(`^${abs}:4:20: error MTL2003`, "m"));
    const missing = mtl("check", "/nonexistent.mtl");
    expect(missing.err).toContain('/nonexistent.mtl:1:1: error MTL2001: cannot read "/nonexistent.mtl"');
  });

  it("under the current folder: relative to it, as before, however it was given", () => {
    expect(mtl("check", "sub/aug.mtl").err).toMatch(/^sub\/aug\.mtl:4:20: error MTL2003/m);
    expect(mtl("check", join(work, "here", "sub", "aug.mtl")).err).toMatch(/^sub\/aug\.mtl:4:20: error MTL2003/m);
  });

  it("fmt names files by the same rule", () => {
    expect(mtl("fmt", "../bad/fmt.mtl").err).toMatch(/^\.\.\/bad\/fmt\.mtl:3:1: error MTL1002/m);
    const abs = join(work, "bad", "fmt.mtl");
    expect(mtl("fmt", abs).err).toMatch(new RegExp(`^${abs}:3:1: error MTL1002`, "m"));
  });
});
