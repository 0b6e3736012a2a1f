// Well-known networks built with the GraphBuilder, laid out exactly like torchvision's modules, so
// that parameter names and published parameter / MAC counts can be checked against them.

import { GraphBuilder, type LayerCtx } from "../../compiler/ir/builder";
import type { Dim, Graph } from "../../compiler/ir/types";

export const SRC = { file: "reference.mtl", line: 1, col: 1 };

/** Shorthand for layer contexts: `at("layer1.0.conv1", "backbone")`. */
export const at = (name: string, group: string | null = null): LayerCtx => ({ name, group, source: SRC });

export function convOpts(out: number, k: number, stride = 1, opts: { groups?: number; bias?: boolean } = {}) {
  const p = Math.floor(k / 2);
  return {
    out,
    kernel: [k, k] as [number, number],
    stride: [stride, stride] as [number, number],
    pads: [p, p, p, p] as [number, number, number, number],
    dilation: [1, 1] as [number, number],
    groups: opts.groups ?? 1,
    bias: opts.bias ?? false,
  };
}

/** conv -> bn (-> relu), the way torchvision names them under `prefix`. */
function convBn(
  b: GraphBuilder,
  x: string,
  conv: string,
  bn: string,
  group: string | null,
  o: ReturnType<typeof convOpts>,
): string {
  const y = b.conv(at(conv, group), x, o);
  return b.batchnorm(at(bn, group), y, { eps: 1e-5 });
}

function basicBlock(
  b: GraphBuilder,
  x: string,
  name: string,
  out: number,
  stride: number,
  group: string | null,
): string {
  const inC = b.type(x).shape[1];
  let y = convBn(b, x, `${name}.conv1`, `${name}.bn1`, group, convOpts(out, 3, stride));
  y = b.unary(at(`${name}.relu`), "relu", y);
  y = convBn(b, y, `${name}.conv2`, `${name}.bn2`, group, convOpts(out, 3));
  const skip =
    stride !== 1 || inC !== out
      ? convBn(b, x, `${name}.downsample.0`, `${name}.downsample.1`, group, convOpts(out, 1, stride))
      : x;
  return b.unary(at(`${name}.relu`), "relu", b.binary(at(`${name}.add`), "add", y, skip));
}

/** ResNet-18's convolutional trunk (up to layer4), every layer slimming with `group`. */
export function resnet18Trunk(b: GraphBuilder, image: string, group: string | null, prefix = ""): string {
  let x = convBn(b, image, `${prefix}conv1`, `${prefix}bn1`, group, convOpts(64, 7, 2));
  x = b.unary(at(`${prefix}relu`), "relu", x);
  x = b.pool(at(`${prefix}maxpool`), "maxpool", x, { kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] });
  [64, 128, 256, 512].forEach((c, i) => {
    for (let j = 0; j < 2; j++) x = basicBlock(b, x, `${prefix}layer${i + 1}.${j}`, c, i > 0 && j === 0 ? 2 : 1, group);
  });
  return x;
}

export interface NetOptions {
  widths?: number[];
  group?: string | null; // width group of the trunk (null: fixed)
  batch?: Dim;
  size?: Dim;
  classes?: number;
}

function start(name: string, o: NetOptions): { b: GraphBuilder; image: string; group: string | null } {
  const b = new GraphBuilder(name, o.widths ?? [0.25, 0.5, 0.75, 1.0]);
  const group = o.group === undefined ? "backbone" : o.group;
  if (group !== null) b.addGroup(group);
  const size = o.size ?? 224;
  const image = b.input("image", "f32", [o.batch ?? "N", 3, size, size], 1);
  return { b, image, group };
}

/** torchvision's resnet18(): 11,689,512 parameters, 1.81G MACs at 224x224. */
export function resnet18(o: NetOptions = {}): Graph {
  const { b, image, group } = start("resnet18", o);
  let x = resnet18Trunk(b, image, group);
  x = b.globalAvgPool(at("avgpool"), x);
  x = b.flatten(at("flatten"), x, 1);
  x = b.linear(at("fc"), x, { out: o.classes ?? 1000, bias: true });
  b.addTask({ name: "classify", output: x, decode: { kind: "argmax", axis: 1 }, loss: null, metric: null });
  return b.finish();
}

// torchvision's MobileNetV2 settings: expansion t, channels c, repeats n, first stride s.
const MBV2 = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function convBnRelu6(
  b: GraphBuilder,
  x: string,
  name: string,
  group: string | null,
  o: ReturnType<typeof convOpts>,
): string {
  const y = convBn(b, x, `${name}.0`, `${name}.1`, group, o);
  return b.unary(at(`${name}.2`), "relu6", y);
}

function invertedResidual(
  b: GraphBuilder,
  x: string,
  name: string,
  t: number,
  out: number,
  stride: number,
  group: string | null,
): string {
  const inC = b.type(x).shape[1] as number;
  const hidden = inC * t;
  let y = x;
  let i = 0;
  if (t !== 1) y = convBnRelu6(b, y, `${name}.conv.${i++}`, group, convOpts(hidden, 1));
  y = convBnRelu6(b, y, `${name}.conv.${i++}`, group, convOpts(hidden, 3, stride, { groups: hidden }));
  y = convBn(b, y, `${name}.conv.${i}`, `${name}.conv.${i + 1}`, group, convOpts(out, 1));
  return stride === 1 && inC === out ? b.binary(at(`${name}.add`), "add", x, y) : y;
}

