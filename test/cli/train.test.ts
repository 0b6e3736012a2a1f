// `mtl train` and `mtl calibrate` from the command line: a short real run writes the checkpoint,
// model.onnx and weights; calibrate rewrites the model; and the user's mistakes get one clear line
// each (no stack trace): a missing or malformed data folder, data that does not fit the model, a
// task without a loss, an existing run without --resume, and a loss that turns NaN (named by step,
// with the last good checkpoint left as it was); calibrate refuses a missing, changed or failing source and a
// static model. Calibration on a train split shorter than asked reports what it really used and refuses
// one too small; `-o` naming a file is refused before any training; --resume from a checkpoint already
// past --steps, or trained with another seed, is refused before anything is written.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { load } from "../../runtime/model";
import { nchwcBlock } from "../../runtime/train/nchwc-probe";
import { sessionSettings } from "../../runtime/train/sessions";
import { mtlIn, STACK_TRACE } from "../helpers/cli";
import { SMALL_MULTIMNIST, smallMultiMnist } from "../helpers/train-fixture";

const cudaBundled = ort.listSupportedBackends().some((b) => b.name === "cuda" && b.bundled);
const work = mkdtempSync(join(tmpdir(), "mtl-train-cli-"));
let data = "";
afterAll(() => rmSync(work, { recursive: true, force: true }));
const mtl = mtlIn(work);
const model = (edit: (s: string) => string = (s) => s) => {
  const file = join(work, `m${Math.random().toString(36).slice(2)}.mtl`);
  writeFileSync(file, edit(SMALL_MULTIMNIST));
  return file;
};

