// `mtl export torch -o DIR` never overwrites a folder that holds files (a user's edited train.py,
// an unrelated report): refused with MTL-CLI-003 before any work, nothing written, as `mtl export
// triton` refuses an existing repository. A new or empty folder is written.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runExportTorch } from "../../cli/commands/export-torch";
import { out } from "../../cli/io";

const work = mkdtempSync(join(tmpdir(), "mtl-torch-existing-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const example = join(import.meta.dirname, "..", "..", "examples", "multimnist.mtl");
const saved = { ...out };
let printed: string[] = [];
beforeEach(() => {
  printed = [];
  out.log = (s) => void printed.push(s);
  out.err = (s) => void printed.push(s);
});
afterEach(() => Object.assign(out, saved));

describe("mtl export torch into an existing folder", () => {
  it("refuses a folder holding files, naming it and the fix, and writes nothing", async () => {
    const pkg = join(work, "pkg");
    mkdirSync(pkg);
    writeFileSync(join(pkg, "train.py"), "# my edits\n");
    await expect(runExportTorch(example, { output: pkg, seed: "0" })).rejects.toMatchObject({
      code: "MTL-CLI-003",
      exitCode: 1,
      message: expect.stringContaining(`-o ${pkg} already exists and is not empty (it holds train.py)`),
      hint: expect.stringMatching(/choose a new folder .*or remove .*pkg first/),
    });
    expect(readdirSync(pkg)).toEqual(["train.py"]);
    expect(readFileSync(join(pkg, "train.py"), "utf8")).toBe("# my edits\n");
  });

  it("writes into an empty folder", async () => {
    const pkg = join(work, "empty");
    mkdirSync(pkg);
    expect(await runExportTorch(example, { output: pkg, seed: "0" })).toBe(0);
    expect(readdirSync(pkg).sort()).toEqual([
      "README.md",
      "model.py",
      "mtl_data.py",
      "train.py",
      "weights.safetensors",
    ]);
  }, 60_000);
});
