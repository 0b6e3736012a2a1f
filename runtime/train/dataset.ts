// What the loop reads from a data set (runtime/data/): batches of named inputs and per-task
// targets, deterministic for a (seed, epoch), one epoch at a time.
import type { Graph } from "../../compiler/ir/types";
import type { Normalisation } from "../data/dataset";

export type { Batch as BatchLike, BatchOptions, Dataset as DatasetLike } from "../data/dataset";

/** Per input, the normalisation its declared preprocessing asks for (`as image(mean:, std:)`). */
export function normalisationOf(graph: Graph): Record<string, Normalisation> {
  return Object.fromEntries(
    Object.entries(graph.preprocess ?? {}).map(([name, p]) => [name, { mean: p.mean, std: p.std }]),
  );
}

export interface TensorData {
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  readonly dims: readonly number[];
}
