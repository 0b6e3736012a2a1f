import { describe, expect, it } from "vitest";
import { at, convOpts, resnet18, twoTaskNet } from "../../test/helpers/reference-nets";
import torchvisionKeys from "../../test/helpers/resnet18-state-dict-keys.json";
import { GraphBuilder, ShapeError } from "./builder";
import { ShapeErrors } from "./shape-errors";
import type { Dim } from "./types";

function net(shape: Dim[] = ["N", 3, 32, 32]) {
  const b = new GraphBuilder("t", [0.5, 1.0]);
  b.addGroup("backbone");
  b.addGroup("head");
  const x = b.input("image", "f32", shape, 1);
  return { b, x };
}

/** Runs `f` and returns the ShapeError it throws. */
function shapeError(f: () => unknown): ShapeError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShapeError) return e;
    throw e;
  }
  throw new Error("expected a ShapeError");
}

describe("shape error table", () => {
  it("has unique codes in MTL3001..MTL3099, each described", () => {
    const codes = Object.values(ShapeErrors).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of Object.values(ShapeErrors)) {
      expect(e.code).toMatch(/^MTL30(0[1-9]|[1-9]\d)$/);
      expect(e.description.length).toBeGreaterThan(10);
    }
  });
});

describe("conv", () => {
  it("follows the ONNX output size formula", () => {
    const { b, x } = net(["N", 3, 224, 224]);
    const y = b.conv(at("c", "backbone"), x, convOpts(64, 7, 2));
    expect(b.type(y).shape).toEqual(["N", 64, 112, 112]);
    const z = b.conv(at("d"), y, { ...convOpts(8, 3, 1), dilation: [2, 2], pads: [0, 0, 0, 0] });
    expect(b.type(z).shape).toEqual(["N", 8, 108, 108]);
  });

  it("keeps symbolic spatial sizes symbolic, equal when derived alike", () => {
    const { b, x } = net(["N", 3, "H", "W"]);
    const same = b.conv(at("same"), x, convOpts(8, 3, 1));
    expect(b.type(same).shape).toEqual(["N", 8, "H", "W"]);
    const a = b.conv(at("a"), x, convOpts(8, 3, 2));
    const c = b.conv(at("c"), x, convOpts(8, 1, 2));
    expect(b.type(a).shape[2]).toBe("floor((H-1)/2)+1");
    expect(b.type(c).shape[2]).toBe(b.type(a).shape[2]);
    expect(b.type(b.binary(at("sum"), "add", a, c)).shape).toEqual(b.type(a).shape);
  });

  it("gives a slimming conv one output segment and weights following both layouts", () => {
    const { b, x } = net();
    const y = b.conv(at("c1", "backbone"), x, convOpts(64, 3));
    const z = b.conv(at("c2", "head"), y, convOpts(32, 3, 1, { bias: true }));
    const g = b.finish();
    expect(b.type(y).channels).toEqual([{ max: 64, group: "backbone", scale: 1, divisor: 8 }]);
    const w1 = g.params.get("c1.weight")!;
    expect(w1.shape).toEqual([64, 3, 3, 3]);
    expect(w1.axes).toEqual([[{ max: 64, group: "backbone", scale: 1, divisor: 8 }], null, null, null]);
    expect(w1.init).toEqual({ kind: "he", fanIn: 27 });
    const w2 = g.params.get("c2.weight")!;
    expect(w2.axes[0]![0].group).toBe("head");
    expect(w2.axes[1]![0].group).toBe("backbone");
    expect(g.params.get("c2.bias")!.init).toEqual({ kind: "const", value: 0 });
    expect(b.type(z).channelAxis).toBe(1);
  });

  it("lets a depthwise conv follow its input's layout", () => {
    const { b, x } = net();
    const y = b.conv(at("c1", "backbone"), x, convOpts(32, 1));
    const dw = b.conv(at("dw", "head"), y, convOpts(32, 3, 1, { groups: 32 }));
    const g = b.finish();
    expect(b.type(dw).channels).toEqual(b.type(y).channels);
    expect(g.params.get("dw.weight")!.shape).toEqual([32, 1, 3, 3]);
    expect(g.params.get("dw.weight")!.axes[1]).toBeNull();
    expect(g.nodes.find((n) => n.id === "dw")!.attrs.depthwise).toBe(true);
  });

  it("rejects slimming grouped convolutions that are not depthwise", () => {
    const { b, x } = net();
    const y = b.conv(at("c1", "backbone"), x, convOpts(32, 1));
    const e = shapeError(() => b.conv(at("g"), y, convOpts(64, 3, 1, { groups: 4 })));
    expect(e.code).toBe(ShapeErrors.GroupedSlim.code);
    expect(e.message).toContain("grouped convolution must be depthwise or fixed");
    const f = b.conv(at("f"), x, convOpts(32, 1));
    expect(b.type(b.conv(at("ok"), f, convOpts(64, 3, 1, { groups: 4 }))).shape[1]).toBe(64);
  });

  it("reports bad channel counts, kernels, ranks and groups", () => {
    const { b, x } = net(["N", 3, 4, 4]);
    expect(shapeError(() => b.conv(at("g"), x, convOpts(8, 1, 1, { groups: 2 }))).code).toBe(
      ShapeErrors.GroupsDivide.code,
    );
    const big = shapeError(() => b.conv(at("k"), x, { ...convOpts(8, 7), pads: [0, 0, 0, 0] }));
    expect(big.code).toBe(ShapeErrors.KernelTooBig.code);
    expect(big.message).toContain("padded input height is only 4");
    expect(big.hint).toBeDefined();
    const flat = b.flatten(at("f"), x, 1);
    expect(shapeError(() => b.conv(at("r"), flat, convOpts(8, 1))).code).toBe(ShapeErrors.Rank.code);
    expect(shapeError(() => b.conv(at("u", "nope"), x, convOpts(8, 1))).code).toBe(ShapeErrors.UnknownGroup.code);
    expect(shapeError(() => b.conv(at("s"), x, convOpts(8, 1, 0))).code).toBe(ShapeErrors.BadOption.code);
  });
});

