// Fixes one width configuration: every segment becomes a fixed segment of its actual length,
// parameters and their weights are cut to size (switchable rows picked), attributes that count
// channels are updated and the width groups go away. Lowering the result gives a static model
// of that configuration, which onnxruntime can fold and fuse (see docs: "specialise on load").

import type { Config, Graph, Node, Param, Segment, TypedNode, Value, WeightMap } from "../ir/types";
import { switchRow, switchRows } from "../ir/switchable";
import { channelsAt, layoutLength, layoutMax, widthOf } from "../ir/width";
import { specOf } from "../ops";
import { gatherAxes, leadingOfEach } from "./gather";

function checkConfig(graph: Graph, config: Config): void {
  for (const [group, index] of Object.entries(config)) {
    const g = graph.groups.find((x) => x.name === group);
    if (!g) throw new Error(`specialise: unknown width group '${group}'`);
    if (!Number.isInteger(index) || index < 0 || index >= g.choices.length)
      throw new Error(`specialise: group '${group}' has no width choice ${index}`);
  }
}

const fixSegments = (graph: Graph, segs: readonly Segment[], config: Config): Segment[] =>
  segs.map((s) => ({
    max: channelsAt(s.max, widthOf(graph, s.group, config), s.divisor),
    group: null,
    scale: s.scale,
    divisor: 1,
  }));

function specialiseValue(graph: Graph, v: Value, config: Config): Value {
  const t = v.type;
  if (t.channelAxis === null) return v;
  const channels = fixSegments(graph, t.channels, config);
  const shape = t.shape.map((d, i) => (i === t.channelAxis ? layoutMax(channels) : d));
  return { id: v.id, type: { ...t, shape, channels } };
}

/** Attributes that count channels or heads follow the configuration (each op's spec says how). */
function specialiseNode(graph: Graph, n: Node, values: ReadonlyMap<string, Value>, config: Config): Node {
  return specOf(n.op).specialise(n as TypedNode<typeof n.op>, { graph, values, config });
}

function specialiseWeights(graph: Graph, p: Param, data: Float32Array | undefined, config: Config): Float32Array {
  const size = p.shape.reduce((a, b) => a * b, 1);
  const rows = switchRows(graph.groups, p);
  if (!data) throw new Error(`specialise: no weights for parameter '${p.name}'`);
  if (data.length !== rows * size)
    throw new Error(`specialise: '${p.name}' has ${data.length} weights, expected ${rows * size}`);
  const row = switchRow(graph.groups, p, config);
  const own = data.subarray(row * size, (row + 1) * size);
  const keep = p.axes.map((segs) =>
    segs === null
      ? null
      : leadingOfEach(
          segs.map((s) => s.max * s.scale),
          fixSegments(graph, segs, config).map((s) => s.max * s.scale),
        ),
  );
  return gatherAxes(own, p.shape, keep).data;
}

/** The graph part of `specialise`: every segment fixed, parameters cut in shape, no weights needed. */
export function specialiseGraph(graph: Graph, config: Config): Graph {
  checkConfig(graph, config);
  const values = new Map([...graph.values].map(([id, v]) => [id, specialiseValue(graph, v, config)]));
  const params = new Map<string, Param>();
  for (const [name, p] of graph.params) {
    const shape = p.shape.map((d, i) => (p.axes[i] ? layoutLength(graph, p.axes[i]!, config) : d));
    params.set(name, { ...p, shape, axes: shape.map(() => null), perWidth: null });
  }
  const nodes = graph.nodes.map((n) => specialiseNode(graph, n, values, config));
  return { ...graph, nodes, values, params, groups: [] };
}

export function specialise(graph: Graph, weights: WeightMap, config: Config): { graph: Graph; weights: WeightMap } {
  const fixed = specialiseGraph(graph, config);
  const cut = new Map<string, Float32Array>();
  for (const [name, p] of graph.params) cut.set(name, specialiseWeights(graph, p, weights.get(name), config));
  return { graph: fixed, weights: cut };
}
