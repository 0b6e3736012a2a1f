// What the loop reads from a data set (runtime/data/): batches of named inputs and per-task
// targets, deterministic for a (seed, epoch), one epoch at a time.
export type { Batch as BatchLike, BatchOptions, Dataset as DatasetLike } from "../data/dataset";

export interface TensorData {
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  readonly dims: readonly number[];
}
