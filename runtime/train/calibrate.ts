// BatchNorm calibration (US-Nets' post-hoc statistics): with the weights frozen, run training-mode
// forward graphs (batch statistics, no gradients) and set every running-statistics row to the
// cumulative average of its batch statistics over N batches. A split shorter than N batches is used
// whole, its last partial batch weighed by its share of a full batch (so each sample counts the same).
//
// A statistics row is keyed by the widths of every group upstream of its layer (ir/switchable.ts), so
// each calibrated configuration sets exactly the rows it reads; which configurations run is
// compiler/train/calibration-configs.ts.
import { MtlError } from "../../compiler/errors";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { scatterAdd } from "../../compiler/train/cut";
import { normalisationOf, valuesFor, type BatchLike, type DatasetLike } from "./dataset";
import type { Feeds, TrainState } from "./step";
import type { Outputs } from "./worker-pool";
import { calibrationConfigs } from "../../compiler/train/calibration-configs";

export { calibrationConfigs } from "../../compiler/train/calibration-configs";

/** The batches and samples calibration really uses (per configuration). */
export interface CalibrationPlan {
  readonly batches: number;
  readonly samples: number;
}

/** "4 batches (200 <noun>)" when the split held fewer than the full batches asked for, else null. */
export function partialCalibration(p: CalibrationPlan, batchSize: number, noun: string): string | null {
  if (p.samples === p.batches * batchSize) return null;
  return `${p.batches} batch${p.batches === 1 ? "" : "es"} (${p.samples} ${noun})`;
}

/**
 * The first `batches × batchSize` training samples, or the whole split when smaller. A last batch of one
 * sample is left out (a one-sample unbiased variance divides by zero), and a batch size of 1 leaves nothing.
 * Throws MTL-TRAIN-042 when no batch remains.
 */
export function calibrationPlan(data: DatasetLike, batches: number, batchSize: number): CalibrationPlan {
  const total = data.samples("train");
  const n = Math.min(total, batches * batchSize);
  const rest = n % batchSize;
  const samples = batchSize < 2 ? 0 : n - (rest === 1 ? 1 : 0);
  const count = Math.floor(samples / batchSize) + (samples % batchSize > 0 ? 1 : 0);
  if (count === 0)
    throw new MtlError(
      "MTL-TRAIN-042",
      `BatchNorm calibration needs a batch of at least 2 training samples; the training split has ${total}` +
        (batchSize === 1 ? ", in batches of 1" : ""),
      "add training data or raise --batch-size (`batch` in train { }); " +
        "`mtl eval` and `mtl report` take --batches 0 to keep the model's stored statistics",
    );
  return { batches: count, samples };
}

/**
 * Returns new weights whose running statistics are recalibrated; other parameters are shared with
 * `state.weights` (not copied, not changed).
 */
export async function calibrate(
  state: TrainState,
  data: DatasetLike,
  feedsOf: (batch: BatchLike) => Feeds,
  o: {
    batches: number;
    batchSize: number;
    seed: number;
    configs?: readonly Config[];
    onConfig?: (i: number, n: number) => void;
    /** Run every configuration on this worker thread of `state.sessions` (a caller running several side by side). */
    worker?: number;
  },
): Promise<WeightMap> {
  const graph = state.graph;
  const configs = o.configs ?? calibrationConfigs(graph);
  const plan = calibrationPlan(data, o.batches, o.batchSize);
  const sums = new Map<string, Float32Array>();
  const counts = new Map<string, Float32Array>();
  /** One configuration's batch statistics over the plan's batches, with each batch's weight. */
  const statistics = async (config: Config, worker: number | undefined) => {
    const runs: { w: number; out: Outputs }[] = [];
    const batches = data.batches({
      split: "train",
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed,
      epoch: 0,
      dropLast: false,
      limit: plan.samples,
      normalize: normalisationOf(graph),
      values: valuesFor(graph, data, []), // the inputs: calibration reads no target
    });
    for await (const batch of batches) {
      // a full batch weighs 1 (as before: a plain mean), a partial one its share of samples
      const w = batch.size / o.batchSize;
      const feeds = feedsOf(batch);
      const out = await (worker === undefined
        ? state.run(config, "calibrate", feeds)
        : state.runOn(worker, config, "calibrate", feeds));
      // only the statistics are kept (a dense head's outputs would be large)
      const kept: Outputs = {};
      for (const bn of state.program(config, "calibrate").batchnorms)
        for (const name of [bn.mean, bn.variance]) kept[name] = out[name];
      runs.push({ w, out: kept });
    }
    return runs;
  };
  /** Adds a configuration's statistics to the sums: in configuration order, so the sums are the serial ones. */
  const add = (config: Config, runs: readonly { w: number; out: Outputs }[]) => {
    const maps = state.mapsFor(config);
    for (const { w, out } of runs)
      for (const bn of state.program(config, "calibrate").batchnorms) {
        for (const [param, output] of [
          [bn.runningMean, bn.mean],
          [bn.runningVar, bn.variance],
        ] as const) {
          const map = maps.get(param)!;
          const full = state.weights.get(param)!.length;
          if (!sums.has(param)) {
            sums.set(param, new Float32Array(full));
            counts.set(param, new Float32Array(full));
          }
          const stat = out[output].data as Float32Array;
          scatterAdd(sums.get(param)!, map, w === 1 ? stat : stat.map((x) => x * w));
          scatterAdd(counts.get(param)!, map, new Float32Array(map.index.length).fill(w));
        }
      }
  };
  // With two or more worker threads and configurations the configurations run side by side, one per
  // worker (one intra-op thread each: the same statistics as a one-thread run); else one after
  // another on the main thread, on every intra-op thread, or on the caller's `worker` (mtl eval, which
  // calibrates one configuration per worker itself).
  const pool = configs.length > 1 && o.worker === undefined ? state.sessions.workers() : undefined;
  const lanes = pool && pool.size > 1 ? pool.size : 1;
  await inOrder(
    configs.length,
    lanes,
    (c, lane) => {
      o.onConfig?.(c, configs.length);
      return statistics(configs[c], lanes > 1 ? lane : o.worker);
    },
    (c, runs) => add(configs[c], runs),
  );
  const weights = new Map(state.weights);
  for (const [param, sum] of sums) {
    const count = counts.get(param)!;
    const next = state.weights.get(param)!.slice();
    for (let i = 0; i < next.length; i++) if (count[i] > 0) next[i] = sum[i] / count[i];
    weights.set(param, next);
  }
  return weights;
}

/**
 * Runs jobs 0..count-1, at most `lanes` at once (each told its lane), starting them in order, and
 * hands each result to `consume` in job order. The first failure stops new jobs and is thrown.
 */
export async function inOrder<T>(
  count: number,
  lanes: number,
  run: (job: number, lane: number) => Promise<T>,
  consume: (job: number, result: T) => void,
): Promise<void> {
  const done = new Map<number, T>();
  let next = 0;
  let flushed = 0;
  let failed = false;
  const lane = async (l: number) => {
    while (next < count && !failed) {
      const job = next++;
      try {
        done.set(job, await run(job, l));
      } catch (e) {
        failed = true;
        throw e;
      }
      for (; done.has(flushed); flushed++) {
        consume(flushed, done.get(flushed)!);
        done.delete(flushed);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, (_, l) => lane(l)));
}
