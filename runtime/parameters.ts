// The parameters a compiled model holds, read from its initializers: the lowering names each one
// by its PyTorch name, its own constants `const.i64...` / `const.f32...`. A switchable (per-width)
// tensor is stored [K, ...shape] and read through `Gather(initializer, width.<group>)`, or through
// `Gather(initializer, row.<g1>*<g2>)` when the widths of several groups key its rows.
// BatchNorm's running statistics are state, not parameters: listed, but not counted, the way
// PyTorch's parameters() leaves out buffers and the cost table's parameter count does.
import type { OnnxGraph, OnnxNode } from "../compiler/onnx/model";

const CONSTANT = /^const\.(i64|f32)s?\./;
const STATISTIC = /\.(running_mean|running_var|num_batches_tracked)$/;

/** True for BatchNorm state (running mean/variance, batch counter): a buffer, not a parameter. */
export const isStatistic = (name: string): boolean => STATISTIC.test(name);

export interface ParameterEntry {
  readonly name: string;
  /** The shape of one width's tensor (per-width tensors: one row). */
  readonly shape: readonly number[];
  readonly count: number;
  /** The groups whose widths pick the row, for per-width (switchable) tensors. */
  readonly perWidthOf?: readonly string[];
  readonly statistic: boolean;
}

function allNodes(g: OnnxGraph): OnnxNode[] {
  return g.nodes.flatMap((n) => [n, ...n.attributes.flatMap((a) => (a.kind === "graph" ? allNodes(a.value) : []))]);
}

/** Initializers read per width: name -> the groups whose widths pick the row. */
export function perWidthInitializers(g: OnnxGraph): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const n of allNodes(g)) {
    if (n.opType !== "Gather" || n.inputs.length !== 2) continue;
    const [table, index] = n.inputs;
    if (index.startsWith("width.")) found.set(table, [index.slice("width.".length)]);
    else if (index.startsWith("row.")) found.set(table, index.slice("row.".length).split("*"));
  }
  return found;
}

/** Every parameter and BatchNorm statistic of the graph, in file order. */
export function parameterList(graph: OnnxGraph): ParameterEntry[] {
  const perWidth = perWidthInitializers(graph);
  return graph.initializers
    .filter((t) => !CONSTANT.test(t.name))
    .map((t) => {
      const group = perWidth.get(t.name);
      const shape = group === undefined ? [...t.dims] : t.dims.slice(1);
      const count = shape.reduce((a, b) => a * b, 1);
      return {
        name: t.name,
        shape,
        count,
        ...(group !== undefined ? { perWidthOf: group } : {}),
        statistic: isStatistic(t.name),
      };
    });
}
