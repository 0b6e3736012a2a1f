// `--root` that is missing or not a folder is said so (MTL-CLI-002, exit 1), with the fix, instead of
// every file "lying outside the project root /nonexistent".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main";
import { STACK_TRACE } from "../helpers/cli";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-root-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const nyud = join(root, "examples", "nyud.mtl");
const [missing, file] = [join(work, "nonexistent"), join(root, "README.md")];

async function mtl(...args: string[]): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const spies = [process.stdout, process.stderr].map((s) =>
    vi.spyOn(s, "write").mockImplementation((c: unknown) => (printed.push(String(c)), true)),
  );
  try {
    return { code: await main(args), text: printed.join("") };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

const COMMANDS: [string, string[]][] = [
  ["check", ["check", nyud]],
  ["compile", ["compile", nyud, "-o", join(work, "n.onnx")]],
  ["export torch", ["export", "torch", nyud, "-o", join(work, "torch")]],
];

describe("--root", () => {
  it.each(COMMANDS)("%s: a missing --root is named as missing, with the fix", async (_, args) => {
    const r = await mtl(...args, "--root", missing);
    expect(r.code).toBe(1);
    expect(r.text).toContain(`error MTL-CLI-002: --root ${missing} does not exist`);
    expect(r.text).toContain("hint: give the project's folder (e.g. --root .), or leave --root out");
    expect(r.text).not.toContain("outside");
    expect(r.text).not.toMatch(STACK_TRACE);
  });

  it.each(COMMANDS)("%s: a file as --root is not a folder", async (_, args) => {
    const r = await mtl(...args, "--root", file);
    expect(r.code).toBe(1);
    expect(r.text).toContain(`error MTL-CLI-002: --root ${file} is not a folder`);
    expect(r.text).toContain(`hint: give the folder holding the project's .mtl files, e.g. --root ${root}`);
  });

  it("an empty --root is a usage error, not ignored", async () => {
    const r = await mtl("check", nyud, "--root", "");
    expect(r.code).toBe(2);
    expect(r.text).toContain("error MTL-CLI-001: --root needs a folder");
  });

  it("a folder still works", async () => {
    expect((await mtl("check", nyud, "--root", join(root, "examples"))).code).toBe(0);
  });
});
