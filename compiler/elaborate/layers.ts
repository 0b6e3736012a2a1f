// The primitive layers: their signatures (for checking calls, completion and hover docs) and how
// each adds nodes through the IR builder. Shape rules live in the builder, not here.
import type { GraphBuilder, LayerCtx } from "../ir/builder";
import type { Dim, InitKind } from "../ir/types";
import { type ParamType, type Val, bool, float, int, list, str } from "./values";

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly default?: Val; // absent: required
  readonly doc?: string;
}

/** Thrown by `apply` for an argument value out of range; the evaluator reports it at the argument. */
export class ArgError extends Error {
  constructor(readonly arg: string, message: string, readonly hint?: string) {
    super(message);
  }
}

export interface LayerCall {
  readonly b: GraphBuilder;
  readonly ctx: LayerCtx;
  readonly args: Readonly<Record<string, Val>>;
}

export interface LayerDef {
  readonly name: string;
  readonly doc: string;
  readonly params: readonly ParamSpec[];
  /** Whether the layer has parameters of its own (and so a name in the module path). */
  readonly hasParams: boolean;
  apply(call: LayerCall): string;
}

const tensor = (a: Readonly<Record<string, Val>>, name: string): string => (a[name] as { id: string }).id;
const num = (a: Readonly<Record<string, Val>>, name: string): number => (a[name] as { v: number }).v;
const flag = (a: Readonly<Record<string, Val>>, name: string): boolean => (a[name] as { v: boolean }).v;
const text = (a: Readonly<Record<string, Val>>, name: string): string => (a[name] as { v: string }).v;
const items = (v: Val): readonly Val[] => (v.k === "list" ? v.items : []);
const ints = (a: Readonly<Record<string, Val>>, name: string): number[] => items(a[name]).map((x) => (x as { v: number }).v);

/** An int or a list of two ints: `k: 3` or `k: [1, 7]`. */
function pair(a: Readonly<Record<string, Val>>, name: string): [number, number] {
  const v = a[name];
  if (v.k === "int") return [v.v, v.v];
  const xs = ints(a, name);
  if (xs.length !== 2) throw new ArgError(name, `\`${name}\` takes one number or a list of two, got ${xs.length}`);
  return [xs[0], xs[1]];
}

function positive(a: Readonly<Record<string, Val>>, name: string, min = 1): void {
  const v = a[name];
  const xs = v.k === "list" ? ints(a, name) : [(v as { v: number }).v];
  for (const x of xs) if (x < min) throw new ArgError(name, `\`${name}\` must be at least ${min}, got ${x}`);
}

/** Padding: -1 (the default) means "same" for stride 1: dilation * (k - 1) / 2 on each side. */
function pads(a: Readonly<Record<string, Val>>, k: [number, number], d: [number, number]): [number, number, number, number] {
  const v = a.pad;
  if (v.k === "int" && v.v === -1) {
    const ph = Math.floor((d[0] * (k[0] - 1)) / 2);
    const pw = Math.floor((d[1] * (k[1] - 1)) / 2);
    return [ph, pw, ph, pw];
  }
  const [ph, pw] = pair(a, "pad");
  if (ph < 0 || pw < 0) throw new ArgError("pad", "`pad` must be 0 or more (or -1 for \"same\")");
  return [ph, pw, ph, pw];
}

const X: ParamSpec = { name: "x", type: "tensor" };
const unary = (name: "relu" | "relu6" | "gelu" | "sigmoid" | "tanh" | "silu", doc: string): LayerDef => ({
  name, doc, hasParams: false, params: [X], apply: ({ b, ctx, args }) => b.unary(ctx, name, tensor(args, "x")),
});

