// Every command that writes outputs reports an output path it cannot write as MTL-CLI-003 naming the
// path, with a fix and exit 1: a file on the way (ENOTDIR), a write that fails (EFBIG as a full disk
// does, EACCES, ENOSPC), never an internal error with a stack trace. In-process through `main`
// except where a process limit is needed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main";
import { concernsOutput, outputError, writingTo } from "../../cli/output-errors";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { MTL_BIN, STACK_TRACE } from "../helpers/cli";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mtl-outpaths-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const example = join(root, "examples", "multimnist.mtl");
const [onnx, data, afile] = [join(work, "mm.onnx"), join(work, "data"), join(work, "afile")];

/** `mtl ARGS` in this process: its exit code and everything it printed. */
async function mtl(...args: string[]): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const keep = (s: unknown) => void printed.push(String(s));
  const spies = [process.stdout, process.stderr].map((s) =>
    vi.spyOn(s, "write").mockImplementation((c: unknown) => (keep(c), true)),
  );
  try {
    return { code: await main(args), text: printed.join("") };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

beforeAll(async () => {
  writeFileSync(afile, "not a folder\n");
  expect((await mtl("compile", example, "-o", onnx)).code).toBe(0);
  await buildMultiMnist({ output: data, seed: 0, train: 16, test: 8 });
}, 60_000);

// each command with its output under `afile`, a regular file
const under = (name: string) => join(afile, name);
const COMMANDS: [string, string[], string][] = [
  ["compile -o", ["compile", example, "-o", under("m.onnx")], under("m.onnx")],
  ["weights export -o", ["weights", "export", onnx, "-o", under("w.safetensors")], under("w.safetensors")],
  ["eval -o", ["eval", onnx, "--data", data, "--batches", "0", "-o", under("p.json")], under("p.json")],
  ["report -o", ["report", onnx, "--data", data, "--batches", "0", "-o", under("rep")], under("rep")],
  ["profile -o", ["profile", onnx, "-o", under("lat.json"), "--runs", "1"], under("lat.json")],
  ["run -o", ["run", onnx, "--random", "-o", under("preds")], under("preds")],
  ["train -o", ["train", example, "--data", data, "--steps", "1", "-o", under("run")], under("run")],
  ["data multimnist -o", ["data", "multimnist", "-o", under("mm"), "--train", "8", "--test", "8"], under("mm")],
  ["export torch -o", ["export", "torch", example, "-o", under("torch")], under("torch")],
  ["export triton -o", ["export", "triton", onnx, "-o", under("triton")], under("triton")],
  ["playground --build", ["playground", "--build", under("site")], under("site")],
];

describe("an output path under a regular file", () => {
  it.each(COMMANDS)("%s: MTL-CLI-003 naming the path and the file, exit 1, nothing written", async (_, args, path) => {
    const r = await mtl(...args);
    expect(r.code, r.text).toBe(1);
    expect(r.text).toContain(
      `error MTL-CLI-003: -o ${path}`.replace("-o", args.includes("--build") ? "--build" : "-o"),
    );
    expect(r.text).toContain(`${afile} is a file, not a folder`);
    expect(r.text).toContain("hint: choose a path inside a folder");
    expect(r.text).not.toMatch(STACK_TRACE);
    expect(r.text).not.toContain("internal error");
  });

  it("leaves the folders around untouched", () => {
    expect(readdirSync(work).sort()).toEqual(["afile", "data", "mm.onnx"]);
  });
});

describe("a write that fails on the way", () => {
  it("data multimnist: a file size limit (as a full disk) is MTL-CLI-003 naming the folder, nothing left", () => {
    const dir = join(work, "limited");
    mkdirSync(dir);
    const out = join(dir, "mm");
    // ulimit -f 1: every file over 1 kB fails to write (EFBIG), as on a full disk
    const args = ["data", "multimnist", "-o", out, "--train", "8", "--test", "8"];
    const r = spawnSync("sh", ["-c", 'ulimit -f 1; exec "$0" "$@"', process.execPath, MTL_BIN, ...args], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error MTL-CLI-003: cannot write ${out}: the file is larger than allowed`);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  const fsError = (code: string, syscall: string, path?: string) =>
    Object.assign(new Error(`${code}: failed, ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

  it.each([
    ["EACCES", "permission denied", "choose a folder you can write to"],
    ["ENOSPC", "no space left on the disk", "free some space"],
    ["EROFS", "the file system is read-only", "writable disk"],
    ["EISDIR", "it is a folder", "give a file name"],
  ])("%s is worded with a fix", (code, what, hint) => {
    const e = outputError("out/x.onnx", fsError(code, "open", "out/.x.onnx.tmp-1"));
    expect(e).toMatchObject({
      code: "MTL-CLI-003",
      exitCode: 1,
      message: `cannot write out/x.onnx: ${what} (${code})`,
    });
    expect((e as { hint: string }).hint).toContain(hint);
  });

  it("writingTo converts errors about the output, not an input's", async () => {
    const out = join(work, "o", "data");
    for (const p of [out, join(out, "train", "a.npy"), join(work, "o"), join(work, "o", ".data.tmp-9")])
      expect(concernsOutput(fsError("EACCES", "open", p), out), p).toBe(true);
    expect(concernsOutput(fsError("ENOSPC", "write"), out)).toBe(true); // a write through an open file
    const input = fsError("EACCES", "open", join(work, "inputs", "mnist.gz"));
    expect(concernsOutput(input, out)).toBe(false);
    await expect(writingTo(out, () => Promise.reject(input))).rejects.toBe(input);
    await expect(writingTo(out, () => Promise.reject(fsError("ENOSPC", "mkdir", out)))).rejects.toMatchObject({
      code: "MTL-CLI-003",
    });
    expect(existsSync(join(work, "o"))).toBe(false);
  });
});
