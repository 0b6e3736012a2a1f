// Sizes of values at a configuration, for the per-op cost rules. Costs are per sample: axis 0 is
// the batch; any other symbolic size counts as 1 (a model with a symbolic image size is costed per
// output position).
import type { Config, Dim, Graph, ValueType } from "../ir/types";
import { layoutLength } from "../ir/width";

const counted = (d: Dim): number => (typeof d === "number" ? d : 1);

/** Size of axis `i` of a value at a configuration (symbolic sizes count 1). */
export function sizeAt(graph: Graph, t: ValueType, i: number, config: Config): number {
  return i === t.channelAxis ? layoutLength(graph, t.channels, config) : counted(t.shape[i]);
}

/** Product of the sizes of axes [from, to) at a configuration. */
export function volume(graph: Graph, t: ValueType, from: number, to: number, config: Config): number {
  let v = 1;
  for (let i = from; i < to; i++) v *= sizeAt(graph, t, i, config);
  return v;
}

/** The type of a value the graph must hold. */
export function typeOf(graph: Graph, id: string): ValueType {
  const v = graph.values.get(id);
  if (!v) throw new Error(`internal: unknown value ${id}`);
  return v.type;
}
