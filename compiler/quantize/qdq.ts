// Static int8 quantisation of a flat ONNX graph (one configuration, widths folded, no `If`) in the
// QDQ format: QuantizeLinear/DequantizeLinear pairs around every Conv, Gemm and MatMul with a
// constant weight, which onnxruntime fuses into QLinearConv / QGemm / QLinearMatMul (integer
// kernels, VNNI on AVX-512 CPUs) when it builds the session. Weights are symmetric int8 (per output
// channel for Conv and Gemm, per tensor for MatMul), biases int32 at scale x_scale * w_scale,
// activations uint8 with a zero point from calibrated ranges. Browser-safe: no Node built-ins.
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from "../onnx/model";
import { activationParams, quantizeBias, quantizeWeight, type Range } from "./scales";

export type { Range };

/** A node the rewrite quantises: its data input, its weight and bias initializers, the tensor after it. */
interface Site {
  readonly node: OnnxNode;
  readonly x: string;
  readonly weight: OnnxTensor;
  readonly bias: OnnxTensor | null;
  /** Per-channel axis of the weight, or null for one scale (MatMul: onnxruntime's QLinearMatMul fuses that). */
  readonly axis: number | null;
}

const transB = (n: OnnxNode): number => {
  const a = n.attributes.find((x) => x.name === "transB");
  return a?.kind === "int" ? a.value : 0;
};

/** A Gemm computing x W (+ b): no transposed input, alpha and beta 1 (the QDQ fusion's pattern). */
const plainGemm = (n: OnnxNode): boolean =>
  n.attributes.every(
    (a) =>
      a.name === "transB" ||
      (a.name === "transA" && a.kind === "int" && a.value === 0) ||
      ((a.name === "alpha" || a.name === "beta") && a.kind === "float" && a.value === 1),
  );

/** Conv / Gemm / MatMul nodes of the top-level graph whose weight is a constant, in graph order. */
function sites(graph: OnnxGraph): Site[] {
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const out: Site[] = [];
  for (const node of graph.nodes) {
    if (node.domain !== "") continue;
    const [x, w, b] = node.inputs;
    const weight = inits.get(w ?? "");
    if (!x || inits.has(x) || !weight || weight.dtype !== "float") continue;
    const bias = b ? inits.get(b) : undefined;
    if (b && (!bias || bias.dtype !== "float" || bias.dims.length !== 1)) continue;
    if (node.opType === "Conv") out.push({ node, x, weight, bias: bias ?? null, axis: 0 });
    else if (node.opType === "Gemm" && weight.dims.length === 2) {
      if (!plainGemm(node)) continue;
      // Per-channel needs the output channels on one axis of the weight: axis 0 with transB, else 1.
      out.push({ node, x, weight, bias: bias ?? null, axis: transB(node) ? 0 : 1 });
    } else if (node.opType === "MatMul" && weight.dims.length === 2 && !b)
      out.push({ node, x, weight, bias: null, axis: null });
  }
  return out;
}

/**
 * The activation tensors whose ranges quantisation needs, in graph order: each site's data input,
 * and the tensor after it (its output, or the output of a Relu that is its only consumer, so that
 * onnxruntime can drop the Relu into the quantisation). Calibration records exactly these.
 */
export function activationTensors(graph: OnnxGraph): string[] {
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const seen = new Set<string>();
  const list: string[] = [];
  const add = (t: string) => {
    if (!seen.has(t)) list.push(t);
    seen.add(t);
  };
  for (const s of sites(graph)) {
    add(s.x);
    const y = s.node.outputs[0];
    const next = consumers.get(y) ?? [];
    const relu = next.length === 1 && next[0].opType === "Relu" && !outputs.has(y) ? next[0] : null;
    add(relu ? relu.outputs[0] : y);
  }
  return list;
}

/** The graph with `names` added as float outputs, for calibration runs. */
export function withActivationOutputs(model: OnnxModel, names: readonly string[]): OnnxModel {
  const have = new Set(model.graph.outputs.map((o) => o.name));
  const extra: OnnxValueInfo[] = names
    .filter((n) => !have.has(n))
    .map((name) => ({ name, dtype: "float", shape: null }));
  return { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } };
}

export interface QuantizeResult {
  readonly model: OnnxModel;
  /** Nodes quantised (Conv, Gemm, MatMul). */
  readonly nodes: number;
}

/** A tensor name that `ranges` lacks: the calibration does not match this graph. */
export class MissingRangeError extends Error {
  constructor(readonly tensor: string) {
    super(`no calibrated range for tensor ${tensor}`);
  }
}

