// `mtl eval`'s engine: for each configuration, calibrate BatchNorm on the training split for that
// configuration alone (runtime/train/calibrate.ts with `configs: [config]`, so every row it uses
// holds that configuration's statistics), cut the model to it, run the evaluation split and score
// each task's metrics (metrics.ts). Configurations run side by side on worker threads (one each) when
// there are several, else one after another.
import { costAt } from "../../compiler/cost/table";
import type { CostTable } from "../../compiler/cost/types";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { METRICS } from "../../compiler/train/spec";
import { calibrate, calibrationPlan, inOrder } from "../train/calibrate";
import type { BatchLike, DatasetLike } from "../train/dataset";
import type { SessionSettings } from "../train/sessions";
import type { Feeds, TrainState } from "../train/step";
import { runSplit, type OnWorker, type SplitRunOptions } from "../train/validate";
import type { Outputs } from "../train/worker-pool";
import { createMetric, taskMetrics, type MetricAccumulator } from "./metrics";

export interface EvalOptions {
  readonly split: string;
  /** Evaluate on the first `limit` samples of the split (default: all). */
  readonly limit?: number;
  readonly batchSize: number;
  /** Calibration batches per configuration (0: keep the file's running statistics). */
  readonly calibrationBatches: number;
  readonly calibrationBatchSize: number;
  readonly seed: number;
  readonly settings: SessionSettings;
  /** Runs a configuration instead of the eval-mode graph (runtime/train/validate.ts, runSplit); needs calibrationBatches 0. */
  readonly session?: SplitRunOptions["session"];
  readonly onConfig?: (done: number, total: number) => void;
}

export interface ConfigScores {
  /** Choice index per group. */
  readonly config: Config;
  /** Width multiplier per group. */
  readonly widths: Readonly<Record<string, number>>;
  readonly macs: number;
  readonly params: number;
  /** Task -> metric -> value (the task's declared metric first). */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface EvalResult {
  readonly split: string;
  /** Samples of the split scored per configuration. */
  readonly images: number;
  /** Calibration batches and samples really used per configuration (fewer than asked on a small split). */
  readonly calibrationBatches: number;
  readonly calibrationBatchSize: number;
  readonly calibrationSamples: number;
  /** Task -> its metrics, declared first, and whether lower is better for the first. */
  readonly tasks: Readonly<Record<string, { readonly metrics: readonly string[]; readonly lowerIsBetter: boolean }>>;
  readonly results: readonly ConfigScores[];
  readonly seconds: number;
}

/** Each task's metric accumulators for one configuration; the channel count comes from the first batch. */
function accumulators(graph: Graph, out: Outputs): Map<string, MetricAccumulator[]> {
  const m = new Map<string, MetricAccumulator[]>();
  for (const t of graph.tasks) {
    const o = out[t.name];
    if (!o) continue;
    const channels = o.dims.length === 3 ? o.dims[2] : (o.dims[1] ?? 1);
    const ignoreIndex = t.loss?.kind === "cross_entropy" ? t.loss.ignoreIndex : null;
    m.set(
      t.name,
      taskMetrics(t.metric, t.loss?.kind ?? null, channels).map((name) => createMetric(name, { ignoreIndex })),
    );
  }
  return m;
}

async function scoreConfig(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  data: DatasetLike,
  o: EvalOptions,
  on: OnWorker | undefined,
): Promise<{ metrics: Record<string, Record<string, number>>; images: number }> {
  let accs: Map<string, MetricAccumulator[]> | undefined;
  let images = 0;
  await runSplit(graph, weights, config, data, { ...o, on }, (batch, out) => {
    accs ??= accumulators(graph, out);
    images += batch.size;
    for (const [task, list] of accs) {
      const target = batch.targets[task];
      if (!target) continue;
      const scores = { data: out[task].data as Float32Array, dims: out[task].dims };
      for (const m of list) m.add(scores, target);
    }
  });
  const metrics: Record<string, Record<string, number>> = {};
  for (const [task, list] of accs ?? []) {
    if (list[0].count === 0) continue; // no targets for this task in the split
    metrics[task] = Object.fromEntries(list.map((m) => [m.name, m.value()]));
  }
  return { metrics, images };
}

export async function evaluate(
  state: TrainState,
  costs: CostTable,
  configs: readonly Config[],
  data: DatasetLike,
  feedsOf: (batch: BatchLike) => Feeds,
  o: EvalOptions,
): Promise<EvalResult> {
  const graph = state.graph;
  if (o.session && o.calibrationBatches > 0)
    throw new Error("internal: BatchNorm calibration changes the weights a given session does not use");
  // before any configuration runs: a split too small to calibrate on is refused, not found out late
  const plan =
    o.calibrationBatches > 0 ? calibrationPlan(data, o.calibrationBatches, o.calibrationBatchSize) : undefined;
  const t0 = performance.now();
  const results: ConfigScores[] = [];
  let images = 0;
  // With two or more worker threads the configurations run side by side, one per worker (calibration
  // and scoring on one intra-op thread each), their results kept in configuration order; else one
  // after another on the main thread. A given session (int8) runs on the main thread.
  const pool = configs.length > 1 && !o.session ? state.sessions.workers() : undefined;
  const lanes = pool && pool.size > 1 ? pool.size : 1;
  o.onConfig?.(0, configs.length);
  await inOrder(
    configs.length,
    lanes,
    async (i, lane) => {
      const config = configs[i];
      const on = pool && lanes > 1 ? { pool, index: lane } : undefined;
      const weights =
        o.calibrationBatches > 0
          ? await calibrate(state, data, feedsOf, {
              batches: o.calibrationBatches,
              batchSize: o.calibrationBatchSize,
              seed: o.seed,
              configs: [config],
              worker: on?.index,
            })
          : state.weights;
      return scoreConfig(graph, weights, config, data, o, on);
    },
    (i, scored) => {
      const config = configs[i];
      images = scored.images;
      const cost = costAt(costs, config);
      const widths = Object.fromEntries(costs.groups.map((g) => [g.name, g.choices[config[g.name]]]));
      results.push({ config, widths, macs: cost.macs, params: cost.params, metrics: scored.metrics });
      o.onConfig?.(i + 1, configs.length);
    },
  );
  const tasks: Record<string, { metrics: string[]; lowerIsBetter: boolean }> = {};
  for (const r of results.slice(0, 1))
    for (const [task, m] of Object.entries(r.metrics)) {
      const first = Object.keys(m)[0];
      tasks[task] = { metrics: Object.keys(m), lowerIsBetter: METRICS[first]?.higherIsBetter === false };
    }
  return {
    split: o.split,
    images,
    calibrationBatches: plan?.batches ?? 0,
    calibrationBatchSize: o.calibrationBatchSize,
    calibrationSamples: plan?.samples ?? 0,
    tasks,
    results,
    seconds: (performance.now() - t0) / 1000,
  };
}
