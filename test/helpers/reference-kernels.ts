// One slow, obviously correct kernel per IR op kind, for the reference interpreter. Typed as a
// record over every OpKind, so an op without a kernel is a type error (and the op registry test
// checks the keys at run time too).
import type { Config, Graph, OpKind, TypedNode, ValueType } from "../../compiler/ir/types";
import { layoutLength } from "../../compiler/ir/width";
import * as R from "./reference-ops";
import type { Tensor } from "./reference-ops";

export interface KernelCtx {
  readonly graph: Graph;
  readonly config: Config;
  /** A parameter of the node by role, cut to the configuration. */
  param(role: string): Tensor;
  has(role: string): boolean;
}

export type Kernel<K extends OpKind> = (n: TypedNode<K>, xs: readonly Tensor[], c: KernelCtx) => Tensor;

const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);
const type = (graph: Graph, id: string) => graph.values.get(id)!.type;

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

/** [N, T, H * hd] -> [N, H, T, hd]. */
const headsOf = (x: Tensor, hd: number): Tensor => {
  const [N, T, F] = x.shape;
  return R.transpose(R.tensor([N, T, F / hd, hd], x.data), [0, 2, 1, 3]);
};

/** Softmax(q k^T / sqrt(hd)) v over [N, H, *, hd], merged to [N, Tq, H * hd]; causal hides later keys. */
function attend(q: Tensor, k: Tensor, v: Tensor, hd: number, causal: boolean): Tensor {
  const [N, H, Tq] = q.shape;
  const Tk = k.shape[2];
  const scores = R.map(R.matmul(q, R.transpose(k, [0, 1, 3, 2])), (x) => x / Math.sqrt(hd));
  if (causal)
    scores.data.forEach((_, i) => {
      const [tq, tk] = [Math.floor(i / Tk) % Tq, i % Tk];
      if (tk > tq + Tk - Tq) scores.data[i] = -Infinity;
    });
  const mixed = R.transpose(R.matmul(R.softmax(scores, 3), v), [0, 2, 1, 3]);
  return R.tensor([N, Tq, H * hd], mixed.data);
}

function attention(n: TypedNode<"attention">, x: Tensor, p: (role: string) => Tensor): Tensor {
  const hd = n.attrs.headDim;
  const [N, T] = x.shape;
  const qkv = R.linear(x, p("in_proj_weight"), p("in_proj_bias")); // [N, T, 3 * H * hd]
  const H = qkv.shape[2] / 3 / hd;
  const heads = R.transpose(R.tensor([N, T, 3, H, hd], qkv.data), [2, 0, 3, 1, 4]);
  const part = (i: number) =>
    R.tensor([N, H, T, hd], heads.data.subarray(i * N * H * T * hd, (i + 1) * N * H * T * hd));
  const mixed = attend(part(0), part(1), part(2), hd, n.attrs.causal === true);
  return R.linear(mixed, p("out_proj.weight"), p("out_proj.bias"));
}

/** Rows [i * F, (i + 1) * F) of the stacked q/k/v weight (or bias), F a third of them. */
function third(t: Tensor, i: number): Tensor {
  const rows = t.shape[0] / 3;
  const per = t.data.length / 3;
  return R.tensor([rows, ...t.shape.slice(1)], t.data.slice(i * per, (i + 1) * per));
}

function crossAttention(n: TypedNode<"cross_attention">, x: Tensor, m: Tensor, p: (role: string) => Tensor): Tensor {
  const hd = n.attrs.headDim;
  const [w, b] = [p("in_proj_weight"), p("in_proj_bias")];
  const q = headsOf(R.linear(x, third(w, 0), third(b, 0)), hd);
  const k = headsOf(R.linear(m, third(w, 1), third(b, 1)), hd);
  const v = headsOf(R.linear(m, third(w, 2), third(b, 2)), hd);
  return R.linear(attend(q, k, v, hd, false), p("out_proj.weight"), p("out_proj.bias"));
}

/** GroupNorm: statistics over each (sample, group of C / G channels, every position). */
function groupnorm(x: Tensor, groups: number, eps: number, w: Tensor, b: Tensor): Tensor {
  const [N, C] = x.shape;
  const inner = R.size(x.shape.slice(2));
  const span = (C / groups) * inner;
  const out = R.tensor(x.shape);
  for (let s = 0; s < N * groups; s++) {
    const from = s * span;
    let mean = 0;
    for (let i = 0; i < span; i++) mean += x.data[from + i];
    mean /= span;
    let variance = 0;
    for (let i = 0; i < span; i++) variance += (x.data[from + i] - mean) ** 2;
    variance /= span;
    for (let i = 0; i < span; i++) {
      const c = Math.floor((from + i) / inner) % C;
      out.data[from + i] = ((x.data[from + i] - mean) / Math.sqrt(variance + eps)) * w.data[c] + b.data[c];
    }
  }
  return out;
}

const pointwise =
  (f: (v: number) => number) =>
  (_n: unknown, [x]: readonly Tensor[]) =>
    R.map(x, f);
const arithmetic =
  (f: (a: number, b: number) => number) =>
  (_n: unknown, [a, b]: readonly Tensor[]) =>
    R.broadcast(a, b, f);
const window = (a: { kernel: readonly number[]; stride: readonly number[]; pads: readonly number[] }): R.Window => ({
  kernel: [...a.kernel],
  stride: [...a.stride],
  pads: [...a.pads],
  dilation: [1, 1],
});