describe("pooling and resizing", () => {
  it("computes pooled and resized sizes and rejects bad options", () => {
    const { b, x } = net(["N", 3, 32, "W"]);
    const p = b.pool(at("p"), "maxpool", x, { kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] });
    expect(b.type(p).shape).toEqual(["N", 3, 16, "floor((W-1)/2)+1"]);
    expect(b.type(b.resize(at("up"), p, { scales: [2, 2], mode: "nearest" })).shape).toEqual([
      "N",
      3,
      32,
      "(floor((W-1)/2)+1)*2",
    ]);
    expect(b.type(b.resize(at("to"), p, { size: [7, 9], mode: "linear" })).shape).toEqual(["N", 3, 7, 9]);
    expect(b.type(b.globalAvgPool(at("g"), p)).shape).toEqual(["N", 3, 1, 1]);
    const pad = {
      kernel: [2, 2] as [number, number],
      stride: [1, 1] as [number, number],
      pads: [2, 2, 2, 2] as [number, number, number, number],
    };
    expect(shapeError(() => b.pool(at("bad"), "avgpool", x, pad)).code).toBe(ShapeErrors.BadOption.code);
    expect(shapeError(() => b.resize(at("bad"), x, { mode: "nearest" })).code).toBe(ShapeErrors.BadOption.code);
    expect(shapeError(() => b.resize(at("bad"), x, { scales: [0.01, 1], mode: "nearest" })).code).toBe(
      ShapeErrors.NonPositiveSize.code,
    );
  });
});

