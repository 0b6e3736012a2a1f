// The `train { }` section and task losses become a TrainSpec / LossSpec with the documented defaults.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSource } from "../../compiler/format";
import { DEFAULT_ADAMW, DEFAULT_TRAIN, METRICS } from "../../compiler/train/spec";
import { TRAIN_SETTINGS } from "../../compiler/elaborate/train";
import { expectClean, expectError, stdlibFiles } from "../helpers/check";
import { compileProgram } from "../../compiler/compile";
import { memoryHost } from "../../compiler/host";
import { load } from "../../runtime/index";

const model = (tasks: string, train: string) => `model M {
  input image: f32[N, 1, 28, 28]
  encoder e = image |> conv(8, k: 3) |> bn |> relu |> global_avgpool |> flatten
${tasks}
${train}
}`;
const twoTasks = `  task left { head fixed linear(e, 10) loss cross_entropy }
  task right { head fixed linear(e, 10) loss cross_entropy }`;

describe("train section", () => {
  it("gives every model the defaults when it has no section", () => {
    const r = expectClean(model(twoTasks, ""));
    expect(r.graphs[0].train).toEqual(DEFAULT_TRAIN);
  });

  it("fills every setting of the valid case", () => {
    const src = readFileSync(join(import.meta.dirname, "..", "cases", "valid", "train-section.mtl"), "utf8");
    const r = expectClean(src);
    expect(r.graphs[0].train).toEqual({
      optimizer: { kind: "sgd", lr: 0.1, momentum: 0.8, nesterov: true, weightDecay: 1e-4 },
      schedule: { kind: "step", warmupSteps: 20, everySteps: 1000, gamma: 0.5 },
      epochs: null,
      steps: 3000,
      batchSize: 64,
      configsPerStep: 3,
      distillOutputs: 0.5,
      distillFeatures: 0.25,
      distillLabels: 0.75,
      distillTemperature: 2,
      lossWeights: { left: 1, right: 0.5 },
      augment: { cropPadding: 2, hflip: true },
      clipNorm: 5,
      calibrationBatches: 4,
      seed: 7,
    });
    expect(r.graphs[0].tasks.map((t) => t.loss)).toEqual([
      { kind: "cross_entropy", ignoreIndex: -1 },
      { kind: "cross_entropy", ignoreIndex: null },
    ]);
  });

  it("keeps defaults for what a section leaves out, per optimiser", () => {
    const r = expectClean(model(twoTasks, "  train {\n    optimizer adamw(lr: 3e-4)\n    epochs 2\n  }"));
    expect(r.graphs[0].train).toEqual({ ...DEFAULT_TRAIN, optimizer: { ...DEFAULT_ADAMW, lr: 3e-4 }, epochs: 2 });
    const c = expectClean(model(twoTasks, "  train {\n    schedule constant\n    augment hflip\n  }"));
    expect(c.graphs[0].train.schedule).toEqual({ kind: "constant", warmupSteps: 0 });
    expect(c.graphs[0].train.augment).toEqual({ cropPadding: 0, hflip: true });
  });

  it("reads steps in place of epochs", () => {
    const r = expectClean(model(twoTasks, "  train {\n    steps 40\n  }"));
    expect([r.graphs[0].train.epochs, r.graphs[0].train.steps]).toEqual([null, 40]);
  });

  it("reads the distillation temperature (default 1)", () => {
    expect(DEFAULT_TRAIN.distillTemperature).toBe(1);
    const plain = expectClean(model(twoTasks, "  train {\n    distill outputs: 1, labels: 0.5\n  }"));
    expect(plain.graphs[0].train.distillTemperature).toBe(1);
    const hot = expectClean(model(twoTasks, "  train {\n    distill outputs: 1, temperature: 4\n  }"));
    expect(hot.graphs[0].train).toEqual({ ...DEFAULT_TRAIN, distillOutputs: 1, distillTemperature: 4 });
    const alone = expectClean(model(twoTasks, "  train {\n    distill temperature: 0.5\n  }"));
    expect(alone.graphs[0].train.distillTemperature).toBe(0.5);
  });

  it("reports a distillation temperature that is not a number above 0 at the value", () => {
    const zero = expectError(model(twoTasks, "  train {\n    distill outputs: 1, temperature: 0\n  }"), "MTL5106", "0");
    expect(zero.message).toBe("a distillation temperature is a number above 0, not 0");
    expect(zero.hint).toContain("temperature: 4");
    expectError(model(twoTasks, "  train {\n    distill temperature: -2\n  }"), "MTL5106", "-2");
    expectError(model(twoTasks, "  train {\n    distill temperature: true\n  }"), "MTL5106", "true");
    expectError(
      model(twoTasks, "  train {\n    distill temperature: 2, temperature: 3\n  }"),
      "MTL5013",
      "temperature: 3",
    );
    const typo = expectError(model(twoTasks, "  train {\n    distill temprature: 2\n  }"), "MTL5106", "temprature: 2");
    expect(typo.hint).toContain("temperature");
  });

  it("reports wrong values at the value", () => {
    expectError(model(twoTasks, "  train {\n    batch 0\n  }"), "MTL5106", "0");
    expectError(
      model(twoTasks, "  train {\n    optimizer sgd(lr: 0.1, momentum: 0, nesterov: true)\n  }"),
      "MTL5106",
      "nesterov: true",
    );
    expectError(model(twoTasks, "  train {\n    optimizer sgd(lr: true)\n  }"), "MTL4001", "lr: true");
    expectError(model(twoTasks, "  train {\n    augment crop(padding: 2), none\n  }"), "MTL5106", "none");
    expectError(model(twoTasks, "  train {\n    augment flip\n  }"), "MTL5106", "flip");
    expectError(model(twoTasks, "  train {\n    seed 5000000000\n  }"), "MTL5106", "5000000000");
    expectError(model(twoTasks, "  train {\n    epochs 3, 4\n  }"), "MTL5106");
    expectError(model(twoTasks, "  train {\n    batch 64\n    batch 32\n  }"), "MTL5013", "batch 32");
  });

  it("checks losses and metrics against the catalogue and the head", () => {
    expectError(model("  task t { head fixed linear(e, 10) loss xent }", ""), "MTL5101", "xent");
    expectError(model("  task t { head fixed linear(e, 3) loss cross_entropy metric top5 }", ""), "MTL5104", "top5");
    expectError(model("  task t { head fixed linear(e, 3) loss bce metric accuracy }", ""), "MTL5104", "accuracy");
    expectClean(model("  task t { head fixed linear(e, 3) loss l2 metric rmse }", ""));
    expectClean(model("  task t { head fixed linear(e, 3) metric accuracy }", ""));
  });

  it("stores each task's loss kind and ignore index in the compiled file's metadata", async () => {
    const tasks = [
      "  task t { head fixed linear(e, 10) loss cross_entropy(ignore: 7) metric accuracy }",
      "  task u { head fixed linear(e, 1) loss l1 }",
    ].join("\n");
    const src = model(tasks, "");
    const r = compileProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": src }));
    if (!r.ok) throw new Error("does not compile");
    const m = await load(r.compiled.bytes);
    expect(m.meta.tasks.map((t) => [t.loss, t.ignoreIndex, t.metric])).toEqual([
      ["cross_entropy", 7, "accuracy"],
      ["l1", undefined, null],
    ]);
  });

  it("formats a one-line section one setting per line, idempotently", () => {
    const src = model(
      twoTasks,
      "  train { optimizer sgd(lr: 0.1) epochs 3 distill outputs: 1, features: 0.5, temperature: 4 augment crop(padding: 2), hflip }",
    );
    const once = formatSource(src, "m.mtl");
    expect(once.diagnostics).toEqual([]);
    expect(once.text).toContain(
      "  train {\n    optimizer sgd(lr: 0.1)\n    epochs 3\n" +
        "    distill outputs: 1, features: 0.5, temperature: 4\n    augment crop(padding: 2), hflip\n  }\n",
    );
    expect(formatSource(once.text, "m.mtl").text).toBe(once.text);
  });

  it("documents every setting and metric", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
    for (const s of Object.keys(TRAIN_SETTINGS)) expect(doc, s).toContain(`\`${s}\``);
    for (const m of Object.keys(METRICS)) expect(doc, m).toContain(`\`${m}\``);
  });
});