export const KERNELS: { readonly [K in OpKind]: Kernel<K> } = {
  conv: (n, [x], c) => {
    const win = { ...window(n.attrs), dilation: [...n.attrs.dilation] };
    return R.conv2d(
      x,
      c.param("weight"),
      c.has("bias") ? c.param("bias") : null,
      win,
      n.attrs.depthwise ? x.shape[1] : n.attrs.groups,
    );
  },
  batchnorm: (n, [x], c) => {
    const [w, b, m, v] = ["weight", "bias", "running_mean", "running_var"].map(c.param);
    const C = x.shape[1];
    const inner = R.size(x.shape.slice(2));
    return R.tensor(
      x.shape,
      Array.from(x.data, (val, i) => {
        const ch = Math.floor(i / inner) % C;
        return ((val - m.data[ch]) / Math.sqrt(v.data[ch] + n.attrs.eps)) * w.data[ch] + b.data[ch];
      }),
    );
  },
  groupnorm: (n, [x], c) => groupnorm(x, n.attrs.groups, n.attrs.eps, c.param("weight"), c.param("bias")),
  linear: (_n, [x], c) => R.linear(x, c.param("weight"), c.has("bias") ? c.param("bias") : null),
  layernorm: (n, [x], c) => {
    const last = x.shape.length - 1;
    const D = x.shape[last];
    const mean = R.reduce(x, [last], (v) => v.reduce((s, y) => s + y, 0) / D);
    const centred = R.broadcast(x, mean, (a, m) => a - m);
    const variance = R.reduce(centred, [last], (v) => v.reduce((s, y) => s + y * y, 0) / D);
    const normed = R.broadcast(centred, variance, (a, v) => a / Math.sqrt(v + n.attrs.eps));
    return R.broadcast(
      R.broadcast(normed, c.param("weight"), (a, w) => a * w),
      c.param("bias"),
      (a, b) => a + b,
    );
  },
  relu: pointwise((v) => Math.max(v, 0)),
  relu6: pointwise((v) => Math.min(Math.max(v, 0), 6)),
  gelu: pointwise((v) => 0.5 * v * (1 + R.erf(v / Math.SQRT2))),
  sigmoid: pointwise((v) => 1 / (1 + Math.exp(-v))),
  tanh: pointwise(Math.tanh),
  silu: pointwise((v) => v / (1 + Math.exp(-v))),
  identity: (_n, [x]) => x,
  softmax: (n, [x]) => R.softmax(x, axisOf(n.attrs.axis, x.shape.length)),
  maxpool: (n, [x]) => R.pool2d(x, window(n.attrs), "max"),
  avgpool: (n, [x]) => R.pool2d(x, window(n.attrs), "avg"),
  globalavgpool: (_n, [x]) => R.reduce(x, [2, 3], (v) => v.reduce((s, y) => s + y, 0) / v.length),
  resize: (n, [x]) => {
    const [H, W] = x.shape.slice(2);
    const size = n.attrs.size;
    const scales = n.attrs.scales ?? [size![0] / H, size![1] / W];
    const [oh, ow] = size ?? [Math.floor(H * scales[0]), Math.floor(W * scales[1])];
    return R.resize2d(x, oh, ow, scales[0], scales[1], n.attrs.mode);
  },
  concat: (n, xs) => R.concat(xs, axisOf(n.attrs.axis, xs[0].shape.length)),
  add: arithmetic((a, b) => a + b),
  sub: arithmetic((a, b) => a - b),
  mul: arithmetic((a, b) => a * b),
  div: arithmetic((a, b) => a / b),
  reshape: (n, [x], c) =>
    R.tensor(reshapeTarget(c.graph, type(c.graph, n.outputs[0]), x, type(c.graph, n.inputs[0]), c.config), x.data),
  flatten: (n, [x]) => {
    const a = axisOf(n.attrs.axis, x.shape.length);
    return R.tensor([R.size(x.shape.slice(0, a)), R.size(x.shape.slice(a))], x.data);
  },
  transpose: (n, [x]) => R.transpose(x, n.attrs.perm),
  select: (n, [x]) => {
    const a = axisOf(n.attrs.axis, x.shape.length);
    const picked = R.gatherAxis(x, a, [n.attrs.index]);
    return R.tensor(
      x.shape.filter((_, i) => i !== a),
      picked.data,
    );
  },
  mean: (n, [x]) => {
    const axes = n.attrs.axes.map((a) => axisOf(a, x.shape.length));
    const kept = R.reduce(x, axes, (v) => v.reduce((s, y) => s + y, 0) / v.length);
    return n.attrs.keepdims
      ? kept
      : R.tensor(
          kept.shape.filter((_, i) => !axes.includes(i)),
          kept.data,
        );
  },
  attention: (n, [x], c) => attention(n, x, c.param),
  cross_attention: (n, [x, m], c) => crossAttention(n, x, m, c.param),
  embedding: (_n, [x], c) => {
    const w = c.param("weight");
    const D = w.shape[1];
    const out = R.tensor([...x.shape, D]);
    x.data.forEach((idx, i) => out.data.set(w.data.subarray(idx * D, (idx + 1) * D), i * D));
    return out;
  },
  param: (n, _xs, c) => c.param(Object.keys(n.params)[0]),
  const: (n) => R.tensor([], [n.attrs.value]),
};
