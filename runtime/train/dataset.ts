// What the loop reads from a data set (runtime/data/): batches of named inputs and per-task
// targets, deterministic for a (seed, epoch), one epoch at a time.
import type { Graph } from "../../compiler/ir/types";
import { modelDataSpec } from "../data/check";
import type { Dataset, Normalisation } from "../data/dataset";
import { valueRules, type ValueRules } from "../data/values";

export type { Batch as BatchLike, BatchOptions, Dataset as DatasetLike } from "../data/dataset";

/** Per input, the normalisation its declared preprocessing asks for (`as image(mean:, std:)`). */
export function normalisationOf(graph: Graph): Record<string, Normalisation> {
  return Object.fromEntries(
    Object.entries(graph.preprocess ?? {}).map(([name, p]) => [name, { mean: p.mean, std: p.std }]),
  );
}

/**
 * The values the model can use of each data set field it reads (class indices in range, finite
 * floats): the loader checks each batch against them. `tasks: []` checks the inputs only.
 */
export function valuesFor(graph: Graph, data: Pick<Dataset, "manifest">, tasks?: readonly string[]): ValueRules {
  return valueRules(data.manifest, modelDataSpec(graph), tasks);
}

export interface TensorData {
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  readonly dims: readonly number[];
}
