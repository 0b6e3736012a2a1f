// What a model's `train { ... }` section and its tasks' `loss` declarations mean, as plain data.
// The front end fills a TrainSpec (defaults for anything not written); the training-graph builder
// (compiler/train/), the training loop (runtime/train/) and the PyTorch export read it.

/** Losses a task may declare with `loss name` (or `loss name(arg: value)`). */
export const LOSS_KINDS = ["cross_entropy", "bce", "l1", "l2", "cosine"] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

export interface LossSpec {
  readonly kind: LossKind;
  /** cross_entropy only: targets equal to this index are ignored (per pixel for dense heads). */
  readonly ignoreIndex: number | null;
}

export type OptimizerSpec =
  | { readonly kind: "sgd"; readonly lr: number; readonly momentum: number; readonly nesterov: boolean; readonly weightDecay: number }
  | { readonly kind: "adamw"; readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number };

export type ScheduleSpec =
  | { readonly kind: "constant"; readonly warmupSteps: number }
  | { readonly kind: "cosine"; readonly warmupSteps: number; readonly minLr: number }
  | { readonly kind: "step"; readonly warmupSteps: number; readonly everySteps: number; readonly gamma: number };

export interface AugmentSpec {
  /** Random crop back to the input size after zero padding by this many pixels per side (0: off). */
  readonly cropPadding: number;
  readonly hflip: boolean;
}

export interface TrainSpec {
  readonly optimizer: OptimizerSpec;
  readonly schedule: ScheduleSpec;
  /** Exactly one of epochs / steps is set. */
  readonly epochs: number | null;
  readonly steps: number | null;
  readonly batchSize: number;
  /** Sandwich rule: the largest, the smallest and (configsPerStep - 2) random configurations per step. */
  readonly configsPerStep: number;
  /** Weight of in-place distillation of task outputs (largest configuration teaches; 0: off). */
  readonly distillOutputs: number;
  /** Weight of configuration-invariant distillation of the encoder features (0: off). */
  readonly distillFeatures: number;
  /** Per-task loss weights; tasks not named weigh 1. */
  readonly lossWeights: Readonly<Record<string, number>>;
  readonly augment: AugmentSpec;
  /** Gradient clipping by global norm (null: off). */
  readonly clipNorm: number | null;
  /** Batches used to calibrate BatchNorm statistics per configuration after training. */
  readonly calibrationBatches: number;
  readonly seed: number;
}
