// One mistake, one code (docs/errors.md), whichever command meets it, tested in-process on the
// command functions: compile --config like run --config (MTL-CLI-005); undecodable model bytes as
// MTL-ART-002 from info, run and calibrate; an int32 .npy for a float32 input as MTL-IN-001; train
// into a folder holding a run as MTL-CLI-003; compile --model naming no model with a code, not a bare
// `error:`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCalibrate } from "../../cli/commands/calibrate";
import { runCompile } from "../../cli/commands/compile";
import { runInfo } from "../../cli/commands/info";
import { runRun } from "../../cli/commands/run";
import { runTrain } from "../../cli/commands/train";
import { out } from "../../cli/io";
import { writeNpy } from "../../runtime/npy";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const root = resolve(import.meta.dirname, "..", "..");
const mm = join(root, "examples", "multimnist.mtl");
const dir = mkdtempSync(join(tmpdir(), "mtl-codes-"));
const at = (f: string) => join(dir, f);

beforeAll(() => {
  vi.spyOn(out, "log").mockImplementation(() => undefined);
  vi.spyOn(out, "err").mockImplementation(() => undefined);
  const model = compileSource(TWO_TASK);
  writeFileSync(at("two.onnx"), model);
  writeFileSync(at("text.onnx"), "not a model\n");
  writeFileSync(at("truncated.onnx"), model.slice(0, 1000));
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe("the same mistake gets the same code", () => {
  it.each([["features=0.3"], ["nogroup=0.5"]])("compile --config %s is MTL-CLI-005, as in run", async (config) => {
    await expect(runCompile(mm, { output: at("x.onnx"), config })).rejects.toMatchObject({
      code: "MTL-CLI-005",
      exitCode: 1,
    });
    await expect(
      runRun(at("two.onnx"), { random: true, config: config.replace("features", "e") }),
    ).rejects.toMatchObject({ code: "MTL-CLI-005" });
  });

  it.each([["text.onnx"], ["truncated.onnx"]])("%s is MTL-ART-002 in info, run and calibrate", async (file) => {
    const bad = { code: "MTL-ART-002", message: expect.stringContaining(`${at(file)} is not an ONNX model`) };
    expect(() => runInfo(at(file), {})).toThrow(expect.objectContaining(bad));
    await expect(runRun(at(file), { random: true })).rejects.toMatchObject(bad);
    await expect(runCalibrate(at(file), { data: dir })).rejects.toMatchObject(bad);
  });

  it("an int32 .npy for a float32 input is MTL-IN-001", async () => {
    writeFileSync(at("i32.npy"), writeNpy(new Int32Array(3 * 16 * 16), [1, 3, 16, 16]));
    const spec = `image=${at("i32.npy")}`;
    await expect(runRun(at("two.onnx"), { input: [spec] })).rejects.toMatchObject({
      code: "MTL-IN-001",
      message: expect.stringContaining("takes float32 values, but"),
    });
  });

  it("train -o into a folder holding a run is MTL-CLI-003 (an output path)", async () => {
    mkdirSync(at("run"));
    writeFileSync(at("run/checkpoint.safetensors"), "");
    const data = join(root, "examples", "trained", "multimnist", "digits");
    await expect(runTrain(mm, { data, output: at("run"), steps: "1" })).rejects.toMatchObject({
      code: "MTL-CLI-003",
      message: expect.stringContaining("already holds a run"),
    });
  });

  it("compile --model naming no model is a coded usage error", async () => {
    await expect(runCompile(mm, { output: at("x.onnx"), model: "Nope" })).rejects.toMatchObject({
      code: "MTL-CLI-001",
      exitCode: 2,
      message: expect.stringContaining("has no model `Nope`"),
    });
  });

  it("compile of a file declaring no model is MTL-CLI-006", async () => {
    writeFileSync(at("lib.mtl"), "block twice(x: tensor) -> tensor {\n  return x + x\n}\n");
    await expect(runCompile(at("lib.mtl"), { output: at("x.onnx") })).rejects.toMatchObject({
      code: "MTL-CLI-006",
      message: expect.stringContaining("declares no model"),
    });
  });
});
