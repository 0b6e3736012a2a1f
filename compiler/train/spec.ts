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
  | {
      readonly kind: "sgd";
      readonly lr: number;
      readonly momentum: number;
      readonly nesterov: boolean;
      readonly weightDecay: number;
    }
  | {
      readonly kind: "adamw";
      readonly lr: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      readonly weightDecay: number;
    };

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
  /**
   * Sandwich rule: the largest, the smallest and (configsPerStep - 2) random configurations per
   * step; 1 trains the largest only, 2 the largest and the smallest.
   */
  readonly configsPerStep: number;
  /** Weight of in-place distillation of task outputs (largest configuration teaches; 0: off). */
  readonly distillOutputs: number;
  /** Weight of configuration-invariant distillation of the encoder features (0: off). */
  readonly distillFeatures: number;
  /**
   * Weight of the label loss for the smaller configurations while output distillation is on
   * (0: they learn from the teacher alone, as in US-Nets). Without output distillation every
   * configuration learns from labels at weight 1.
   */
  readonly distillLabels: number;
  /**
   * Temperature T of output distillation for cross-entropy tasks (Hinton et al. 2015): the soft
   * cross-entropy between softmax(teacher / T) and log_softmax(student / T), times T^2 so that its
   * gradient keeps the scale of T = 1. 1 is plain in-place distillation (US-Nets); regression,
   * cosine and binary cross-entropy distillation ignore it.
   */
  readonly distillTemperature: number;
  /** Per-task loss weights; tasks not named weigh 1. */
  readonly lossWeights: Readonly<Record<string, number>>;
  readonly augment: AugmentSpec;
  /** Gradient clipping by global norm (null: off). */
  readonly clipNorm: number | null;
  /** Batches used to calibrate BatchNorm statistics per configuration after training. */
  readonly calibrationBatches: number;
  readonly seed: number;
}

/** What a model trains with when its `train { }` section (or the section itself) leaves a setting out. */
export const DEFAULT_TRAIN: TrainSpec = {
  optimizer: { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
  schedule: { kind: "cosine", warmupSteps: 0, minLr: 0 },
  epochs: 10,
  steps: null,
  batchSize: 128,
  configsPerStep: 4,
  distillOutputs: 1,
  distillFeatures: 0,
  distillLabels: 0,
  distillTemperature: 1,
  lossWeights: {},
  augment: { cropPadding: 0, hflip: false },
  clipNorm: null,
  calibrationBatches: 10,
  seed: 0,
};

/** Defaults of each optimiser's arguments (PyTorch's, except SGD's, which are the usual CNN recipe). */
export const DEFAULT_SGD = DEFAULT_TRAIN.optimizer;
export const DEFAULT_ADAMW: OptimizerSpec = {
  kind: "adamw",
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
};

/**
 * The shape of a task's output a metric reads: `classes` [N, C] (one label or value vector per
 * sample), `dense` [N, C, H, W] (per pixel), `sequence` [N, T, V] (per token).
 */
export type OutputKind = "classes" | "dense" | "sequence";

export interface MetricInfo {
  /** Losses the metric makes sense with; a task without a loss is checked by output kind only. */
  readonly losses: readonly LossKind[];
  readonly outputs: readonly OutputKind[];
  /** Higher is better (accuracy) or lower is better (rmse). */
  readonly higherIsBetter: boolean;
  /** Least number of output channels (top5 needs 5 classes, normals 3 components). */
  readonly minChannels: number;
  readonly summary: string;
}

/** Metrics a task may declare with `metric name`. */
export const METRICS: Readonly<Record<string, MetricInfo>> = {
  accuracy: {
    losses: ["cross_entropy"],
    outputs: ["classes", "dense", "sequence"],
    higherIsBetter: true,
    minChannels: 2,
    summary: "share of samples (pixels, tokens) whose argmax is the target",
  },
  top5: {
    losses: ["cross_entropy"],
    outputs: ["classes"],
    higherIsBetter: true,
    minChannels: 5,
    summary: "share of samples whose target is among the 5 highest scores",
  },
  miou: {
    losses: ["cross_entropy"],
    outputs: ["dense"],
    higherIsBetter: true,
    minChannels: 2,
    summary: "mean over classes of intersection over union of the argmax map",
  },
  rmse: {
    losses: ["l1", "l2"],
    outputs: ["classes", "dense"],
    higherIsBetter: false,
    minChannels: 1,
    summary: "root mean squared error",
  },
  abs_rel: {
    losses: ["l1", "l2"],
    outputs: ["classes", "dense"],
    higherIsBetter: false,
    minChannels: 1,
    summary: "mean of |prediction - target| / target (depth)",
  },
  l1: {
    losses: ["l1", "l2"],
    outputs: ["classes", "dense"],
    higherIsBetter: false,
    minChannels: 1,
    summary: "mean absolute error",
  },
  mean_angle: {
    losses: ["cosine", "l1", "l2"],
    outputs: ["dense"],
    higherIsBetter: false,
    minChannels: 3,
    summary: "mean angle in degrees between predicted and target normals",
  },
  within_11_25: {
    losses: ["cosine", "l1", "l2"],
    outputs: ["dense"],
    higherIsBetter: true,
    minChannels: 3,
    summary: "share of pixels whose normal is within 11.25 degrees",
  },
  map: {
    losses: ["bce"],
    outputs: ["classes", "dense"],
    higherIsBetter: true,
    minChannels: 1,
    summary: "mean average precision over labels",
  },
  max_f: {
    losses: ["bce"],
    outputs: ["dense"],
    higherIsBetter: true,
    minChannels: 1,
    summary: "maximal F-measure over thresholds (saliency)",
  },
  ods_f: {
    losses: ["bce"],
    outputs: ["dense"],
    higherIsBetter: true,
    minChannels: 1,
    summary: "F-measure at the optimal data-set-wide threshold (edges)",
  },
  cider: {
    losses: ["cross_entropy"],
    outputs: ["sequence"],
    higherIsBetter: true,
    minChannels: 2,
    summary: "CIDEr consensus score of generated captions",
  },
};
export type MetricKind = keyof typeof METRICS;

/** The output kind of a head's output shape, by rank (undefined: no metric reads it). */
export function outputKind(rank: number): OutputKind | undefined {
  if (rank === 2) return "classes";
  if (rank === 3) return "sequence";
  if (rank === 4) return "dense";
  return undefined;
}
