// The training loop: epochs of sandwich-rule steps over a data set, a validation pass per epoch at
// the largest and smallest configurations, a checkpoint per epoch and when `stop` asks (atomic; a
// resumed run continues bit for bit, mid-epoch too), BatchNorm calibration at the end. Same seed,
// same machine, one thread: the same weights, bit for bit (every random choice comes from seeded
// generators, every sum runs in a fixed order).
import { join } from "node:path";
import { MtlError } from "../../compiler/errors";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import type { TrainSpec } from "../../compiler/train/spec";
import { paramRoles } from "../../compiler/train/roles";
import { calibrate, calibrationPlan } from "./calibrate";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { normalisationOf, valuesFor, type BatchLike, type DatasetLike } from "./dataset";
import { makeOptimizer } from "./optim";
import type { BuildProgram } from "./program";
import { RunningLoss, type Progress } from "./progress";
import { StepRng } from "./rng";
import { largestConfig, sandwich, smallestConfig } from "./sandwich";
import { learningRate } from "./schedule";
import type { SessionSettings, TrainingSessions } from "./sessions";
import { sandwichStep, TrainState, type Feeds } from "./step";
import { toOrt, validate, type TaskScore } from "./validate";

export const CHECKPOINT_FILE = "checkpoint.safetensors";

export interface TrainOptions {
  readonly graph: Graph;
  readonly spec: TrainSpec;
  /** Starting weights (seeded init or --weights); ignored on resume. */
  readonly weights: WeightMap;
  readonly data: DatasetLike;
  readonly build: BuildProgram;
  readonly sessions: TrainingSessions;
  readonly settings: SessionSettings;
  readonly runDir: string;
  readonly resume: boolean;
  readonly progress: Progress;
  /** Split used for the per-epoch validation pass (absent from the data set: skipped). */
  readonly valSplit?: string;
  /** Skip the end-of-run calibration (tests of the loop itself). */
  readonly calibrate?: boolean;
  /** Stop after this many epochs as if interrupted (no calibration): how resume is tested. */
  readonly stopAfterEpochs?: number;
  /**
   * Asked before each step (the current one always completes): true stops the run there, writes a
   * checkpoint of the last completed step (weights, optimiser state, sampler RNG; the step fixes the
   * data position) that `resume` continues bit for bit, and returns with `interrupted` set.
   */
  readonly stop?: () => boolean;
}

export interface EpochReport {
  readonly epoch: number;
  readonly step: number;
  readonly largest: Record<string, TaskScore>;
  readonly smallest: Record<string, TaskScore>;
}

export interface TrainResult {
  /** The trained weights (running statistics as training left them). */
  readonly weights: Map<string, Float32Array>;
  /** The same with calibrated BatchNorm statistics (equal to `weights` when calibration is off). */
  readonly calibrated: WeightMap;
  readonly steps: number;
  readonly epochs: readonly EpochReport[];
  /** Mean total loss of each epoch's steps. */
  readonly epochLoss: readonly number[];
  /** `stop` ended the run early (no calibration); `saved`: a checkpoint of `steps` is in the run folder. */
  readonly interrupted?: { readonly saved: boolean; readonly total: number };
}

/** A batch as graph feeds: inputs by name, targets as `target.<task>`. */
export function feedsOf(graph: Graph, batch: BatchLike): Feeds {
  const feeds: Record<string, ReturnType<typeof toOrt>> = {};
  for (const i of graph.inputs) feeds[i.name] = toOrt(batch.inputs[i.name]);
  for (const t of graph.tasks) if (batch.targets[t.name]) feeds[`target.${t.name}`] = toOrt(batch.targets[t.name]);
  return feeds;
}

const fmtScores = (s: Record<string, TaskScore>) =>
  Object.entries(s)
    .map(([task, x]) =>
      x.metric === "accuracy" ? `${task} ${(x.value * 100).toFixed(2)}%` : `${task} rmse ${x.value.toFixed(4)}`,
    )
    .join(", ");