describe("linear, flatten and reshape", () => {
  it("flattens a slimming NCHW value into scaled segments", () => {
    const { b, x } = net(["N", 3, 7, 7]);
    const y = b.conv(at("c", "backbone"), x, convOpts(16, 3));
    const f = b.flatten(at("f"), y, 1);
    expect(b.type(f).shape).toEqual(["N", 784]);
    expect(b.type(f).channels).toEqual([{ max: 16, group: "backbone", scale: 49, divisor: 8 }]);
    const l = b.linear(at("fc"), f, { out: 10, bias: true });
    const g = b.finish();
    expect(g.params.get("fc.weight")!.shape).toEqual([10, 784]);
    expect(g.params.get("fc.weight")!.axes).toEqual([null, b.type(f).channels]);
    expect(b.type(l).channels).toEqual([{ max: 10, group: null, scale: 1, divisor: 1 }]);
  });

  it("rejects flattening a symbolic spatial size into slimming channels", () => {
    const { b, x } = net(["N", 3, "H", "W"]);
    const y = b.conv(at("c", "backbone"), x, convOpts(16, 3));
    const e = shapeError(() => b.flatten(at("f"), y, 1));
    expect(e.code).toBe(ShapeErrors.SymbolicFlatten.code);
    expect(b.type(b.flatten(at("ok"), b.globalAvgPool(at("p"), y), 1)).channels[0].scale).toBe(1);
  });

  it("asks for a flatten when linear meets NCHW slimming channels", () => {
    const { b, x } = net(["N", 3, 8, 8]);
    const y = b.conv(at("c", "backbone"), x, convOpts(16, 3));
    const e = shapeError(() => b.linear(at("fc"), y, { out: 4, bias: false }));
    expect(e.code).toBe(ShapeErrors.ChannelAxis.code);
    expect(e.hint).toContain("flatten");
  });

  it("tracks channels through reshape and transpose, and refuses to merge them with the batch", () => {
    const { b, x } = net(["N", 3, 4, 4]);
    const y = b.conv(at("c", "backbone"), x, convOpts(16, 3));
    const r = b.reshape(at("r"), y, ["N", 16, -1]);
    expect(b.type(r).shape).toEqual(["N", 16, 16]);
    expect(b.type(r).channelAxis).toBe(1);
    const t = b.transpose(at("t"), r, [0, 2, 1]);
    expect(b.type(t).channelAxis).toBe(2);
    expect(b.type(b.linear(at("l", "head"), t, { out: 8, bias: false })).shape).toEqual(["N", 16, 8]);
    expect(b.type(b.reshape(at("r2"), y, ["N", -1])).channels[0].scale).toBe(16);
    expect(shapeError(() => b.reshape(at("bad"), y, [-1, 4, 4])).code).toBe(ShapeErrors.ReshapeSlim.code);
    expect(shapeError(() => b.reshape(at("bad"), y, ["N", 15, -1])).code).toBe(ShapeErrors.ReshapeSize.code);
  });

  it("selects and averages over non-channel axes", () => {
    const { b } = net();
    const tokens = b.input("tokens", "f32", ["N", 5, 32], 2);
    const cls = b.select(at("cls"), tokens, 1, 0);
    expect(b.type(cls)).toMatchObject({ shape: ["N", 32], channelAxis: 1 });
    expect(b.type(b.mean(at("m"), tokens, [1], false))).toMatchObject({ shape: ["N", 32], channelAxis: 1 });
    expect(b.type(b.mean(at("m"), tokens, [-1], true))).toMatchObject({ shape: ["N", 5, 1], channelAxis: null });
    expect(shapeError(() => b.select(at("s"), tokens, 1, 5)).code).toBe(ShapeErrors.AxisRange.code);
  });
});

describe("combining values", () => {
  it("names both layouts in plain words when they disagree", () => {
    const { b, x } = net();
    const a = b.conv(at("a", "backbone"), x, convOpts(64, 3));
    const f = b.conv(at("f"), x, convOpts(64, 3));
    const e = shapeError(() => b.binary(at("sum"), "add", a, f));
    expect(e.code).toBe(ShapeErrors.LayoutMismatch.code);
    expect(e.message).toContain("64 channels slimming with group 'backbone' vs 64 fixed channels");
  });

  it("broadcasts scalars and size-1 axes", () => {
    const { b, x } = net();
    const a = b.conv(at("a", "backbone"), x, convOpts(64, 3));
    const gate = b.unary(at("g"), "sigmoid", b.globalAvgPool(at("p"), a));
    expect(b.type(b.binary(at("se"), "mul", a, gate)).channels).toEqual(b.type(a).channels);
    const half = b.binary(at("h"), "mul", a, b.constant(at("k"), 0.5));
    expect(b.type(half)).toEqual(b.type(a));
    expect(shapeError(() => b.binary(at("x"), "add", a, b.input("other", "f32", ["N", 64, 16, 16], 1))).code).toBe(
      ShapeErrors.Broadcast.code,
    );
  });

  it("concatenates layouts along channels", () => {
    const { b, x } = net();
    const a = b.conv(at("a", "backbone"), x, convOpts(64, 3));
    const h = b.conv(at("h", "head"), x, convOpts(32, 3));
    const c = b.concat(at("cat"), [a, h, x], 1);
    expect(b.type(c).shape).toEqual(["N", 99, 32, 32]);
    expect(b.type(c).channels.map((s) => s.group)).toEqual(["backbone", "head", null]);
    const bad = shapeError(() => b.batchnorm(at("bn"), c, { eps: 1e-5 }));
    expect(bad.code).toBe(ShapeErrors.MixedGroupNorm.code);
  });
});

