// What the PyTorch export reads of a graph's training declarations. The `data` branch is adding
// `Graph.train: TrainSpec` and turning `Task.loss` into a LossSpec; until that lands on main this
// reads either form and falls back to the defaults the data branch declares (DEFAULT_TRAIN there).
import type { Graph, Task } from "../../ir/types";
import type { LossSpec, TrainSpec } from "../../train/spec";

/** Defaults of a model without a `train { }` section (mirrors DEFAULT_TRAIN on the data branch). */
export const FALLBACK_TRAIN: TrainSpec = {
  optimizer: { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
  schedule: { kind: "cosine", warmupSteps: 0, minLr: 0 },
  epochs: 10,
  steps: null,
  batchSize: 128,
  configsPerStep: 4,
  distillOutputs: 1,
  distillFeatures: 0,
  lossWeights: {},
  augment: { cropPadding: 0, hflip: false },
  clipNorm: null,
  calibrationBatches: 10,
  seed: 0,
};

export function trainSpecOf(graph: Graph): TrainSpec {
  return (graph as Graph & { readonly train?: TrainSpec }).train ?? FALLBACK_TRAIN;
}

/** A task's declared loss as a LossSpec, whether the IR holds a name (main) or a LossSpec (data branch). */
export function lossOf(task: Task): LossSpec | null {
  const loss = task.loss as unknown;
  if (loss === null || loss === undefined) return null;
  if (typeof loss === "string") return { kind: loss as LossSpec["kind"], ignoreIndex: null };
  return loss as LossSpec;
}
