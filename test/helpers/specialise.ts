// Cuts a graph and its weights down to one configuration (every segment fixed, no groups), the
// input a static single-config model is lowered from. A test stand-in for the real pass.
import type { Config, Graph, Param, Segment, Value, WeightMap } from "../../compiler/ir/types";
import { layoutLength, segmentLength } from "../../compiler/ir/width";
import { paramAt } from "./reference-interpreter";

export function specialise(graph: Graph, weights: WeightMap, config: Config): { graph: Graph; weights: WeightMap } {
  const fix = (segs: readonly Segment[]): Segment[] =>
    segs.map((s) => ({ max: segmentLength(graph, s, config) / s.scale, group: null, scale: s.scale, divisor: 1 }));
  const values = new Map<string, Value>();
  for (const [id, v] of graph.values) {
    const t = v.type;
    if (t.channelAxis === null) {
      values.set(id, v);
      continue;
    }
    const shape = t.shape.map((d, i) => (i === t.channelAxis ? layoutLength(graph, t.channels, config) : d));
    values.set(id, { id, type: { ...t, shape, channels: fix(t.channels) } });
  }
  const params = new Map<string, Param>();
  const cut = new Map<string, Float32Array>();
  for (const p of graph.params.values()) {
    const t = paramAt(graph, p, weights.get(p.name)!, config);
    params.set(p.name, { ...p, shape: t.shape, axes: t.shape.map(() => null), perWidth: null });
    cut.set(p.name, t.data);
  }
  return { graph: { ...graph, values, params, groups: [] }, weights: cut };
}