describe("normalisation, attention and embeddings", () => {
  it("makes batchnorm switchable when its channels slim", () => {
    const { b, x } = net();
    const a = b.conv(at("a", "backbone"), x, convOpts(64, 3));
    b.batchnorm(at("bn", "backbone"), a, { eps: 1e-5 });
    b.batchnorm(at("bnf"), x, { eps: 1e-5 });
    const g = b.finish();
    expect(g.params.get("bn.running_var")).toMatchObject({
      shape: [64],
      perWidth: ["backbone"],
      init: { kind: "const", value: 1 },
    });
    expect(g.params.get("bnf.weight")).toMatchObject({ shape: [3], perWidth: null, axes: [null] });
  });

  it("gives attention PyTorch's parameters, slimming by heads", () => {
    const { b } = net();
    const t = b.input("tokens", "f32", ["N", 10, 64], 2);
    const y = b.attention(at("attn", "head"), t, { heads: 4 });
    const g = b.finish();
    const heads = { max: 4, group: "head", scale: 16, divisor: 1 };
    expect(g.params.get("attn.in_proj_weight")).toMatchObject({
      shape: [192, 64],
      axes: [[heads, heads, heads], null],
    });
    expect(g.params.get("attn.in_proj_weight")!.init).toEqual({ kind: "xavier", fanIn: 64, fanOut: 192 });
    expect(g.params.get("attn.out_proj.weight")).toMatchObject({ shape: [64, 64], axes: [null, [heads]] });
    expect(g.params.get("attn.out_proj.bias")!.shape).toEqual([64]);
    expect(b.type(y).shape).toEqual(["N", 10, 64]);
    expect(shapeError(() => b.attention(at("a2"), t, { heads: 5 })).code).toBe(ShapeErrors.HeadsDivide.code);
  });

  it("builds embeddings and learned parameters", () => {
    const { b } = net();
    const ids = b.input("ids", "i64", ["N", 12], null);
    const e = b.embedding(at("embed", "backbone"), ids, { vocab: 100, dim: 32 });
    const pos = b.param(at("pos_embedding", "backbone"), [1, 12, 32], { kind: "normal", std: 0.02 }, 2);
    const s = b.binary(at("add"), "add", e, pos);
    const g = b.finish();
    expect(b.type(s)).toMatchObject({ shape: ["N", 12, 32], channelAxis: 2 });
    expect(g.params.get("embed.weight")!.axes[1]![0].group).toBe("backbone");
    expect(g.params.get("pos_embedding")).toMatchObject({ shape: [1, 12, 32], init: { kind: "normal", std: 0.02 } });
    expect(shapeError(() => b.embedding(at("bad"), e, { vocab: 4, dim: 4 })).code).toBe(ShapeErrors.DType.code);
  });
});

describe("naming and parts", () => {
  it("de-duplicates node ids and shares parameters reused by name", () => {
    const { b, x } = net();
    const r1 = b.unary(at("relu"), "relu", x);
    const r2 = b.unary(at("relu"), "relu", r1);
    expect([r1, r2]).toEqual(["relu", "relu_1"]);
    const c1 = b.conv(at("shared"), x, convOpts(8, 3));
    const c2 = b.conv(at("shared"), x, convOpts(8, 3));
    expect(c1).not.toBe(c2);
    expect(b.finish().params.size).toBe(1);
    expect(shapeError(() => b.conv(at("shared"), x, convOpts(16, 3))).code).toBe(ShapeErrors.ParamConflict.code);
  });

  it("matches torchvision's ResNet-18 state_dict keys, in order", () => {
    const keys = [...resnet18().params.keys()];
    expect(keys).toEqual(torchvisionKeys);
  });

  it("assigns nodes and groups to the tasks they serve", () => {
    const g = twoTaskNet();
    const part = (id: string) => g.nodes.find((n) => n.id === id)!.part;
    expect(part("backbone.conv1")).toBe("shared");
    expect(part("seg.conv1")).toBe("seg");
    expect(part("depth.fc")).toBe("depth");
    expect(part("seg.unused")).toBe("shared");
    expect(Object.fromEntries(g.groups.map((x) => [x.name, x.part]))).toEqual({
      backbone: "shared",
      seg: "seg",
      depth: "depth",
    });
  });

  it("checks groups and tasks", () => {
    const { b, x } = net();
    expect(shapeError(() => b.addGroup("backbone")).code).toBe(ShapeErrors.BadGroup.code);
    expect(shapeError(() => b.addGroup("g", [0.5, 0.25, 1])).code).toBe(ShapeErrors.BadGroup.code);
    const task = { name: "t", output: x, decode: { kind: "identity" as const }, loss: null, metric: null };
    b.addTask(task);
    expect(shapeError(() => b.addTask(task)).code).toBe(ShapeErrors.BadTask.code);
    expect(shapeError(() => b.addTask({ ...task, name: "u", output: "nowhere" })).code).toBe(ShapeErrors.BadTask.code);
  });
});