export async function train(o: TrainOptions): Promise<TrainResult> {
  const { graph, spec, data } = o;
  const perEpoch = Math.floor(data.samples("train") / spec.batchSize);
  if (perEpoch === 0) {
    throw new MtlError(
      "MTL-TRAIN-004",
      `the training split has ${data.samples("train")} samples, fewer than one batch of ${spec.batchSize}`,
      "lower batch in train { } or add data",
    );
  }
  const calibrating = o.calibrate !== false && spec.calibrationBatches > 0;
  // checked now, not after the training it would end
  const plan = calibrating ? calibrationPlan(data, spec.calibrationBatches, spec.batchSize) : undefined;
  const total = spec.steps ?? (spec.epochs ?? 1) * perEpoch;
  const epochs = Math.ceil(total / perEpoch);
  const roles = paramRoles(graph);
  const trainable = new Set([...roles].filter(([, r]) => r.trainable).map(([k]) => k));
  const decay = new Set([...roles].filter(([, r]) => r.decay).map(([k]) => k));
  const weights = new Map<string, Float32Array>([...o.weights].map(([k, v]) => [k, v.slice()]));
  const optimizer = makeOptimizer(spec.optimizer);
  const rng = new StepRng((spec.seed ^ 0x5eed) >>> 0);
  const path = join(o.runDir, CHECKPOINT_FILE);
  let step = 0;
  let stopped = false;
  if (o.resume) {
    const c = loadCheckpoint(path, graph);
    // refused before anything is trained or written: the run folder stays as it was
    if (c.step > total)
      throw new MtlError(
        "MTL-TRAIN-012",
        `cannot resume: the checkpoint in ${o.runDir} is already at step ${c.step}, past the ${total} steps asked for`,
        `pass --steps ${c.step + 1} or more (or --epochs) to train on, or start a new run without --resume`,
      );
    // the seed shuffles the data and seeded the checkpoint's RNG state: another one would mix two runs
    if (c.seed !== undefined && c.seed !== spec.seed)
      throw new MtlError(
        "MTL-TRAIN-013",
        `cannot resume: the checkpoint in ${o.runDir} was trained with seed ${c.seed}, this run asks for seed ${spec.seed}`,
        `resume with --seed ${c.seed} (or without --seed if train { } declares it), or start a new run without --resume`,
      );
    for (const [k, v] of c.weights) weights.set(k, v);
    if (c.optimizer.kind !== spec.optimizer.kind)
      throw new MtlError(
        "MTL-TRAIN-011",
        `cannot resume: the checkpoint used ${c.optimizer.kind}, the model now declares ${spec.optimizer.kind}`,
      );
    optimizer.load(c.optimizer.tensors, c.optimizer.steps);
    rng.state = c.rngState;
    step = c.step;
    o.progress.line(`resuming at step ${step} of ${total} from ${path}`);
  }
  const startStep = step;
  const state = new TrainState(graph, weights, trainable, decay, o.build, o.sessions);
  const reports: EpochReport[] = [];
  const epochLoss: number[] = [];
  const checkpoint = (epoch: number) => {
    saveCheckpoint(path, graph, {
      step,
      epoch,
      rngState: rng.state,
      weights,
      optimizer: { kind: optimizer.kind, ...optimizer.state() },
      sourceHash: graph.sourceHash,
      seed: spec.seed,
    });
  };
  const normalize = normalisationOf(graph);
  const values = valuesFor(graph, data); // each batch's class indices in range, floats finite
  const hasVal = o.valSplit !== undefined && hasSplit(data, o.valSplit);
  for (let epoch = Math.floor(step / perEpoch); epoch < epochs && step < total; epoch++) {
    const skip = step - epoch * perEpoch; // a resumed run continues inside the epoch it stopped in
    const running = new RunningLoss();
    const t0 = performance.now();
    let done = 0;
    let sum = 0;
    const batches = data.batches({
      split: "train",
      batchSize: spec.batchSize,
      shuffle: true,
      seed: spec.seed,
      epoch,
      augment: spec.augment,
      dropLast: true,
      normalize,
      values,
      skip, // not read at all
    });
    for await (const batch of batches) {
      if (step >= total) break;
      if (o.stop?.()) {
        stopped = true;
        break;
      }
      const configs = sandwich(graph, spec.configsPerStep, rng);
      const lr = learningRate(spec.schedule, spec.optimizer.lr, step, total);
      const losses = await sandwichStep(state, configs, feedsOf(graph, batch), optimizer, lr, step, spec.clipNorm);
      step++;
      done++;
      sum += losses.total;
      const largest = losses.perConfig[0];
      running.add(Object.fromEntries(graph.tasks.map((t) => [t.name, largest[`loss.${t.name}`] ?? largest.loss])));
      const seconds = (performance.now() - t0) / 1000;
      o.progress.update({ step, total, epoch, stepsPerSecond: done / Math.max(seconds, 1e-9), losses: running.get() });
    }
    if (stopped) {
      // mid-epoch: the checkpoint of the last completed step, unless this run took none (a request
      // after the epoch's last step is taken before the next step, or after the loop: the epoch's
      // validation and checkpoint come first)
      const saved = step > startStep;
      if (saved) checkpoint(epoch);
      return { weights, calibrated: weights, steps: step, epochs: reports, epochLoss, interrupted: { saved, total } };
    }
    epochLoss.push(sum / Math.max(1, done));
    const took = `${done} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    if (hasVal) {
      const opts = { split: o.valSplit!, batchSize: spec.batchSize, settings: o.settings };
      // side by side on two worker threads when there are (one intra-op thread each)
      const pool = state.sessions.workers();
      const sideBySide = pool !== undefined && pool.size > 1;
      const score = (config: Config, index: number) =>
        validate(graph, weights, config, data, opts, sideBySide ? { pool, index } : undefined);
      const [largest, smallest] = sideBySide
        ? await Promise.all([score(largestConfig(graph), 0), score(smallestConfig(graph), 1)])
        : [await score(largestConfig(graph), 0), await score(smallestConfig(graph), 1)];
      reports.push({ epoch, step, largest, smallest });
      o.progress.line(
        `epoch ${epoch + 1}: ${o.valSplit} largest: ${fmtScores(largest)}; smallest: ${fmtScores(smallest)} (${took})`,
      );
    }
    checkpoint(epoch + 1);
    if (o.stopAfterEpochs !== undefined && epoch + 1 >= o.stopAfterEpochs && step < total) {
      return { weights, calibrated: weights, steps: step, epochs: reports, epochLoss };
    }
  }
  if (o.stop?.()) {
    // asked during the last validation: the checkpoint of the last step is written; resuming calibrates
    return {
      weights,
      calibrated: weights,
      steps: step,
      epochs: reports,
      epochLoss,
      interrupted: { saved: step > startStep, total },
    };
  }
  let calibrated: WeightMap = weights;
  if (plan) {
    o.progress.line(
      `calibrating BatchNorm statistics over ${plan.batches} batches (${plan.samples} samples) per configuration`,
    );
    calibrated = await calibrate(state, data, (b) => feedsOf(graph, b), {
      batches: spec.calibrationBatches,
      batchSize: spec.batchSize,
      seed: spec.seed,
    });
  }
  return { weights, calibrated, steps: step, epochs: reports, epochLoss };
}

function hasSplit(data: DatasetLike, split: string): boolean {
  try {
    return data.samples(split) > 0;
  } catch {
    return false;
  }
}
