// The .mtl source a compiled model records is found again from any folder: `mtl compile` (and
// `mtl train`, `mtl calibrate`) record it with the project root relative to the model file's folder,
// so `mtl calibrate`/`mtl eval` run elsewhere read that file (not a same-named file under the current
// folder) with the same root (the source hash is over root-relative names); `mtl info` shows it;
// files that record only the old cwd-relative name are still read (next to the model, then the cwd).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { readFileSync } from "node:fs";
import { mtlIn, STACK_TRACE } from "../helpers/cli";
import { SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const work = mkdtempSync(join(tmpdir(), "mtl-srcpath-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let data = "";

describe("the recorded .mtl source", () => {
  beforeAll(async () => {
    data = await smallMultiMnist();
    for (const d of ["proj/models", "elsewhere/models", "out"]) mkdirSync(join(work, d), { recursive: true });
    writeFileSync(join(work, "proj/models/mm.mtl"), SMALL_MULTIMNIST);
    // a different model under the same relative path from another folder: must not be picked up
    writeFileSync(
      join(work, "elsewhere/models/mm.mtl"),
      SMALL_MULTIMNIST.replace("optimizer adamw(lr: 0.003)", "optimizer adamw(lr: 0.002)"),
    );
  }, 60_000);

  it("is found from another folder, with the root it was compiled with, and shown by info", () => {
    const c = mtlIn(join(work, "proj"))("compile", "models/mm.mtl", "-o", join(work, "out", "c.onnx"));
    expect(c.code, c.err).toBe(0);
    for (const cwd of [join(work, "elsewhere"), work]) {
      const mtl = mtlIn(cwd);
      const info = mtl("info", join(work, "out", "c.onnx"));
      expect(info.code, info.err).toBe(0);
      expect(info.out).toMatch(/\nsource: .*proj[/\\]models[/\\]mm\.mtl\n/);
      const cal = mtl("calibrate", join(work, "out", "c.onnx"), "--data", data, "--batches", "1", "--threads", "1");
      expect(cal.code, cal.err).toBe(0);
      expect(cal.err).not.toMatch(STACK_TRACE);
    }
  }, 120_000);

  it("--source still wins", () => {
    const mtl = mtlIn(join(work, "elsewhere"));
    const run = mtl("calibrate", join(work, "out", "c.onnx"), "--data", data, "--source", "models/mm.mtl");
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/MTL-TRAIN-041/);
  }, 120_000);

  it("reads a file recording the old cwd-relative name next to the model, then in the cwd", () => {
    const bytes = new Uint8Array(readFileSync(join(work, "out", "c.onnx")));
    const m = decodeModel(bytes);
    writeFileSync(
      join(work, "proj", "old.onnx"),
      encodeModel({ ...m, docString: "compiled by mtl from models/mm.mtl" }),
    );
    const cal = mtlIn(work)("calibrate", join(work, "proj", "old.onnx"), "--data", data, "--batches", "1");
    expect(cal.code, cal.err).toBe(0);
    // `mtl train` recorded the path as given, often absolute: read with fileHost's default root, as
    // before (its folder, run from a folder it is not under)
    const alone = join(work, "alone");
    mkdirSync(alone);
    writeFileSync(join(alone, "mm.mtl"), SMALL_MULTIMNIST);
    const own = mtlIn(alone)("compile", "mm.mtl", "-o", join(alone, "own.onnx"));
    expect(own.code, own.err).toBe(0);
    const m2 = decodeModel(new Uint8Array(readFileSync(join(alone, "own.onnx"))));
    writeFileSync(
      join(alone, "abs.onnx"),
      encodeModel({ ...m2, docString: `compiled by mtl from ${join(alone, "mm.mtl")}` }),
    );
    const abs = mtlIn(join(work, "elsewhere"))("calibrate", join(alone, "abs.onnx"), "--data", data, "--batches", "1");
    expect(abs.code, abs.err).toBe(0);
    const missing = mtlIn(work)("calibrate", join(work, "out", "c.onnx"), "--data", data, "--source", "nope.mtl");
    expect(missing.err).toMatch(/MTL-TRAIN-040/);
  }, 120_000);
});
