// resize: NCHW by scale factors (`upsample`) or to a size (`resize`), nearest or linear.
import { int, str } from "../elaborate/values";
import { resize, type ResizeOptions } from "../ir/ops-spatial";
import { lowerResize } from "../lower/ops-conv";
import { ArgError, expectAtLeast, intsArg, numArg, tensorArg, textArg, X, type LayerDef } from "./layer-def";
import { keepNode, noMacs, sortedAttrs, type OpSpec } from "./spec";
import { torchResize } from "../export/torch/ops";
import { gradResize } from "../train/grad/resize";

function resizeMode(args: Parameters<LayerDef["apply"]>[0]["args"]): "nearest" | "linear" {
  const m = textArg(args, "mode");
  if (m !== "nearest" && m !== "linear")
    throw new ArgError("mode", `unknown resize mode "${m}"`, 'use "nearest" or "linear"');
  return m;
}

const upsample: LayerDef = {
  name: "upsample",
  doc: 'Resize NCHW by an integer `scale` with `mode` "nearest" or "linear".',
  hasParams: false,
  params: [
    X,
    { name: "scale", type: "int", default: int(2) },
    { name: "mode", type: "string", default: str("nearest") },
  ],
  apply: ({ b, ctx, args }) => {
    expectAtLeast(args, "scale");
    const scale = numArg(args, "scale");
    return b.resize(ctx, tensorArg(args, "x"), { scales: [scale, scale], mode: resizeMode(args) });
  },
};

const resizeLayer: LayerDef = {
  name: "resize",
  doc: 'Resize NCHW to `size: [H, W]` with `mode` "linear" (default) or "nearest".',
  hasParams: false,
  params: [X, { name: "size", type: "int[]" }, { name: "mode", type: "string", default: str("linear") }],
  apply: ({ b, ctx, args }) => {
    const size = intsArg(args, "size");
    if (size.length !== 2) throw new ArgError("size", `\`size\` takes two numbers [H, W], got ${size.length}`);
    return b.resize(ctx, tensorArg(args, "x"), { size: [size[0], size[1]], mode: resizeMode(args) });
  },
};

export const resizeSpec: OpSpec<"resize", ResizeOptions> = {
  kind: "resize",
  gradient: gradResize,
  pytorch: torchResize,
  summary: "resize NCHW with PyTorch's coordinate conventions",
  docs: { layers: [upsample, resizeLayer] },
  shape: (_c, [x], o) => resize(x, o),
  arity: 1,
  params: [],
  macs: noMacs,
  lower: lowerResize,
  specialise: keepNode,
  dump: sortedAttrs,
};
