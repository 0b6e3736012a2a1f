import { describe, expect, it } from "vitest";
import { indexWeights } from "../../test/helpers/index-weights";
import { at, convOpts, manyGroupNet, mobilenetV2, resnet18, twoTaskNet } from "../../test/helpers/reference-nets";
import { GraphBuilder } from "../ir/builder";
import { dce } from "../passes/dce";
import { specialise } from "../passes/specialise";
import { buildCostTable, costAt } from "./table";

const full = (g: ReturnType<typeof resnet18>) => costAt(buildCostTable(g), {});

describe("published figures", () => {
  it("ResNet-18: 11,689,512 parameters and 1.814G MACs", () => {
    const c = full(resnet18({ batch: 1 }));
    expect(c.params).toBe(11_689_512);
    expect(c.macs).toBe(1_814_073_344);
    expect(c.macs / 1e9).toBeCloseTo(1.814, 3);
  });

  it("ResNet-18 at narrower widths matches PyTorch models built at those widths", () => {
    // Reference: torchvision's ResNet with every stage's channels set to make_divisible(c * w, 8),
    // counted with forward hooks (conv: out elements x weight[0] elements; linear: weight elements).
    const expected = [
      [135_603_200, 831_096],
      [483_149_824, 3_055_880],
      [1_042_639_872, 6_675_352],
    ];
    const table = buildCostTable(resnet18());
    expected.forEach(([macs, params], i) => expect(costAt(table, { backbone: i })).toMatchObject({ macs, params }));
  });

  it("MobileNetV2: 3,504,872 parameters and 0.301G MACs", () => {
    const c = full(mobilenetV2());
    expect(c.params).toBe(3_504_872);
    expect(c.macs).toBe(300_774_272);
    expect(Math.abs(c.macs / 0.301e9 - 1)).toBeLessThan(0.005);
  });
});

describe("per-node formulas", () => {
  function builder() {
    const b = new GraphBuilder("f", [0.5, 1]);
    b.addGroup("g");
    return b;
  }
  const only = (b: GraphBuilder, out: string, config = {}) => {
    b.addTask({ name: "t", output: out, decode: { kind: "identity" }, loss: null, metric: null });
    return costAt(buildCostTable(b.finish()), config);
  };

  it("counts attention projections, Q.K^T and A.V, slimming by heads", () => {
    const b = builder();
    const y = b.attention(at("att", "g"), b.input("x", "f32", ["N", 10, 64], 2), { heads: 4 });
    const g = (b.addTask({ name: "t", output: y, decode: { kind: "identity" }, loss: null, metric: null }), b.finish());
    const table = buildCostTable(g);
    expect(costAt(table, {}).macs).toBe(10 * 64 * 192 + 10 * 64 * 64 + 2 * 100 * 64);
    expect(costAt(table, { g: 0 }).macs).toBe(10 * 64 * 96 + 10 * 32 * 64 + 2 * 100 * 32);
    expect(costAt(table, { g: 0 }).params).toBe(96 * 64 + 96 + 64 * 32 + 64);
  });

  it("counts symbolic sizes as 1 and never the batch", () => {
    const b = builder();
    expect(only(b, b.conv(at("c"), b.input("x", "f32", [7, 3, "H", "W"], 1), convOpts(8, 3))).macs).toBe(8 * 3 * 9);
    const l = builder();
    expect(
      only(l, l.linear(at("l", "g"), l.input("x", "f32", [4, 5, 32], 2), { out: 16, bias: false }), { g: 0 }).macs,
    ).toBe(5 * 32 * 8);
  });

  it("counts depthwise convs per channel and batchnorm statistics not at all", () => {
    const b = builder();
    const c = b.conv(at("c", "g"), b.input("x", "f32", [1, 3, 4, 4], 1), convOpts(32, 1));
    const dw = b.conv(at("dw", "g"), c, convOpts(32, 3, 1, { groups: 32 }));
    const cost = only(b, b.batchnorm(at("bn", "g"), dw, { eps: 1e-5 }), { g: 0 });
    expect(cost.macs).toBe(16 * 3 * 16 + 16 * 9 * 16);
    expect(cost.params).toBe(16 * 3 + 16 * 9 + 2 * 16);
  });
});

describe("cost table", () => {
  it("splits costs by part and leaves switched-off tasks out", () => {
    const table = buildCostTable(dce(twoTaskNet()));
    const all = costAt(table, {});
    const seg = costAt(table, {}, ["seg"]);
    expect(Object.keys(seg.byPart).sort()).toEqual(["seg", "shared"]);
    expect(seg.macs).toBe(all.byPart.shared.macs + all.byPart.seg.macs);
    expect(all.macs).toBe(all.byPart.shared.macs + all.byPart.seg.macs + all.byPart.depth.macs);
    expect(costAt(table, {}, []).macs).toBe(all.byPart.shared.macs);
  });

  it("merges terms that share a part and a group set", () => {
    const table = buildCostTable(resnet18());
    // every layer depends on the backbone's width, except the classifier's bias
    expect(table.terms.map((t) => [t.part, t.groups])).toEqual([
      ["classify", ["backbone"]],
      ["classify", []],
    ]);
    const many = buildCostTable(manyGroupNet());
    const keys = many.terms.map((t) => JSON.stringify([t.part, t.groups]));
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of many.terms)
      expect(t.macs.length).toBe(
        t.groups.reduce((n, g) => n * many.groups.find((x) => x.name === g)!.choices.length, 1),
      );
  });

  it("has each term depend only on shared groups and its own part's groups", () => {
    for (const g of [twoTaskNet(), manyGroupNet()]) {
      const table = buildCostTable(dce(g));
      const partOf = new Map(table.groups.map((x) => [x.name, x.part]));
      for (const t of table.terms)
        for (const group of t.groups) expect(["shared", t.part]).toContain(partOf.get(group));
    }
  });

  it("agrees with the cost of the specialised graph", () => {
    const g = dce(manyGroupNet());
    const config = { s1: 0, s2: 2, h1: 1, h2: 0, att: 0 };
    const s = specialise(g, indexWeights(g), config);
    expect(costAt(buildCostTable(s.graph), {})).toEqual(costAt(buildCostTable(g), config));
  });

  it("rejects width choices out of range", () => {
    expect(() => costAt(buildCostTable(resnet18()), { backbone: 7 })).toThrow(/no width choice 7/);
  });
});
