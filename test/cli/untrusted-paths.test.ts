// Issue 15 items 13 and 14: imports never follow symbolic links out of the project, never read (or
// quote) files that are not .mtl source, and a project's own `std/` folder is its own. A file outside
// --root is said to lie outside it (a symbolic link is named only when one leads out).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../compiler/index";
import { renderAll } from "../../compiler/render";
import { fileHost } from "../../cli/host";
import { runMtl, STACK_TRACE } from "../helpers/cli";

const MODEL = (imp: string, use: string) =>
  `${imp}\nmodel M {\n  input x: f32[N, 3, 8, 8]\n  encoder e = x |> conv(${use}, k: 1)\n  task t { head e |> fixed conv(2, k: 1) }\n}\n`;

function project(): { root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), "mtl-paths-"));
  const root = join(base, "project");
  const outside = join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.mtl"), "block leak() -> int {\n  return 8\n}\n");
  writeFileSync(join(outside, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  return { root, outside };
}

function check(root: string, entry: string) {
  const host = fileHost(join(root, entry), root);
  const r = checkProgram(host.entryOf(join(root, entry)), host);
  return { r, text: renderAll(r.diagnostics, { source: (f) => host.readFile(f) }) };
}

describe("imports and symbolic links", () => {
  it("refuses a symlinked .mtl file that leads out of the project", () => {
    const { root, outside } = project();
    symlinkSync(join(outside, "secret.mtl"), join(root, "lib.mtl"));
    writeFileSync(join(root, "main.mtl"), MODEL('import { leak } from "./lib"', "leak()"));
    const { r } = check(root, "main.mtl");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL2002"]);
    expect(r.diagnostics[0].message).toMatch(/leads outside the project root .* \(through a symbolic link\)/);
  });

  it("says a file outside --root lies outside it, without blaming a symbolic link that is not there", () => {
    const { root, outside } = project();
    writeFileSync(join(outside, "main.mtl"), MODEL("", "8"));
    const r = runMtl(outside, ["check", join(outside, "main.mtl"), "--root", root]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`lies outside the project root ${root}`);
    expect(r.err).not.toContain("symbolic link");
    expect(r.err).not.toMatch(STACK_TRACE);
  });

  it("refuses a symlinked folder that leads out of the project", () => {
    const { root, outside } = project();
    symlinkSync(outside, join(root, "vendor"));
    writeFileSync(join(root, "main.mtl"), MODEL('import { leak } from "./vendor/secret"', "leak()"));
    expect(check(root, "main.mtl").r.diagnostics.map((d) => d.code)).toEqual(["MTL2002"]);
  });

  it("never quotes a non-.mtl file reached through a link, even inside the project", () => {
    const { root, outside } = project();
    symlinkSync(join(outside, "passwd"), join(root, "passwd.mtl"));
    writeFileSync(join(root, "main.mtl"), MODEL('import { x } from "./passwd"', "8"));
    const { r, text } = check(root, "main.mtl");
    expect(r.diagnostics.map((d) => d.code)).toContain("MTL2002");
    expect(text).not.toContain("root:x");
    // The entry itself, too.
    const entry = check(root, "passwd.mtl");
    expect(entry.text).not.toContain("root:x");
    expect(entry.r.diagnostics.map((d) => d.code)).toEqual(["MTL2002"]);
  });

  it("follows links that stay inside the project", () => {
    const { root } = project();
    mkdirSync(join(root, "real"));
    writeFileSync(join(root, "real", "lib.mtl"), "block width() -> int {\n  return 8\n}\n");
    symlinkSync(join(root, "real", "lib.mtl"), join(root, "lib.mtl"));
    writeFileSync(join(root, "main.mtl"), MODEL('import { width } from "./lib"', "width()"));
    expect(check(root, "main.mtl").r.diagnostics).toEqual([]);
  });
});

describe("a project with its own std/ folder", () => {
  it("checks the project's std/ file, not the standard library's", () => {
    const { root } = project();
    mkdirSync(join(root, "std", "encoders"), { recursive: true });
    writeFileSync(join(root, "std", "encoders", "resnet.mtl"), "block broken() -> int {\n  return nope\n}\n");
    const { r } = check(root, "std/encoders/resnet.mtl");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL2003"]);
    expect(r.diagnostics[0].span.file).toBe("./std/encoders/resnet.mtl");
  });

  it("imports ./std/x from the project, and std/x from the standard library", () => {
    const { root } = project();
    mkdirSync(join(root, "std"));
    writeFileSync(join(root, "std", "mine.mtl"), "block width() -> int {\n  return 8\n}\n");
    writeFileSync(
      join(root, "main.mtl"),
      MODEL('import { width } from "./std/mine"\nimport { resnet18 } from "std/encoders/resnet"', "width()"),
    );
    const { r } = check(root, "main.mtl");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL2016"]); // resnet18 unused: both imports resolved
  });

  it("a missing ./std/x hints at the path, not at a command that does not exist", () => {
    const { root } = project();
    writeFileSync(join(root, "main.mtl"), MODEL('import { width } from "./std/nothere"', "8"));
    const { r, text } = check(root, "main.mtl");
    expect(r.diagnostics.map((d) => d.code)).toContain("MTL2001");
    expect(text).not.toContain("mtl stdlib");
  });
});