describe("mtl train / mtl calibrate", () => {
  beforeAll(async () => {
    data = await smallMultiMnist();
  }, 60_000);

  it("trains, writes checkpoint, model.onnx (every configuration) and weights; calibrate rewrites the model", async () => {
    const file = model();
    const run = mtl("train", file, "--data", data, "-o", "run", "--steps", "30", "--threads", "1");
    expect(run.code, run.err).toBe(0);
    // The header says whether convs run on onnxruntime's blocked kernels (the probe's block).
    const block = await nchwcBlock(sessionSettings(1));
    expect(run.out).toMatch(
      block > 0
        ? new RegExp(`^training MM: .*, 1 thread \\(cpu, convs in channel blocks of ${block}\\)\n`)
        : /^training MM: .*, 1 thread \(cpu\)\n/,
    );
    expect(run.out).toMatch(/epoch 1 \[#+\] 30\/30 [\d.]+ steps\/s ETA 0:00 {2}left [\d.]+ {2}right [\d.]+/); // plain lines off a TTY
    expect(run.out).toMatch(
      /epoch 1: test largest: left [\d.]+%, right [\d.]+%; smallest: left [\d.]+%, right [\d.]+% \(30 steps in [\d.]+ s\)/,
    );
    for (const f of ["checkpoint.safetensors", "model.onnx", "weights.safetensors"])
      expect(statSync(join(work, "run", f)).size).toBeGreaterThan(0);
    const m = await load(join(work, "run", "model.onnx"));
    expect(m.meta.groups.map((g) => g.choices.length)).toEqual([2, 2, 2]);
    await m.close();
    const before = readFileSync(join(work, "run", "model.onnx"));
    const cal = mtl(
      "calibrate",
      join(work, "run", "model.onnx"),
      "--data",
      data,
      "--batches",
      "1",
      "--threads",
      "1",
      "--source",
      file,
    );
    expect(cal.code, cal.err).toBe(0);
    expect(cal.out).toMatch(/^calibrated .* over 1 batch of 50 per configuration/);
    expect(readFileSync(join(work, "run", "model.onnx")).equals(before)).toBe(false);
    const again = mtl("train", file, "--data", data, "-o", "run", "--steps", "30");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds a run .*\n {2}hint: pass --resume/);
  }, 120_000);

  it("names the problem with the data folder or the model, without a stack trace", () => {
    const broken = join(work, "broken");
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, "manifest.json"), "{ not json");
    const wrongShape = model((s) => s.replace("f32[N, 1, 28, 28]", "f32[N, 1, 32, 32]"));
    const noLoss = model((s) => s.replace(/ loss cross_entropy metric accuracy\n {2}\}\n {2}train/, "\n  }\n  train"));
    const noLossNoTrain = model((s) =>
      s.replace(/ loss cross_entropy metric accuracy\n {2}\}\n {2}train \{[^}]*\}/, "\n  }"),
    );
    const noCuda: [string[], RegExp] = [
      ["train", model(), "--data", data, "-o", "r7", "--provider", "cuda"],
      /^error[^:\n]*: this onnxruntime-node build has no CUDA/,
    ];
    const cases: [string[], RegExp][] = [
      [
        ["train", model(), "--data", join(work, "nowhere"), "-o", "r1"],
        /^error[^:\n]*: .*nowhere.*manifest\.json does not exist/,
      ],
      [["train", model(), "--data", broken, "-o", "r2"], /^error[^:\n]*: .*manifest\.json is not valid JSON/],
      [
        ["train", wrongShape, "--data", data, "-o", "r3"],
        /^error[^:\n]*: .*input `image` has per-sample shape \[1, 28, 28\] in the data set but \[1, 32, 32\] in the model/,
      ],
      [["train", noLoss, "--data", data, "-o", "r4"], /error MTL5109/],
      [
        ["train", noLossNoTrain, "--data", data, "-o", "r4b"],
        /^error[^:\n]*: task `right` declares no loss, so it cannot be trained/,
      ],
      [
        ["train", model(), "--data", data, "-o", "r5", "--epochs", "1", "--steps", "3"],
        /^error[^:\n]*: give either --epochs or --steps/,
      ],
      [
        ["train", model(), "--data", data, "-o", "r6", "--provider", "tpu"],
        /^error[^:\n]*: unknown execution provider 'tpu'/,
      ],
      [
        ["train", model(), "--data", data, "-o", "r8", "--split", "rows"],
        /^error MTL-TRAIN-023: unknown --split 'rows'\n {2}hint: use --split batch, configs or serial/,
      ],
      ...(cudaBundled ? [] : [noCuda]),
    ];
    for (const [args, message] of cases) {
      const run = mtl(...args);
      expect(run.code, `${args.join(" ")}: ${run.err}`).toBeGreaterThanOrEqual(1);
      expect(run.err).toMatch(message);
      expect(run.err).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it("calibrate names a missing, changed or failing source and a static model, without a stack trace", () => {
    const file = model();
    for (const args of [
      ["-o", "cal.onnx"],
      ["-o", "cal-static.onnx", "--budget", "100%", "--prefer", "left=1,right=1"],
    ]) {
      const c = mtl("compile", file, ...args);
      expect(c.code, c.err).toBe(0);
    }
    const changed = model((s) => s.replace("optimizer adamw(lr: 0.003)", "optimizer adamw(lr: 0.002)"));
    const failing = model((s) => s.replace("loss cross_entropy", "loss cross_entropy_typo"));
    const cal = (onnx: string, ...rest: string[]) => mtl("calibrate", join(work, onnx), "--data", data, ...rest);
    const cases: [ReturnType<typeof mtl>, RegExp][] = [
      [
        cal("cal.onnx", "--source", join(work, "nowhere.mtl")),
        /MTL-TRAIN-040.*cannot find the \.mtl source of .*cal\.onnx/,
      ],
      [cal("cal.onnx", "--source", changed), /MTL-TRAIN-041.*is not the source .*cal\.onnx was compiled from/],
      [cal("cal.onnx", "--source", failing), /error MTL\d+/],
      [cal("cal-static.onnx"), /holds one static configuration; calibrate the model with every configuration instead/],
    ];
    for (const [run, message] of cases) {
      expect(run.code, run.err).toBe(1);
      expect(run.err).toMatch(message);
      expect(run.err).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it("stops at the step whose loss turns NaN, naming it, and writes no checkpoint of the bad weights", () => {
    const file = model((s) => s.replace("optimizer adamw(lr: 0.003)", "optimizer sgd(lr: 1e30, momentum: 0)"));
    const run = mtl("train", file, "--data", data, "-o", "nan", "--threads", "1");
    expect(run.code, run.err).toBe(1);
    expect(run.err).toMatch(
      /^error[^:\n]*: the loss became (NaN|infinite) at step \d+\n {2}hint: .*last good checkpoint is kept/,
    );
    expect(() => statSync(join(work, "nan", "checkpoint.safetensors"))).toThrow();
  }, 120_000);

  it("calibrates on a train split smaller than one batch, saying so, and refuses one with no batch of 2", async () => {
    const file = model();
    expect(mtl("compile", file, "-o", "small.onnx").code).toBe(0);
    const before = readFileSync(join(work, "small.onnx"));
    const sizes = [10, 1];
    for (const n of sizes) await buildMultiMnist({ output: join(work, `train${n}`), seed: 0, train: n, test: 10 });
    // 10 batches of 50 asked for, 10 samples there: one batch of 10
    const ten = mtl("calibrate", "small.onnx", "--data", "train10", "--batches", "10", "--threads", "1");
    expect(ten.code, ten.err).toBe(0);
    expect(ten.out).toMatch(/ over 1 batch \(10 samples\) per configuration /);
    const after = readFileSync(join(work, "small.onnx"));
    expect(after.equals(before)).toBe(false);
    const one = mtl("calibrate", "small.onnx", "--data", "train1", "--threads", "1");
    expect(one.code).toBe(1);
    expect(one.err).toMatch(/^error MTL-TRAIN-042: .*training split has 1\n {2}hint: .*--batch-size/);
    expect(one.err).not.toMatch(STACK_TRACE);
    expect(readFileSync(join(work, "small.onnx")).equals(after)).toBe(true);
  }, 120_000);

  it("refuses --resume from a checkpoint past --steps or trained with another seed, touching nothing", () => {
    const file = model();
    const first = mtl("train", file, "--data", data, "-o", "past", "--steps", "3", "--threads", "1");
    expect(first.code, first.err).toBe(0);
    const files = ["checkpoint.safetensors", "model.onnx", "weights.safetensors"];
    const before = files.map((f) => readFileSync(join(work, "past", f)));
    const cases: [string[], RegExp][] = [
      [
        ["--steps", "1"],
        new RegExp(
          "^error MTL-TRAIN-012: cannot resume: the checkpoint in past is already at step 3, " +
            "past the 1 steps asked for\\n {2}hint: pass --steps 4 or more .*without --resume",
        ),
      ],
      [
        ["--steps", "4", "--seed", "7"],
        new RegExp(
          "^error MTL-TRAIN-013: cannot resume: the checkpoint in past was trained with seed 0, " +
            "this run asks for seed 7\\n {2}hint: resume with --seed 0",
        ),
      ],
    ];
    for (const [flags, message] of cases) {
      const run = mtl("train", file, "--data", data, "-o", "past", "--resume", "--threads", "1", ...flags);
      expect(run.code, run.err).toBe(1);
      expect(run.err).toMatch(message);
      expect(run.err).not.toMatch(STACK_TRACE);
      expect(run.out).not.toMatch(/resuming|calibrating|wrote/);
      files.forEach((f, i) => expect(readFileSync(join(work, "past", f)).equals(before[i]), f).toBe(true));
    }
  }, 120_000);

  it("refuses -o naming a file (it is the run folder) before any training", () => {
    writeFileSync(join(work, "taken.onnx"), "x");
    const run = mtl("train", model(), "--data", data, "-o", "taken.onnx", "--steps", "2", "--threads", "1");
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^error MTL-CLI-003: -o taken\.onnx is a file; it takes the run folder .*\n {2}hint: e\.g\. -o run/,
    );
    expect(run.err).not.toMatch(STACK_TRACE);
    expect(run.out).not.toMatch(/training|epoch/);
    expect(readFileSync(join(work, "taken.onnx"), "utf8")).toBe("x");
  }, 60_000);
});