/**
 * Inserts Q/DQ pairs on every activation of `activationTensors(graph)` (each consumer then reads
 * the dequantised copy; a graph output keeps its float value) and replaces each site's weight and
 * bias by integer initializers behind a DequantizeLinear.
 */
export function quantizeModel(model: OnnxModel, ranges: ReadonlyMap<string, Range>): QuantizeResult {
  const g = model.graph;
  const targets = activationTensors(g);
  const params = new Map<string, { scale: number; zero: number }>();
  for (const t of targets) {
    const r = ranges.get(t);
    if (!r) throw new MissingRangeError(t);
    params.set(t, activationParams(r));
  }
  const siteOf = new Map(sites(g).map((s) => [s.node, s]));
  const initializers: OnnxTensor[] = [];
  const replaced = new Set<string>();
  const dq = (t: string) => `${t}/mtlq.dq`;
  const scalar = (name: string, dtype: "float" | "uint8", v: number): OnnxTensor =>
    dtype === "float"
      ? { name, dtype, dims: [], data: Float32Array.from([v]) }
      : { name, dtype, dims: [], data: Uint8Array.from([v]) };
  const qdq = (t: string): OnnxNode[] => {
    const p = params.get(t)!;
    initializers.push(scalar(`${t}/mtlq.scale`, "float", p.scale), scalar(`${t}/mtlq.zero`, "uint8", p.zero));
    const io = [t, `${t}/mtlq.scale`, `${t}/mtlq.zero`];
    return [
      plain("QuantizeLinear", io, [`${t}/mtlq.q`], `${t}/mtlq.Q`),
      plain("DequantizeLinear", [`${t}/mtlq.q`, ...io.slice(1)], [dq(t)], `${t}/mtlq.DQ`),
    ];
  };
  const nodes: OnnxNode[] = [];
  for (const t of targets) if (g.inputs.some((i) => i.name === t)) nodes.push(...qdq(t));
  for (const node of g.nodes) {
    const site = siteOf.get(node);
    let inputs = node.inputs.map((i) => (params.has(i) ? dq(i) : i));
    if (site) {
      const xScale = params.get(site.x)!.scale;
      const w = quantizeWeight(site.weight, site.axis);
      const wName = `${site.weight.name}/mtlq`;
      initializers.push(
        { ...w.values, name: `${wName}.w` },
        { ...w.scales, name: `${wName}.wscale` },
        { ...w.zeros, name: `${wName}.wzero` },
      );
      const axis = site.axis === null ? [] : [{ name: "axis", kind: "int" as const, value: site.axis }];
      nodes.push({
        ...plain(
          "DequantizeLinear",
          [`${wName}.w`, `${wName}.wscale`, `${wName}.wzero`],
          [dq(site.weight.name)],
          `${wName}.DQ`,
        ),
        attributes: axis,
      });
      inputs = [inputs[0], dq(site.weight.name), ...inputs.slice(2)];
      replaced.add(site.weight.name);
      if (site.bias) {
        const b = quantizeBias(site.bias, xScale, w.scales.data as Float32Array);
        const bName = `${site.bias.name}/mtlq`;
        initializers.push(
          { ...b.values, name: `${bName}.b` },
          { ...b.scales, name: `${bName}.bscale` },
          { ...b.zeros, name: `${bName}.bzero` },
        );
        const bAxis = b.scales.dims.length ? [{ name: "axis", kind: "int" as const, value: 0 }] : [];
        nodes.push({
          ...plain(
            "DequantizeLinear",
            [`${bName}.b`, `${bName}.bscale`, `${bName}.bzero`],
            [dq(site.bias.name)],
            `${bName}.DQ`,
          ),
          attributes: bAxis,
        });
        inputs[2] = dq(site.bias.name);
        replaced.add(site.bias.name);
      }
    }
    nodes.push({ ...node, inputs });
    for (const o of node.outputs) if (params.has(o)) nodes.push(...qdq(o));
  }
  // A weight read by another node too (a tied weight) keeps its float copy for that reader.
  const stillRead = new Set(nodes.flatMap((n) => n.inputs));
  const kept = g.initializers.filter((t) => !replaced.has(t.name) || stillRead.has(t.name));
  return {
    model: { ...model, graph: { ...g, nodes, initializers: [...kept, ...initializers] } },
    nodes: siteOf.size,
  };
}

function plain(opType: string, inputs: string[], outputs: string[], name: string): OnnxNode {
  return { opType, inputs, outputs, name, domain: "", docString: "", attributes: [] };
}
