// A slow, obviously correct interpreter of the IR at one width configuration, the yardstick for
// emitted ONNX. It cuts parameters by explicit index lists (rows for switchable ones, then the
// first k entries of every segment) and runs each op with plain loops (reference-ops.ts).
import type { Config, Graph, Node, Param, Task, ValueType, WeightMap } from "../../compiler/ir/types";
import { layoutLength, segmentLength } from "../../compiler/ir/width";
import * as R from "./reference-ops";
import type { Tensor } from "./reference-ops";

/** A parameter at a configuration. */
export function paramAt(graph: Graph, p: Param, data: Float32Array, config: Config): Tensor {
  const n = R.size(p.shape);
  let t = R.tensor(p.shape, data.subarray(0, n));
  if (p.perWidth !== null) {
    const g = graph.groups.find((x) => x.name === p.perWidth)!;
    const row = config[g.name] ?? g.choices.length - 1;
    t = R.tensor(p.shape, data.subarray(row * n, (row + 1) * n));
  }
  p.axes.forEach((segs, axis) => {
    if (!segs) return;
    const keep: number[] = [];
    let offset = 0;
    for (const s of segs) {
      const len = segmentLength(graph, s, config);
      for (let i = 0; i < len; i++) keep.push(offset + i);
      offset += s.max * s.scale;
    }
    t = R.gatherAxis(t, axis, keep);
  });
  return t;
}

const nums = (n: Node, name: string) => n.attrs[name] as number[];
const num = (n: Node, name: string) => n.attrs[name] as number;
const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** Target shape of a reshape at run time, from the output type (as the lowering promises). */
function reshapeTarget(graph: Graph, t: ValueType, x: Tensor, inType: ValueType, config: Config): number[] {
  const dims = t.shape.map((d, axis) => {
    if (axis === t.channelAxis) return layoutLength(graph, t.channels, config);
    if (typeof d === "number") return d;
    return x.shape[inType.shape.indexOf(d)] ?? -1;
  });
  const known = dims.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  return dims.map((d) => (d < 0 ? x.data.length / known : d));
}

function attention(n: Node, x: Tensor, p: (role: string) => Tensor): Tensor {
  const hd = num(n, "headDim");
  const [N, T] = x.shape;
  const qkv = R.linear(x, p("in_proj_weight"), p("in_proj_bias")); // [N, T, 3 * H * hd]
  const H = qkv.shape[2] / 3 / hd;
  const heads = R.transpose(R.tensor([N, T, 3, H, hd], qkv.data), [2, 0, 3, 1, 4]);
  const part = (i: number) => R.tensor([N, H, T, hd], heads.data.subarray(i * N * H * T * hd, (i + 1) * N * H * T * hd));
  const scores = R.map(R.matmul(part(0), R.transpose(part(1), [0, 1, 3, 2])), (v) => v / Math.sqrt(hd));
  const mixed = R.transpose(R.matmul(R.softmax(scores, 3), part(2)), [0, 2, 1, 3]);
  return R.linear(R.tensor([N, T, H * hd], mixed.data), p("out_proj.weight"), p("out_proj.bias"));
}

