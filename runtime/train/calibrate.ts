// BatchNorm calibration (US-Nets' post-hoc statistics): with the weights frozen, run training-mode
// forward graphs (batch statistics, no gradients) and set every running-statistics row to the
// cumulative average of its batch statistics over N batches.
//
// A statistics row is keyed by the widths of every group upstream of its layer (ir/switchable.ts), so
// each calibrated configuration sets exactly the rows it reads; which configurations run is
// compiler/train/calibration-configs.ts.
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { scatterAdd } from "../../compiler/train/cut";
import { normalisationOf, type BatchLike, type DatasetLike } from "./dataset";
import type { Feeds, TrainState } from "./step";
import { calibrationConfigs } from "../../compiler/train/calibration-configs";

export { calibrationConfigs } from "../../compiler/train/calibration-configs";

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
  },
): Promise<WeightMap> {
  const graph = state.graph;
  const configs = o.configs ?? calibrationConfigs(graph);
  const sums = new Map<string, Float32Array>();
  const counts = new Map<string, Float32Array>();
  for (let c = 0; c < configs.length; c++) {
    o.onConfig?.(c, configs.length);
    const config = configs[c];
    const maps = state.mapsFor(config);
    const limit = o.batches * o.batchSize;
    const batches = data.batches({
      split: "train",
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed,
      epoch: 0,
      dropLast: true,
      limit,
      normalize: normalisationOf(graph),
    });
    for await (const batch of batches) {
      const out = await state.run(config, "calibrate", feedsOf(batch));
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
          scatterAdd(sums.get(param)!, map, out[output].data as Float32Array);
          scatterAdd(counts.get(param)!, map, new Float32Array(map.index.length).fill(1));
        }
      }
    }
  }
  const weights = new Map(state.weights);
  for (const [param, sum] of sums) {
    const count = counts.get(param)!;
    const next = state.weights.get(param)!.slice();
    for (let i = 0; i < next.length; i++) if (count[i] > 0) next[i] = sum[i] / count[i];
    weights.set(param, next);
  }
  return weights;
}
