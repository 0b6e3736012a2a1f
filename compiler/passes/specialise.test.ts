import { describe, expect, it } from "vitest";
import { indexWeights } from "../../test/helpers/index-weights";
import { at, convOpts, twoTaskNet } from "../../test/helpers/reference-nets";
import { GraphBuilder } from "../ir/builder";
import type { Graph } from "../ir/types";
import { verify } from "../ir/verify";
import { fullConfig } from "../ir/width";
import { specialise } from "./specialise";

const task = (output: string) => ({
  name: "t",
  output,
  decode: { kind: "identity" as const },
  loss: null,
  metric: null,
});
const shapeOf = (g: Graph, name: string) => g.params.get(name)!.shape;

describe("specialise", () => {
  it("cuts parameters, weights and values to one configuration", () => {
    const g = twoTaskNet();
    const w = indexWeights(g);
    // backbone 0.5 -> 16 channels, seg 0.25 -> 8 (never below the divisor), depth 0.75 -> 16 (12 rounds up to 16)
    const s = specialise(g, w, { backbone: 1, seg: 0, depth: 2 });
    expect(verify(s.graph)).toEqual([]);
    expect(s.graph.groups).toEqual([]);
    expect(shapeOf(s.graph, "backbone.conv1.weight")).toEqual([16, 3, 3, 3]);
    expect(shapeOf(s.graph, "seg.conv1.weight")).toEqual([8, 16, 3, 3]);
    expect(shapeOf(s.graph, "depth.conv1.weight")).toEqual([16, 16, 3, 3]);
    expect(s.graph.values.get("backbone.add")!.type.shape).toEqual(["N", 16, 16, 16]);
    for (const p of s.graph.params.values()) {
      expect(p.perWidth).toBeNull();
      expect(s.weights.get(p.name)!.length).toBe(p.shape.reduce((a, b) => a * b, 1));
    }
    // seg.conv1.weight [16, 32, 3, 3] -> [8, 16, 3, 3]: element (o, i, kh, kw) came from o*288 + i*9 + kh*3 + kw
    const cut = s.weights.get("seg.conv1.weight")!;
    expect(cut[0]).toBe(0);
    expect(cut[9]).toBe(9);
    expect(cut[16 * 9]).toBe(288);
    // switchable batchnorm: row 1 of the backbone's, first 16 entries
    expect([...s.weights.get("backbone.bn1.weight")!]).toEqual(Array.from({ length: 16 }, (_, i) => i + 0.5));
  });

  it("at full width keeps every shape and picks the last switchable row", () => {
    const g = twoTaskNet();
    const s = specialise(g, indexWeights(g), fullConfig(g));
    expect(verify(s.graph)).toEqual([]);
    for (const p of g.params.values()) expect(shapeOf(s.graph, p.name)).toEqual(p.shape);
    expect(s.weights.get("depth.bn1.bias")![0]).toBe(1.5);
  });

  it("slices flattened and concatenated layouts segment by segment", () => {
    const b = new GraphBuilder("seg", [0.5, 1]);
    b.addGroup("a");
    b.addGroup("h");
    const x = b.input("x", "f32", [1, 3, 2, 2], 1);
    const ca = b.conv(at("ca", "a"), x, convOpts(16, 1));
    const ch = b.conv(at("ch", "h"), x, convOpts(16, 1));
    const cat = b.concat(at("cat"), [ca, ch], 1);
    const r = b.reshape(at("r"), cat, [1, 32, 4]);
    const fc = b.linear(at("fc"), b.flatten(at("f"), r, 1), { out: 2, bias: false });
    b.addTask(task(fc));
    const g = b.finish();
    const s = specialise(g, indexWeights(g), { a: 0, h: 1 });
    expect(verify(s.graph)).toEqual([]);
    expect(s.graph.nodes.find((n) => n.id === "r")!.attrs.shape).toEqual([1, 24, 4]);
    expect(shapeOf(s.graph, "fc.weight")).toEqual([2, 96]);
    const row0 = [...s.weights.get("fc.weight")!.subarray(0, 96)];
    // first 8 channels of 'a' (x4 positions), then all 16 of 'h' starting at column 64
    expect(row0.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(row0.slice(32)).toEqual(Array.from({ length: 64 }, (_, i) => 64 + i));
  });

  it("updates depthwise groups and attention heads", () => {
    const b = new GraphBuilder("dw", [0.5, 1]);
    b.addGroup("g");
    const x = b.input("x", "f32", [1, 3, 4, 4], 1);
    const c = b.conv(at("c", "g"), x, convOpts(32, 1));
    const dw = b.conv(at("dw", "g"), c, convOpts(32, 3, 1, { groups: 32 }));
    const t = b.input("t", "f32", [1, 5, 64], 2);
    const att = b.attention(at("att", "g"), t, { heads: 8 });
    b.addTask(task(dw));
    b.addTask({ ...task(att), name: "u" });
    const s = specialise(b.finish(), indexWeights(b.finish()), { g: 0 });
    expect(verify(s.graph)).toEqual([]);
    expect(s.graph.nodes.find((n) => n.id === "dw")!.attrs.groups).toBe(16);
    expect(s.graph.nodes.find((n) => n.id === "att")!.attrs.heads).toBe(4);
    expect(shapeOf(s.graph, "att.in_proj_weight")).toEqual([96, 64]);
    expect(shapeOf(s.graph, "att.out_proj.weight")).toEqual([64, 32]);
    // the k block starts at row 64 of the full weight: its first row comes from row 64
    expect(s.weights.get("att.in_proj_weight")![32 * 64]).toBe(64 * 64);
  });

  it("rejects unknown groups, choices and missing weights", () => {
    const g = twoTaskNet();
    expect(() => specialise(g, indexWeights(g), { nope: 0 })).toThrow(/unknown width group/);
    expect(() => specialise(g, indexWeights(g), { seg: 4 })).toThrow(/no width choice/);
    expect(() => specialise(g, new Map(), {})).toThrow(/no weights/);
  });
});