const defs: LayerDef[] = [
  {
    name: "conv",
    doc: "2-D convolution over NCHW. `out` output channels (the full-width count), kernel `k`, `stride`, `pad` (-1: same), `dilation`, `groups` (= channels for depthwise), `bias`.",
    hasParams: true,
    params: [X, { name: "out", type: "int" }, { name: "k", type: "int|int[]" }, { name: "stride", type: "int|int[]", default: int(1) },
      { name: "pad", type: "int|int[]", default: int(-1) }, { name: "dilation", type: "int|int[]", default: int(1) },
      { name: "groups", type: "int", default: int(1) }, { name: "bias", type: "bool", default: bool(true) }],
    apply: ({ b, ctx, args }) => {
      positive(args, "out"); positive(args, "k"); positive(args, "stride"); positive(args, "dilation"); positive(args, "groups");
      const kernel = pair(args, "k");
      const dilation = pair(args, "dilation");
      return b.conv(ctx, tensor(args, "x"), {
        out: num(args, "out"), kernel, stride: pair(args, "stride"), pads: pads(args, kernel, dilation), dilation,
        groups: num(args, "groups"), bias: flag(args, "bias"),
      });
    },
  },
  {
    name: "linear",
    doc: "Fully connected layer over the last axis: `out` features (full width), optional `bias`.",
    hasParams: true,
    params: [X, { name: "out", type: "int" }, { name: "bias", type: "bool", default: bool(true) }],
    apply: ({ b, ctx, args }) => {
      positive(args, "out");
      return b.linear(ctx, tensor(args, "x"), { out: num(args, "out"), bias: flag(args, "bias") });
    },
  },
  {
    name: "bn",
    doc: "Batch normalisation over the channel axis. Switchable: one set of statistics per width choice.",
    hasParams: true,
    params: [X, { name: "eps", type: "float", default: float(1e-5) }],
    apply: ({ b, ctx, args }) => b.batchnorm(ctx, tensor(args, "x"), { eps: num(args, "eps") }),
  },
  {
    name: "layernorm",
    doc: "Layer normalisation over the last axis.",
    hasParams: true,
    params: [X, { name: "eps", type: "float", default: float(1e-5) }],
    apply: ({ b, ctx, args }) => b.layernorm(ctx, tensor(args, "x"), { eps: num(args, "eps") }),
  },
  unary("relu", "max(x, 0)."),
  unary("relu6", "min(max(x, 0), 6), as in MobileNetV2."),
  unary("gelu", "Gaussian error linear unit (exact, erf form)."),
  unary("sigmoid", "1 / (1 + exp(-x))."),
  unary("tanh", "Hyperbolic tangent."),
  unary("silu", "x * sigmoid(x) (swish)."),
  {
    name: "softmax",
    doc: "Softmax along `axis` (default: last).",
    hasParams: false,
    params: [X, { name: "axis", type: "int", default: int(-1) }],
    apply: ({ b, ctx, args }) => b.softmax(ctx, tensor(args, "x"), num(args, "axis")),
  },
  ...(["maxpool", "avgpool"] as const).map((op): LayerDef => ({
    name: op,
    doc: `${op === "maxpool" ? "Max" : "Average"} pooling over NCHW with kernel \`k\`, \`stride\` (default: k) and \`pad\`.`,
    hasParams: false,
    params: [X, { name: "k", type: "int|int[]" }, { name: "stride", type: "int|int[]", default: int(0) }, { name: "pad", type: "int|int[]", default: int(0) }],
    apply: ({ b, ctx, args }) => {
      positive(args, "k");
      const kernel = pair(args, "k");
      const stride = pair(args, "stride");
      const [ph, pw] = pair(args, "pad");
      return b.pool(ctx, op, tensor(args, "x"), { kernel, stride: stride[0] === 0 ? kernel : stride, pads: [ph, pw, ph, pw] });
    },
  })),
  {
    name: "gap",
    doc: "Global average pooling: [N, C, H, W] -> [N, C, 1, 1].",
    hasParams: false,
    params: [X],
    apply: ({ b, ctx, args }) => b.globalAvgPool(ctx, tensor(args, "x")),
  },
  {
    name: "upsample",
    doc: "Resize NCHW by an integer `scale` with `mode` \"nearest\" or \"linear\".",
    hasParams: false,
    params: [X, { name: "scale", type: "int", default: int(2) }, { name: "mode", type: "string", default: str("nearest") }],
    apply: ({ b, ctx, args }) => {
      positive(args, "scale");
      return b.resize(ctx, tensor(args, "x"), { scales: [num(args, "scale"), num(args, "scale")], mode: resizeMode(args) });
    },
  },
  {
    name: "resize",
    doc: "Resize NCHW to `size: [H, W]` with `mode` \"linear\" (default) or \"nearest\".",
    hasParams: false,
    params: [X, { name: "size", type: "int[]" }, { name: "mode", type: "string", default: str("linear") }],
    apply: ({ b, ctx, args }) => {
      const size = ints(args, "size");
      if (size.length !== 2) throw new ArgError("size", `\`size\` takes two numbers [H, W], got ${size.length}`);
      return b.resize(ctx, tensor(args, "x"), { size: [size[0], size[1]], mode: resizeMode(args) });
    },
  },
  {
    name: "concat",
    doc: "Concatenates a list of tensors along `axis` (default 1, channels).",
    hasParams: false,
    params: [{ name: "xs", type: "tensor[]" }, { name: "axis", type: "int", default: int(1) }],
    apply: ({ b, ctx, args }) => {
      const xs = items(args.xs).map((x) => (x as { id: string }).id);
      if (!xs.length) throw new ArgError("xs", "`concat` needs at least one tensor");
      return b.concat(ctx, xs, num(args, "axis"));
    },
  },
  ...(["add", "mul"] as const).map((op): LayerDef => ({
    name: op,
    doc: `Elementwise ${op === "add" ? "sum" : "product"} with broadcasting (same as \`${op === "add" ? "a + b" : "a * b"}\`).`,
    hasParams: false,
    params: [{ name: "a", type: "tensor" }, { name: "b", type: "tensor" }],
    apply: ({ b, ctx, args }) => b.binary(ctx, op, tensor(args, "a"), tensor(args, "b")),
  })),
  {
    name: "reshape",
    doc: "Reshape to `shape` (0 keeps that axis' size, -1 infers one axis).",
    hasParams: false,
    params: [X, { name: "shape", type: "int[]" }],
    apply: ({ b, ctx, args }) => {
      const x = tensor(args, "x");
      const from = b.type(x).shape;
      const shape = ints(args, "shape").map((d, i): Dim => {
        if (d !== 0) return d;
        if (i >= from.length) throw new ArgError("shape", `\`0\` at position ${i} keeps an axis the input (rank ${from.length}) does not have`);
        return from[i];
      });
      return b.reshape(ctx, x, shape);
    },
  },
  {
    name: "flatten",
    doc: "Flattens into 2-D: axes before `axis` (default 1) and the rest.",
    hasParams: false,
    params: [X, { name: "axis", type: "int", default: int(1) }],
    apply: ({ b, ctx, args }) => b.flatten(ctx, tensor(args, "x"), num(args, "axis")),
  },
  {
    name: "transpose",
    doc: "Permutes the axes by `perm`.",
    hasParams: false,
    params: [X, { name: "perm", type: "int[]" }],
    apply: ({ b, ctx, args }) => b.transpose(ctx, tensor(args, "x"), ints(args, "perm")),
  },
  {
    name: "select",
    doc: "Takes position `index` along `axis`, dropping that axis (e.g. the class token: `select(x, axis: 1, index: 0)`).",
    hasParams: false,
    params: [X, { name: "axis", type: "int" }, { name: "index", type: "int" }],
    apply: ({ b, ctx, args }) => b.select(ctx, tensor(args, "x"), num(args, "axis"), num(args, "index")),
  },
  {
    name: "mean",
    doc: "Mean over `axes`, keeping them as size 1 when `keepdims`.",
    hasParams: false,
    params: [X, { name: "axes", type: "int[]" }, { name: "keepdims", type: "bool", default: bool(false) }],
    apply: ({ b, ctx, args }) => b.mean(ctx, tensor(args, "x"), ints(args, "axes"), flag(args, "keepdims")),
  },
  {
    name: "attention",
    doc: "Multi-head self-attention over [N, T, D] (PyTorch nn.MultiheadAttention, batch first). Slims by number of heads.",
    hasParams: true,
    params: [X, { name: "heads", type: "int" }],
    apply: ({ b, ctx, args }) => {
      positive(args, "heads");
      return b.attention(ctx, tensor(args, "x"), { heads: num(args, "heads") });
    },
  },
  {
    name: "embedding",
    doc: "Looks up int64 token ids in a [vocab, dim] table.",
    hasParams: true,
    params: [{ name: "ids", type: "tensor" }, { name: "vocab", type: "int" }, { name: "dim", type: "int" }],
    apply: ({ b, ctx, args }) => {
      positive(args, "vocab"); positive(args, "dim");
      return b.embedding(ctx, tensor(args, "ids"), { vocab: num(args, "vocab"), dim: num(args, "dim") });
    },
  },
  {
    name: "param",
    doc: "A learned tensor of `shape` (e.g. a class token or positional embedding), initialised normal(0, `std`) or \"zeros\".",
    hasParams: true,
    params: [{ name: "shape", type: "int[]" }, { name: "init", type: "string", default: str("normal") }, { name: "std", type: "float", default: float(0.02) }],
    apply: ({ b, ctx, args }) => {
      const shape = ints(args, "shape");
      if (shape.some((d) => d < 1)) throw new ArgError("shape", "every dimension of a `param` must be at least 1");
      const init = text(args, "init");
      if (init !== "normal" && init !== "zeros") throw new ArgError("init", `unknown init "${init}"`, 'use "normal" or "zeros"');
      const kind: InitKind = init === "zeros" ? { kind: "const", value: 0 } : { kind: "normal", std: num(args, "std") };
      return b.param(ctx, shape, kind, shape.length >= 2 ? shape.length - 1 : null);
    },
  },
  {
    name: "dropout",
    doc: "Identity at inference (kept so that models read like their training code).",
    hasParams: false,
    params: [X, { name: "p", type: "float", default: float(0) }],
    apply: ({ b, ctx, args }) => b.unary(ctx, "identity", tensor(args, "x")),
  },
];

function resizeMode(args: Readonly<Record<string, Val>>): "nearest" | "linear" {
  const m = text(args, "mode");
  if (m !== "nearest" && m !== "linear") throw new ArgError("mode", `unknown resize mode "${m}"`, 'use "nearest" or "linear"');
  return m;
}

const aliases: Record<string, string> = { batchnorm: "bn", ln: "layernorm", global_avgpool: "gap" };

export const layers: ReadonlyMap<string, LayerDef> = new Map([
  ...defs.map((d) => [d.name, d] as const),
  ...Object.entries(aliases).map(([alias, name]) => [alias, defs.find((d) => d.name === name)!] as const),
]);

export const listOf = list;
