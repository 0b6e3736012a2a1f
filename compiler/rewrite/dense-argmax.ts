// A cheaper dense argmax (issue 16 item 5, opt-in): a head that upsamples its logits (Resize) and
// then takes the argmax over classes spends most of its time at full resolution on every class. Taking
// the argmax at the logits' own resolution and resizing the integer class map (nearest) costs one
// channel instead of C, at full resolution. It is not exact: near class boundaries the argmax of
// bilinearly upsampled logits can differ from the nearest low-resolution pixel's class
// (docs/quantization.md gives the measured agreement). Works on a flat graph (runtime/quantize/flatten.ts).
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from "../onnx/model";

const attr = (n: OnnxNode, name: string): OnnxAttribute | undefined => n.attributes.find((a) => a.name === name);
const intAttr = (n: OnnxNode, name: string, fallback: number): number => {
  const a = attr(n, name);
  return a?.kind === "int" ? a.value : fallback;
};

/** Each ArgMax(axis 1) of one graph (not its subgraphs) with the Resize it reads, where nothing else reads that Resize. */
function resizeArgmaxPairs(g: OnnxGraph): { argmax: OnnxNode; resize: OnnxNode }[] {
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  return g.nodes.flatMap((argmax) => {
    if (argmax.opType !== "ArgMax" || intAttr(argmax, "axis", 0) !== 1 || intAttr(argmax, "select_last_index", 0) !== 0)
      return [];
    const resize = producer.get(argmax.inputs[0]);
    if (!resize || resize.opType !== "Resize" || readers.get(resize.outputs[0]) !== 1 || outputs.has(resize.outputs[0]))
      return [];
    return [{ argmax, resize }];
  });
}

/**
 * How many Resize -> ArgMax(axis 1) pairs a graph holds, its subgraphs (a gated head's `If` branches)
 * included: zero means the low-resolution argmax would change none of its configurations.
 */
export function denseArgmaxSites(g: OnnxGraph): number {
  let sites = resizeArgmaxPairs(g).length;
  for (const n of g.nodes) for (const a of n.attributes) if (a.kind === "graph") sites += denseArgmaxSites(a.value);
  return sites;
}

/** The model with every Resize -> ArgMax(axis 1) pair whose Resize feeds nothing else rewritten; and how many. */
export function lowResolutionArgmax(model: OnnxModel): { model: OnnxModel; rewritten: number } {
  const g = model.graph;
  const drop = new Set<OnnxNode>();
  const replace = new Map<OnnxNode, OnnxNode[]>();
  const initializers: OnnxTensor[] = [];
  for (const { argmax, resize } of resizeArgmaxPairs(g)) {
    const p = `${argmax.outputs[0]}/lowres`;
    const keep = intAttr(argmax, "keepdims", 1);
    const node = (opType: string, inputs: string[], out: string, attributes: OnnxAttribute[] = []): OnnxNode => ({
      opType,
      inputs,
      outputs: [out],
      name: `${out}/node`,
      domain: "",
      docString: argmax.docString,
      attributes,
    });
    const resizeAttrs: OnnxAttribute[] = [
      { name: "mode", kind: "string", value: "nearest" },
      { name: "coordinate_transformation_mode", kind: "string", value: "half_pixel" },
      { name: "nearest_mode", kind: "string", value: "round_prefer_floor" },
    ];
    const chain = [
      node("ArgMax", [resize.inputs[0]], `${p}.argmax`, [
        { name: "axis", kind: "int", value: 1 },
        { name: "keepdims", kind: "int", value: 1 },
      ]),
      node("Cast", [`${p}.argmax`], `${p}.float`, [{ name: "to", kind: "int", value: 1 }]),
      node("Resize", [`${p}.float`, ...resize.inputs.slice(1)], `${p}.resized`, resizeAttrs),
      node("Cast", [`${p}.resized`], keep ? argmax.outputs[0] : `${p}.int`, [{ name: "to", kind: "int", value: 7 }]),
    ];
    if (!keep) {
      initializers.push({ name: `${p}.axes`, dtype: "int64", dims: [1], data: BigInt64Array.from([1n]) });
      chain.push(node("Squeeze", [`${p}.int`, `${p}.axes`], argmax.outputs[0]));
    }
    drop.add(resize);
    replace.set(argmax, chain);
  }
  const nodes = g.nodes.flatMap((n) => (drop.has(n) ? [] : (replace.get(n) ?? [n])));
  return {
    model: { ...model, graph: { ...g, nodes, initializers: [...g.initializers, ...initializers] } },
    rewritten: replace.size,
  };
}
