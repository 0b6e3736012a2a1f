// What the training loop needs to know about one configuration's training graph. The graph
// builder (compiler/train/graph.ts) produces it; this adapter keeps the loop independent of how
// the builder names things internally.
import type { Config } from "../../compiler/ir/types";

export interface BatchnormStats {
  /** Graph outputs holding the batch mean and the unbiased batch variance. */
  readonly mean: string;
  readonly variance: string;
  /** The running-statistics parameters (IR names) whose active-width row they update. */
  readonly runningMean: string;
  readonly runningVar: string;
  /** Values each sample gives each channel (the spatial size); null when not known statically. */
  readonly perSample: number | null;
}

export interface TrainingProgram {
  readonly bytes: Uint8Array;
  /** Trainable parameters fed as inputs, cut to the configuration (IR names); `grad.<name>` outputs. */
  readonly params: readonly string[];
  readonly batchnorms: readonly BatchnormStats[];
  /** Inputs the program takes (data inputs, `target.*`, `teacher.*`, parameters). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * How a configuration runs: `teacher` (the largest: label losses, emits raw outputs and features),
 * `student` (label losses plus distillation from teacher inputs), `calibrate` (forward only, batch
 * statistics out, no gradients).
 */
export type ProgramRole = "teacher" | "student" | "calibrate";

export type BuildProgram = (config: Config, role: ProgramRole) => TrainingProgram;
