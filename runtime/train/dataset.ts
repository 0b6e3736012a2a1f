// What the loop reads from a data set (runtime/data/ builds it): batches of named inputs and
// per-task targets, deterministic for a (seed, epoch), one epoch at a time.
export interface TensorData {
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  readonly dims: readonly number[];
}

export interface BatchLike {
  readonly size: number;
  readonly inputs: Readonly<Record<string, TensorData>>;
  readonly targets: Readonly<Record<string, TensorData>>;
}

export interface BatchOptions {
  readonly split: string;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly epoch: number;
  readonly augment?: unknown;
  readonly dropLast: boolean;
  readonly limit?: number;
}

export interface DatasetLike {
  /** Samples in a split (throws a clear error for an unknown split). */
  samples(split: string): number;
  batches(o: BatchOptions): AsyncIterable<BatchLike>;
}
