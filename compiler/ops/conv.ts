// conv: 2-D convolution over NCHW, depthwise included.
import { typeOf, sizeAt, volume } from "../cost/measure";
import { conv, type ConvOptions } from "../ir/ops-spatial";
import { lowerConv } from "../lower/ops-conv";
import { ArgError, expectAtLeast, flagArg, numArg, pairArg, tensorArg, X, type LayerDef } from "./layer-def";
import { int, bool } from "../elaborate/values";
import type { OpSpec } from "./spec";
import { windowWords } from "./window";
import { torchConv } from "../export/torch/ops";
import { gradConv } from "../train/grad/conv";

/** Padding: -1 (the default) means "same" for stride 1: dilation * (k - 1) / 2 on each side. */
function pads(
  a: Parameters<LayerDef["apply"]>[0]["args"],
  k: [number, number],
  d: [number, number],
): [number, number, number, number] {
  const v = a.pad;
  if (v.kind === "int" && v.value === -1) {
    const ph = Math.floor((d[0] * (k[0] - 1)) / 2);
    const pw = Math.floor((d[1] * (k[1] - 1)) / 2);
    return [ph, pw, ph, pw];
  }
  const [ph, pw] = pairArg(a, "pad");
  if (ph < 0 || pw < 0) throw new ArgError("pad", '`pad` must be 0 or more (or -1 for "same")');
  return [ph, pw, ph, pw];
}

const layer: LayerDef = {
  name: "conv",
  doc:
    "2-D convolution over NCHW. `out` output channels (the full-width count), kernel `k`, `stride`, `pad` (-1: same), " +
    "`dilation`, `groups` (= channels for depthwise), `bias`.",
  hasParams: true,
  params: [
    X,
    { name: "out", type: "int" },
    { name: "k", type: "int|int[]" },
    { name: "stride", type: "int|int[]", default: int(1) },
    { name: "pad", type: "int|int[]", default: int(-1) },
    { name: "dilation", type: "int|int[]", default: int(1) },
    { name: "groups", type: "int", default: int(1) },
    { name: "bias", type: "bool", default: bool(true) },
  ],
  apply: ({ b, ctx, args }) => {
    for (const name of ["out", "k", "stride", "dilation", "groups"]) expectAtLeast(args, name);
    const kernel = pairArg(args, "k");
    const dilation = pairArg(args, "dilation");
    return b.conv(ctx, tensorArg(args, "x"), {
      out: numArg(args, "out"),
      kernel,
      stride: pairArg(args, "stride"),
      pads: pads(args, kernel, dilation),
      dilation,
      groups: numArg(args, "groups"),
      bias: flagArg(args, "bias"),
    });
  },
};

export const convSpec: OpSpec<"conv", ConvOptions> = {
  kind: "conv",
  gradient: gradConv,
  pytorch: torchConv,
  summary: "2-D convolution over NCHW; a depthwise conv slims with its input",
  docs: { layers: [layer] },
  shape: (c, [x], o) => conv(c, x, o),
  arity: 1,
  params: ["weight"],
  optionalParams: ["bias"],
  verify: (n, t, say) => {
    const w = t.params.get("weight");
    if (!w) return;
    if (w[1] * n.attrs.groups !== t.inputs[0].shape[1])
      say(
        `node '${n.id}': weight input channels x groups is ${w[1] * n.attrs.groups} but should be ${t.inputs[0].shape[1]}`,
      );
    if (w[0] !== t.output.shape[1])
      say(`node '${n.id}': weight output channels is ${w[0]} but should be ${t.output.shape[1]}`);
  },
  macs: (graph, n, config) => {
    const x = typeOf(graph, n.inputs[0]);
    const y = typeOf(graph, n.outputs[0]);
    const inC = sizeAt(graph, x, 1, config);
    const outC = sizeAt(graph, y, 1, config);
    const groups = n.attrs.depthwise ? inC : n.attrs.groups;
    const [kh, kw] = n.attrs.kernel;
    return outC * (inC / groups) * kh * kw * volume(graph, y, 2, 4, config);
  },
  lower: lowerConv,
  // A depthwise conv's groups follow its (slim) channel count.
  specialise: (n, s) =>
    n.attrs.depthwise
      ? { ...n, attrs: { ...n.attrs, groups: s.values.get(n.outputs[0])!.type.shape[1] as number } }
      : n,
  dump: (n) => [
    ...windowWords(n.attrs),
    ...(n.attrs.dilation.some((x) => x !== 1) ? [`d=${n.attrs.dilation.join("x")}`] : []),
    ...(n.attrs.groups > 1 ? [`g=${n.attrs.groups}`] : []),
    ...(n.attrs.depthwise ? ["dw"] : []),
  ],
};
