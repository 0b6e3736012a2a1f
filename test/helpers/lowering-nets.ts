// Small networks that exercise every lowering path: switchable BN, residual add, concat of slim
// tensors (piecewise cuts), depthwise convs (If per width), flatten + linear (scaled segments),
// task heads with their own groups, every decode kind, and a transformer block.
import { GraphBuilder } from "../../compiler/ir/builder";
import type { Graph } from "../../compiler/ir/types";
import { at, convOpts } from "./reference-nets";

/** Two-task conv net: cls (softmax, own group with 2 choices) and seg (identity, own group). */
export function convNet(): Graph {
  const b = new GraphBuilder("convnet", [0.25, 0.5, 0.75, 1.0], 2);
  b.addGroup("backbone");
  b.addGroup("cls", [0.5, 1.0]);
  b.addGroup("seg");
  const image = b.input("image", "f32", ["N", 3, 12, 12], 1);
  const cbr = (x: string, name: string, group: string | null, o: ReturnType<typeof convOpts>) => {
    const y = b.batchnorm(at(`${name}.bn`, group), b.conv(at(`${name}.conv`, group), x, o), { eps: 1e-5 });
    return b.unary(at(`${name}.relu`), "relu", y);
  };
  const stem = cbr(image, "stem", "backbone", convOpts(16, 3));
  const y = cbr(stem, "block1", "backbone", convOpts(16, 3));
  const z = b.batchnorm(at("block2.bn", "backbone"), b.conv(at("block2.conv", "backbone"), y, convOpts(16, 3)), {
    eps: 1e-5,
  });
  const res = b.unary(at("block.relu"), "relu", b.binary(at("block.add"), "add", stem, z));
  const dw = b.unary(
    at("dw.relu6"),
    "relu6",
    b.batchnorm(at("dw.bn", "backbone"), b.conv(at("dw.conv"), res, convOpts(16, 3, 1, { groups: 16 })), { eps: 1e-5 }),
  );
  const pw = b.conv(at("pw.conv", "backbone"), dw, convOpts(8, 1));
  const cat = b.concat(at("cat"), [res, pw], 1);
  // Depthwise over a two-segment layout: its If chain branches on the summed length.
  const catDw = cbr(cat, "catdw", "backbone", convOpts(24, 3, 1, { groups: 24 }));
  const pooled = b.pool(at("pool"), "maxpool", catDw, { kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] });

  let c = b.unary(at("cls.silu"), "silu", b.conv(at("cls.conv", "cls"), pooled, convOpts(8, 1, 1, { bias: true })));
  c = b.pool(at("cls.pool"), "avgpool", c, { kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] }); // [N, 8, 3, 3]
  c = b.reshape(at("cls.reshape"), c, ["N", 8, 9]); // keeps the slim channel axis: a run-time target
  c = b.linear(at("cls.fc"), b.flatten(at("cls.flatten"), c, 1), { out: 5, bias: true });
  b.addTask({ name: "cls", output: c, decode: { kind: "softmax", axis: 1 }, loss: null, metric: null });

  let s = cbr(pooled, "seg.head", "seg", convOpts(8, 3));
  s = b.resize(at("seg.up"), s, { scales: [2, 2], mode: "nearest" });
  s = b.conv(at("seg.out"), s, convOpts(3, 1, 1, { bias: true }));
  s = b.resize(at("seg.fit"), s, { size: [10, 10], mode: "linear" });
  b.addTask({ name: "seg", output: s, decode: { kind: "identity" }, loss: null, metric: null });
  return b.finish();
}

/** One shared trunk and a tiny head per decode kind. */
export function decodeNet(): Graph {
  const b = new GraphBuilder("decodes", [0.5, 1.0], 2);
  b.addGroup("backbone");
  const x = b.input("features", "f32", ["N", 6], 1);
  const centred = b.binary(at("centre"), "sub", x, b.constant(at("half"), 0.5));
  const scaled = b.binary(at("scale"), "div", b.unary(at("squash"), "sigmoid", centred), b.constant(at("two"), 2));
  const trunk = b.unary(at("trunk.relu"), "relu", b.linear(at("trunk.fc", "backbone"), scaled, { out: 8, bias: true }));
  const head = (name: string, out = 4) => b.linear(at(`${name}.fc`), trunk, { out, bias: true });
  b.addTask({ name: "label", output: head("label"), decode: { kind: "argmax", axis: 1 }, loss: null, metric: null });
  b.addTask({
    name: "top",
    output: head("top", 5),
    decode: { kind: "topk", k: 2, axis: -1 },
    loss: null,
    metric: null,
  });
  b.addTask({
    name: "tags",
    output: head("tags"),
    decode: { kind: "threshold", value: 0.5 },
    loss: null,
    metric: null,
  });
  b.addTask({
    name: "normal",
    output: head("normal", 3),
    decode: { kind: "l2norm", axis: 1 },
    loss: null,
    metric: null,
  });
  b.addTask({
    name: "text",
    output: head("text", 7),
    decode: { kind: "greedy", maxLen: 4, bos: 0, eos: 1 },
    loss: null,
    metric: null,
  });
  return b.finish();
}

/** A transformer block over [N, T, D]: embedding, positional parameter, layernorm, attention, GELU, mean. */
export function transformerNet(): Graph {
  const b = new GraphBuilder("transformer", [0.25, 0.5, 0.75, 1.0], 4);
  b.addGroup("backbone");
  b.addGroup("heads");
  const x = b.input("tokens", "f32", ["N", 5, 12], 2);
  const ids = b.input("ids", "i64", ["N", 5], null);
  let h = b.linear(at("embed", "backbone"), x, { out: 16, bias: true });
  h = b.binary(at("vocab.add"), "add", h, b.embedding(at("vocab", "backbone"), ids, { vocab: 9, dim: 16 }));
  h = b.binary(at("pos.add"), "add", h, b.param(at("pos", "backbone"), [5, 16], { kind: "normal", std: 0.5 }, 1));
  const a = b.attention(at("attn", "heads"), b.layernorm(at("ln1"), h, { eps: 1e-5 }), { heads: 4 });
  h = b.binary(at("attn.add"), "add", h, a);
  h = b.unary(
    at("mlp.gelu"),
    "gelu",
    b.linear(at("mlp.fc", "backbone"), b.layernorm(at("ln2"), h, { eps: 1e-5 }), { out: 16, bias: true }),
  );
  const cls = b.select(at("cls"), h, 1, 0);
  const pooled = b.mean(at("pooled"), h, [1], false);
  const both = b.binary(at("mix"), "add", cls, pooled);
  const fixed = b.linear(at("proj"), both, { out: 16, bias: false });
  const t = b.transpose(at("t"), b.reshape(at("r"), fixed, ["N", 4, 4]), [0, 2, 1]);
  const out = b.linear(at("out"), b.flatten(at("flat"), b.unary(at("tanh"), "tanh", t), 1), { out: 3, bias: false });
  b.addTask({ name: "score", output: out, decode: { kind: "identity" }, loss: null, metric: null });
  return b.finish();
}
