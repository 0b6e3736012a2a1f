// `mtl calibrate` rewrites the model with new BatchNorm statistics and keeps what else the file
// carried: the measured utility profile (with a note that it predates the recalibration) and any
// other metadata entry; the int8 calibration, whose activation ranges followed the old statistics,
// is removed with a warning naming the commands that add it again, never silently. A --source that
// is not the model's gets MTL-TRAIN-041 (as `mtl eval` says it), not a dump of weight problems.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignTensorData } from "../../compiler/onnx/align";
import { decodeModel } from "../../compiler/onnx/decode";
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { mtlIn, STACK_TRACE } from "../helpers/cli";

const root = resolve(import.meta.dirname, "..", "..");
const trained = join(root, "examples", "trained", "multimnist");
const work = mkdtempSync(join(tmpdir(), "mtl-calibrate-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = mtlIn(work);
const model = join(work, "q.onnx");
const source = join(root, "examples", "multimnist.mtl");

describe("mtl calibrate keeps the file's metadata", () => {
  beforeAll(async () => {
    await buildMultiMnist({ output: join(work, "mm"), seed: 0, train: 32, test: 8 });
    const c = mtl(
      "compile",
      source,
      "-o",
      model,
      "--weights",
      join(trained, "weights.safetensors"),
      "--profile",
      join(trained, "profile.json"),
      "--quantize",
      "int8",
      "--calibrate",
      join(trained, "digits"),
      "--calibration-samples",
      "4",
      "--check-samples",
      "0",
      "--threads",
      "1",
    );
    expect(c.code, c.err).toBe(0);
    // an entry mtl does not write itself (a user's or another tool's) is kept as well
    const m = decodeModel(new Uint8Array(readFileSync(model)));
    writeFileSync(model, alignTensorData(encodeModel({ ...m, metadata: { ...m.metadata, "user.note": "kept" } })));
  }, 120_000);

  it("keeps the measured profile with a note, removes int8 with a warning naming how to add it again", () => {
    const before = decodeMetadata(new Uint8Array(readFileSync(model)));
    expect(before["mtl.quant"]).toBeDefined();
    const cal = mtl(
      "calibrate",
      model,
      "--data",
      "mm",
      "--source",
      source,
      "--batches",
      "1",
      "--batch-size",
      "8",
      "--threads",
      "1",
    );
    expect(cal.code, cal.err).toBe(0);
    expect(cal.out).toMatch(/^calibrated .* rewrote /);
    expect(cal.err).toMatch(
      /note: kept .*q\.onnx's measured utility profile; it was measured before this recalibration/,
    );
    expect(cal.err).toMatch(/`mtl eval .*q\.onnx --data mm --write`/);
    expect(cal.err).toMatch(/warning: removed .*q\.onnx's int8 calibration: .*old BatchNorm statistics/);
    expect(cal.err).toMatch(
      new RegExp(
        "`mtl weights export .*q\\.onnx -o W\\.safetensors`, then " +
          "`mtl compile .*multimnist\\.mtl --weights W\\.safetensors --quantize int8 --calibrate DIR -o ",
      ),
    );
    const after = decodeMetadata(new Uint8Array(readFileSync(model)));
    expect(after["mtl.profile"]).toBe(before["mtl.profile"]);
    expect(after["user.note"]).toBe("kept");
    expect(after["mtl.quant"]).toBeUndefined();
    expect(after["mtl.costs"]).toBeDefined();
    const info = mtl("info", model);
    expect(info.code, info.err).toBe(0);
    expect(info.out).toMatch(/utilities: measured on /);
    expect(info.out).toMatch(/int8: no calibration/);
    // the file still runs
    const run = mtl("run", model, "--random", "--budget", "50%");
    expect(run.code, run.err).toBe(0);
  }, 120_000);

  it("refuses a --source that is not the model's with MTL-TRAIN-041, as eval does, leaving the file as it was", () => {
    const wrong = join(work, "wrong.mtl");
    writeFileSync(
      wrong,
      `model X {
  input image: f32[N, 1, 28, 28]
  encoder e = image |> conv(8, k: 3) |> bn |> relu
  task left { head e |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy }
  task right { head e |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy }
}
`,
    );
    const before = readFileSync(model);
    const cal = mtl("calibrate", model, "--data", "mm", "--source", wrong, "--threads", "1");
    expect(cal.code).toBe(1);
    expect(cal.err).toMatch(
      new RegExp(
        "^error MTL-TRAIN-041: .*q\\.onnx's weights do not fit .*wrong\\.mtl \\([^\\n]*; and \\d+ more\\)\\n" +
          " {2}hint: pass the \\.mtl file .*q\\.onnx was compiled from with --source\\n$",
      ),
    );
    expect(cal.err).not.toMatch(STACK_TRACE);
    expect(readFileSync(model).equals(before)).toBe(true);
  }, 60_000);
});
