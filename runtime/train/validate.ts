// Validation at a configuration: the eval-mode model (running statistics) cut to the
// configuration, raw head outputs, each task's metric over a split. Accuracy is the argmax along
// the class axis (axis 1) against the target, ignoring the loss's ignore index; regression tasks
// report the root mean squared error.
import * as ort from "onnxruntime-node";
import type { Config, Graph, WeightMap } from "../../compiler/ir/types";
import { lowerToOnnx } from "../../compiler/lower/lower";
import { encodeModel } from "../../compiler/onnx/encode";
import { specialise } from "../../compiler/passes/specialise";
import { normalisationOf, valuesFor, type BatchLike, type DatasetLike, type TensorData } from "./dataset";
import { ortOptions, type SessionSettings } from "./sessions";
import type { Outputs, WorkerPool } from "./worker-pool";

export interface TaskScore {
  readonly metric: "accuracy" | "rmse";
  readonly value: number;
}

/** ONNX bytes of one configuration whose outputs are the heads' raw outputs, named by task. */
export function evalModelBytes(graph: Graph, weights: WeightMap, config: Config): Uint8Array {
  const s = specialise(graph, weights, config);
  const raw: Graph = { ...s.graph, tasks: s.graph.tasks.map((t) => ({ ...t, decode: { kind: "identity" } as const })) };
  return encodeModel(lowerToOnnx(raw, s.weights, { gateTasks: false }));
}

export function toOrt(t: TensorData): ort.Tensor {
  if (t.data instanceof Float32Array) return new ort.Tensor("float32", t.data, [...t.dims]);
  if (t.data instanceof BigInt64Array) return new ort.Tensor("int64", t.data, [...t.dims]);
  if (t.data instanceof Int32Array)
    return new ort.Tensor(
      "int64",
      BigInt64Array.from(t.data, (x) => BigInt(x)),
      [...t.dims],
    );
  return new ort.Tensor(
    "float32",
    Float32Array.from(t.data, (x) => x / 255),
    [...t.dims],
  );
}

const targetAt = (t: TensorData, i: number): number => Number(t.data[i]);

interface Tally {
  hits: number;
  count: number;
  sq: number;
}

function tallyClasses(out: ort.Tensor, target: TensorData, ignore: number | null, tally: Tally): void {
  const dims = out.dims;
  const n = dims[0];
  const c = dims[1];
  const inner = dims.slice(2).reduce((a, b) => a * b, 1);
  const x = out.data as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < inner; p++) {
      const t = targetAt(target, b * inner + p);
      if (ignore !== null && t === ignore) continue;
      let best = 0;
      for (let k = 1; k < c; k++) if (x[(b * c + k) * inner + p] > x[(b * c + best) * inner + p]) best = k;
      tally.hits += best === t ? 1 : 0;
      tally.count++;
    }
  }
}

function tallyRegression(out: ort.Tensor, target: TensorData, tally: Tally): void {
  const x = out.data as Float32Array;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - targetAt(target, i);
    tally.sq += d * d;
    tally.count++;
  }
}

export interface SplitRunOptions {
  readonly split: string;
  readonly batchSize: number;
  readonly settings: SessionSettings;
  /** The first `limit` samples of the split (default: all). */
  readonly limit?: number;
  /**
   * The session that runs a configuration, yielding the heads' raw outputs by task (default: the
   * eval-mode graph cut to it, from `graph` and `weights`); `mtl eval --precision int8` passes the
   * compiled file's int8 sessions (runtime/quantize/eval-session.ts).
   */
  readonly session?: (config: Config) => Promise<ort.InferenceSession>;
}

/** A worker thread of a pool to run on (instead of the main thread). */
export interface OnWorker {
  readonly pool: WorkerPool;
  readonly index: number;
}

let workerRuns = 0;

/** Runs one configuration's graph batch after batch: a session of its own, or on a worker thread. */
async function splitRunner(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  o: SplitRunOptions & { readonly on?: OnWorker },
): Promise<{ run(feeds: Record<string, ort.Tensor>): Promise<Outputs>; close(): Promise<void> }> {
  const on = o.on;
  if (on && !o.session) {
    // the graph holds its weights: sent with the first batch only, and released at the end
    const key = `eval:${workerRuns++}`;
    let bytes: Uint8Array | undefined = evalModelBytes(graph, weights, config);
    return {
      run(feeds) {
        const first = bytes;
        bytes = undefined;
        return on.pool.run(on.index, key, first, feeds);
      },
      close: () => on.pool.release(on.index, key),
    };
  }
  const session = o.session
    ? await o.session(config)
    : await ort.InferenceSession.create(evalModelBytes(graph, weights, config), ortOptions(o.settings));
  return { run: (feeds) => session.run(feeds), close: () => session.release() };
}

/**
 * Runs the eval-mode model cut to `config` over a split in order (no shuffling, last batch kept),
 * handing each batch and the heads' raw outputs to `visit`; one session (on the main thread, or on
 * worker `o.on`), released at the end. Shared by validation (below) and `mtl eval` (runtime/eval/evaluate.ts).
 */
export async function runSplit(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  data: DatasetLike,
  o: SplitRunOptions & { readonly on?: OnWorker },
  visit: (batch: BatchLike, out: Outputs) => void,
): Promise<void> {
  const runner = await splitRunner(graph, weights, config, o);
  try {
    const batches = data.batches({
      split: o.split,
      batchSize: o.batchSize,
      shuffle: false,
      seed: 0,
      epoch: 0,
      dropLast: false,
      limit: o.limit,
      normalize: normalisationOf(graph),
      values: valuesFor(graph, data),
    });
    for await (const batch of batches) {
      const feeds = Object.fromEntries(graph.inputs.map((i) => [i.name, toOrt(batch.inputs[i.name])]));
      visit(batch, await runner.run(feeds));
    }
  } finally {
    await runner.close();
  }
}

/** Each task's score at one configuration over (up to `limit` samples of) a split. */
export async function validate(
  graph: Graph,
  weights: WeightMap,
  config: Config,
  data: DatasetLike,
  o: SplitRunOptions,
  on?: OnWorker,
): Promise<Record<string, TaskScore>> {
  const tallies = new Map(graph.tasks.map((t) => [t.name, { hits: 0, count: 0, sq: 0 }]));
  await runSplit(graph, weights, config, data, { ...o, on }, (batch, out) => {
    for (const t of graph.tasks) {
      const target = batch.targets[t.name];
      if (!target) continue;
      if (t.loss?.kind === "cross_entropy") tallyClasses(out[t.name], target, t.loss.ignoreIndex, tallies.get(t.name)!);
      else tallyRegression(out[t.name], target, tallies.get(t.name)!);
    }
  });
  const scores: Record<string, TaskScore> = {};
  for (const t of graph.tasks) {
    const x = tallies.get(t.name)!;
    if (x.count === 0) continue;
    scores[t.name] =
      t.loss?.kind === "cross_entropy"
        ? { metric: "accuracy", value: x.hits / x.count }
        : { metric: "rmse", value: Math.sqrt(x.sq / x.count) };
  }
  return scores;
}