function evalNode(graph: Graph, n: Node, xs: Tensor[], p: (role: string) => Tensor, config: Config): Tensor {
  const x = xs[0];
  const type = (id: string) => graph.values.get(id)!.type;
  const win = (): R.Window => ({ kernel: nums(n, "kernel"), stride: nums(n, "stride"), pads: nums(n, "pads"), dilation: nums(n, "dilation") ?? [1, 1] });
  const has = (role: string) => n.params[role] !== undefined;
  switch (n.op) {
    case "conv":
      return R.conv2d(x, p("weight"), has("bias") ? p("bias") : null, win(), n.attrs.depthwise ? x.shape[1] : num(n, "groups"));
    case "batchnorm": {
      const [w, b, m, v] = ["weight", "bias", "running_mean", "running_var"].map(p);
      const C = x.shape[1];
      const inner = R.size(x.shape.slice(2));
      return R.tensor(x.shape, Array.from(x.data, (val, i) => {
        const c = Math.floor(i / inner) % C;
        return ((val - m.data[c]) / Math.sqrt(v.data[c] + num(n, "eps"))) * w.data[c] + b.data[c];
      }));
    }
    case "linear":
      return R.linear(x, p("weight"), has("bias") ? p("bias") : null);
    case "layernorm": {
      const D = x.shape[x.shape.length - 1];
      const mean = R.reduce(x, [x.shape.length - 1], (v) => v.reduce((s, y) => s + y, 0) / D);
      const centred = R.broadcast(x, mean, (a, m) => a - m);
      const variance = R.reduce(centred, [x.shape.length - 1], (v) => v.reduce((s, y) => s + y * y, 0) / D);
      const normed = R.broadcast(centred, variance, (a, v) => a / Math.sqrt(v + num(n, "eps")));
      return R.broadcast(R.broadcast(normed, p("weight"), (a, w) => a * w), p("bias"), (a, b) => a + b);
    }
    case "relu": return R.map(x, (v) => Math.max(v, 0));
    case "relu6": return R.map(x, (v) => Math.min(Math.max(v, 0), 6));
    case "gelu": return R.map(x, (v) => 0.5 * v * (1 + R.erf(v / Math.SQRT2)));
    case "sigmoid": return R.map(x, (v) => 1 / (1 + Math.exp(-v)));
    case "tanh": return R.map(x, Math.tanh);
    case "silu": return R.map(x, (v) => v / (1 + Math.exp(-v)));
    case "identity": return x;
    case "softmax": return R.softmax(x, axisOf(num(n, "axis"), x.shape.length));
    case "maxpool": return R.pool2d(x, { ...win(), dilation: [1, 1] }, "max");
    case "avgpool": return R.pool2d(x, { ...win(), dilation: [1, 1] }, "avg");
    case "globalavgpool": return R.reduce(x, [2, 3], (v) => v.reduce((s, y) => s + y, 0) / v.length);
    case "resize": {
      const [H, W] = x.shape.slice(2);
      const size = n.attrs.size as number[] | undefined;
      const scales = (n.attrs.scales as number[] | undefined) ?? [size![0] / H, size![1] / W];
      const [oh, ow] = size ?? [Math.floor(H * scales[0]), Math.floor(W * scales[1])];
      return R.resize2d(x, oh, ow, scales[0], scales[1], n.attrs.mode as "nearest" | "linear");
    }
    case "concat": return R.concat(xs, axisOf(num(n, "axis"), x.shape.length));
    case "add": return R.broadcast(x, xs[1], (a, b) => a + b);
    case "sub": return R.broadcast(x, xs[1], (a, b) => a - b);
    case "mul": return R.broadcast(x, xs[1], (a, b) => a * b);
    case "div": return R.broadcast(x, xs[1], (a, b) => a / b);
    case "reshape": return R.tensor(reshapeTarget(graph, type(n.outputs[0]), x, type(n.inputs[0]), config), x.data);
    case "flatten": {
      const a = axisOf(num(n, "axis"), x.shape.length);
      return R.tensor([R.size(x.shape.slice(0, a)), R.size(x.shape.slice(a))], x.data);
    }
    case "transpose": return R.transpose(x, nums(n, "perm"));
    case "select": {
      const a = axisOf(num(n, "axis"), x.shape.length);
      const picked = R.gatherAxis(x, a, [num(n, "index")]);
      return R.tensor(x.shape.filter((_, i) => i !== a), picked.data);
    }
    case "mean": {
      const axes = nums(n, "axes").map((a) => axisOf(a, x.shape.length));
      const kept = R.reduce(x, axes, (v) => v.reduce((s, y) => s + y, 0) / v.length);
      return n.attrs.keepdims ? kept : R.tensor(kept.shape.filter((_, i) => !axes.includes(i)), kept.data);
    }
    case "attention": return attention(n, x, p);
    case "embedding": {
      const w = p("weight");
      const D = w.shape[1];
      const out = R.tensor([...x.shape, D]);
      x.data.forEach((idx, i) => out.data.set(w.data.subarray(idx * D, (idx + 1) * D), i * D));
      return out;
    }
    case "param": return p(Object.keys(n.params)[0]);
    case "const": return R.tensor([], [num(n, "value")]);
  }
}

/** Decoded outputs of a task, keyed by the ONNX output names the lowering promises. */
function decode(task: Task, raw: Tensor): [string, Tensor][] {
  const d = task.decode;
  const rank = raw.shape.length;
  switch (d.kind) {
    case "identity": return [[task.name, raw]];
    case "softmax": return [[task.name, R.softmax(raw, axisOf(d.axis, rank))]];
    case "threshold": return [[task.name, R.map(raw, (v) => (1 / (1 + Math.exp(-v)) > d.value ? 1 : 0))]];
    case "l2norm": {
      const norm = R.reduce(raw, [axisOf(d.axis, rank)], (v) => Math.sqrt(v.reduce((s, y) => s + y * y, 0)));
      return [[task.name, R.broadcast(raw, norm, (a, l) => a / Math.max(l, 1e-12))]];
    }
    case "argmax":
    case "topk": {
      const a = axisOf(d.axis, rank);
      const k = d.kind === "topk" ? d.k : 1;
      const moved = R.transpose(raw, [...raw.shape.keys()].filter((i) => i !== a).concat(a)); // axis last
      const L = raw.shape[a];
      const rows = moved.data.length / L;
      const vals: number[] = [];
      const idxs: number[] = [];
      for (let r = 0; r < rows; r++) {
        const order = [...Array(L).keys()].sort((i, j) => moved.data[r * L + j] - moved.data[r * L + i] || i - j).slice(0, k);
        order.forEach((i) => (vals.push(moved.data[r * L + i]), idxs.push(i)));
      }
      const outer = moved.shape.slice(0, -1);
      if (d.kind === "argmax") return [[task.name, R.tensor(outer, idxs)]];
      const back = [...Array(rank - 1).keys()];
      back.splice(a, 0, rank - 1); // put the k axis back in place
      return [
        [`${task.name}.values`, R.transpose(R.tensor([...outer, k], vals), back)],
        [`${task.name}.indices`, R.transpose(R.tensor([...outer, k], idxs), back)],
      ];
    }
    default: return [[`${task.name}.logits`, raw]];
  }
}

/** Runs the graph at `config` on named inputs; returns the decoded outputs of `tasks` (default all). */
export function runReference(graph: Graph, weights: WeightMap, config: Config, inputs: Record<string, Tensor>, tasks?: readonly string[]): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const i of graph.inputs) env.set(i.value, inputs[i.name]);
  for (const n of graph.nodes) {
    const p = (role: string) => {
      const param = graph.params.get(n.params[role])!;
      return paramAt(graph, param, weights.get(param.name)!, config);
    };
    env.set(n.outputs[0], evalNode(graph, n, n.inputs.map((id) => env.get(id)!), p, config));
  }
  const out = new Map<string, Tensor>();
  for (const t of graph.tasks) if (!tasks || tasks.includes(t.name)) for (const [name, v] of decode(t, env.get(t.output)!)) out.set(name, v);
  return out;
}