/**
 * torchvision's mobilenet_v2(): 3,504,872 parameters, 0.30G MACs at 224x224. Its last 1x1 conv
 * (1280 channels) stays fixed, as in the MobileNetV2 paper's width multipliers below 1.
 */
export function mobilenetV2(o: NetOptions = {}): Graph {
  const { b, image, group } = start("mobilenet_v2", o);
  let x = convBnRelu6(b, image, "features.0", group, convOpts(32, 3, 2));
  let f = 1;
  for (const [t, c, n, s] of MBV2)
    for (let j = 0; j < n; j++) x = invertedResidual(b, x, `features.${f++}`, t, c, j === 0 ? s : 1, group);
  x = convBnRelu6(b, x, `features.${f}`, null, convOpts(1280, 1));
  x = b.globalAvgPool(at("pool"), x);
  x = b.flatten(at("flatten"), x, 1);
  x = b.linear(at("classifier.1"), x, { out: o.classes ?? 1000, bias: true });
  b.addTask({ name: "classify", output: x, decode: { kind: "argmax", axis: 1 }, loss: null, metric: null });
  return b.finish();
}

/**
 * A small two-task network: a shared slimmable trunk and two heads with their own width groups,
 * one of them with a dead branch (for DCE) and a constant expression (for constant folding).
 */
export function twoTaskNet(o: { size?: Dim } = {}): Graph {
  const b = new GraphBuilder("twotask", [0.25, 0.5, 0.75, 1.0]);
  for (const g of ["backbone", "seg", "depth"]) b.addGroup(g);
  const image = b.input("image", "f32", ["N", 3, o.size ?? 32, o.size ?? 32], 1);
  let x = convBn(b, image, "backbone.conv1", "backbone.bn1", "backbone", convOpts(32, 3, 2));
  x = b.unary(at("backbone.relu"), "relu", x);
  const y = convBn(b, x, "backbone.conv2", "backbone.bn2", "backbone", convOpts(32, 3));
  x = b.binary(at("backbone.add"), "add", x, y);

  let s = b.conv(at("seg.conv1", "seg"), x, convOpts(16, 3, 1, { bias: true }));
  s = b.unary(at("seg.relu"), "relu", s);
  const two = b.binary(at("seg.two"), "add", b.constant(at("seg.one"), 1), b.constant(at("seg.one"), 1));
  s = b.binary(at("seg.scale"), "mul", s, two);
  s = b.unary(at("seg.id"), "identity", s);
  s = b.conv(at("seg.classifier"), s, convOpts(5, 1, 1, { bias: true }));
  b.conv(at("seg.unused"), x, convOpts(8, 1));

  let d = b.conv(at("depth.conv1", "depth"), x, convOpts(16, 3, 2));
  d = b.batchnorm(at("depth.bn1", "depth"), d, { eps: 1e-5 });
  d = b.globalAvgPool(at("depth.pool"), d);
  d = b.flatten(at("depth.flatten"), d, 1);
  d = b.linear(at("depth.fc"), d, { out: 1, bias: true });

  b.addTask({ name: "seg", output: s, decode: { kind: "argmax", axis: 1 }, loss: null, metric: null });
  b.addTask({ name: "depth", output: d, decode: { kind: "identity" }, loss: null, metric: null });
  return b.finish();
}

/**
 * A network touching many width groups at once: a concat of two groups, a depthwise conv, a
 * flatten into scaled segments and an attention block that slims by heads; two tasks.
 */
export function manyGroupNet(): Graph {
  const b = new GraphBuilder("many", [0.25, 0.5, 0.75, 1.0]);
  b.addGroup("s1", [0.25, 0.5, 1.0]);
  b.addGroup("s2");
  b.addGroup("h1");
  b.addGroup("h2", [0.5, 1.0]);
  b.addGroup("att", [0.5, 1.0]);
  const image = b.input("image", "f32", ["N", 3, 16, 16], 1);
  const c1 = b.unary(at("stem.relu"), "relu", convBn(b, image, "stem.conv", "stem.bn", "s1", convOpts(16, 3)));
  const a = b.conv(at("a", "s2"), c1, convOpts(16, 3, 2));
  const dw = b.conv(at("a.dw", "s2"), a, convOpts(16, 3, 1, { groups: 16 }));
  const h = b.conv(at("h", "h1"), c1, convOpts(8, 3, 2));
  const cat = b.concat(at("cat"), [dw, h], 1);
  let d = b.conv(at("cls.conv", "h2"), cat, convOpts(24, 3, 2));
  d = b.flatten(at("cls.flatten"), d, 1);
  d = b.linear(at("cls.fc"), d, { out: 10, bias: true });
  let t = b.reshape(at("tok.reshape"), a, ["N", 16, 64]);
  t = b.transpose(at("tok.transpose"), t, [0, 2, 1]);
  t = b.attention(at("tok.attn", "att"), t, { heads: 4 });
  t = b.layernorm(at("tok.norm"), t, { eps: 1e-5 });
  t = b.linear(at("tok.fc"), t, { out: 8, bias: true });
  t = b.mean(at("tok.mean"), t, [1], false);
  b.addTask({ name: "cls", output: d, decode: { kind: "argmax", axis: 1 }, loss: null, metric: null });
  b.addTask({ name: "tok", output: t, decode: { kind: "identity" }, loss: null, metric: null });
  return b.finish();
}
