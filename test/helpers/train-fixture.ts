// A small two-task MultiMNIST model and data subset for the training-loop tests: 2,000 training
// and 500 test pairs built by the data set builder, a slimmable CNN with two widths.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareModel, type Prepared } from "../../compiler/compile";
import type { TrainSpec } from "../../compiler/train/spec";
import type { DatasetLike } from "../../runtime/train/dataset";
import { train, type TrainResult } from "../../runtime/train/loop";
import { trainingPrograms } from "../../runtime/train/programs";
import { Progress } from "../../runtime/train/progress";
import type { SessionSettings, TrainingSessions } from "../../runtime/train/sessions";
import { memoryHost } from "../../compiler/host";
import { buildMultiMnist } from "../../runtime/data/multimnist";
import { expect } from "vitest";
import { stdlibFiles } from "./check";

export const SMALL_MULTIMNIST = `
model MM {
  input image: f32[N, 1, 28, 28]
  widths 0.5, 1.0
  encoder e = image |> conv(16, k: 5, stride: 2) |> bn |> relu |> conv(32, k: 3, stride: 2) |> bn |> relu
  task left {
    head e |> conv(16, k: 3, stride: 2) |> bn |> relu |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy
  }
  task right {
    head e |> conv(16, k: 3, stride: 2) |> bn |> relu |> flatten |> fixed linear(10) decode argmax loss cross_entropy metric accuracy
  }
  train {
    optimizer adamw(lr: 0.003)
    epochs 2
    batch 50
    configs 3
    calibrate 2
  }
}`;

export function prepareSource(source: string): Prepared {
  const r = prepareModel("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": source }));
  if (!r.ok)
    throw new Error(
      `test model does not compile: ${r.diagnostics.map((d) => d.message).join("; ")} ${r.message ?? ""}`,
    );
  return r.prepared;
}

export async function smallMultiMnist(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "mtl-mm-")), "data");
  await buildMultiMnist({ output: dir, seed: 0, train: 2000, test: 500 });
  return dir;
}

/** Both maps hold the same names with bitwise the same values. */
export function expectSameWeights(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of a) expect(Buffer.from(b.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
}

/** `spec` trained from the prepared weights on `sessions`, silently and without calibration. */
export function trainQuietly(
  prepared: Prepared,
  spec: TrainSpec,
  data: DatasetLike,
  sessions: TrainingSessions,
  settings: SessionSettings,
  runDir: string,
): Promise<TrainResult> {
  const { graph, weights } = prepared;
  return train({
    graph,
    spec,
    weights,
    data,
    build: trainingPrograms(graph, spec),
    sessions,
    settings,
    runDir,
    resume: false,
    progress: new Progress(() => undefined, false, 1000),
    calibrate: false,
  });
}
