// What elaboration means: names, sharing, width groups, fixed layers, decoding, errors at spans.
import { describe, expect, it } from "vitest";
import { check, expectClean, expectError } from "../helpers/check";

const model = (body: string, blocks = "") => `${blocks}
model M {
  input image: f32[N, 3, 32, 32]
  widths 0.5, 1.0
${body}
}`;

describe("naming", () => {
  it("gives the stdlib ResNet-18 torchvision's parameter names", () => {
    const r = expectClean(`import { resnet18 } from "std/encoders/resnet"
import { classifier } from "std/heads/classify"
model R { input image: f32[1, 3, 224, 224]  encoder backbone = resnet18(image)  task cls { head classifier(backbone, 1000) } }`);
    const names = [...r.graphs[0].params.keys()];
    expect(names).toContain("conv1.weight");
    expect(names).toContain("layer1.0.bn2.running_var");
    expect(names).toContain("layer2.0.downsample.0.weight");
    expect(names).toContain("layer4.1.conv2.weight");
    expect(names).toContain("cls.fc.weight");
    expect(names.filter((n) => n.startsWith("layer3.")).length).toBe(2 * 10 + 5);
  });

  it("reports two layers labelled alike", () => {
    expectError(
      model(`  encoder e = image |> conv(8, k: 3) as c |> conv(8, k: 3) as c
  task t { head fixed conv(e, 2, k: 1) }`),
      "MTL2015",
      "conv(8, k: 3)",
    );
  });

  it("numbers unlabelled layers", () => {
    const r = expectClean(
      model(`  encoder e = image |> conv(8, k: 3) |> conv(8, k: 3)
  task t { head fixed conv(e, 2, k: 1) }`),
    );
    expect([...r.graphs[0].params.keys()]).toEqual(
      expect.arrayContaining(["conv.weight", "conv_1.weight", "t.conv.weight"]),
    );
  });
});

describe("sharing and width groups", () => {
  it("shares the encoder and gives each head its own part and group", () => {
    const r = expectClean(
      model(`  encoder e = image |> conv(16, k: 3) |> bn |> relu
  task a { head e |> conv(16, k: 3) |> fixed conv(2, k: 1) }
  task b { head e |> conv(16, k: 3) |> fixed conv(3, k: 1) }`),
    );
    const g = r.graphs[0];
    expect(g.groups.map((x) => [x.name, x.part])).toEqual([
      ["e", "shared"],
      ["a", "a"],
      ["b", "b"],
    ]);
    expect(g.nodes.find((n) => n.id === "conv")?.part).toBe("shared");
    expect(g.nodes.find((n) => n.id === "a.conv")?.part).toBe("a");
    expect(g.params.get("bn.weight")?.perWidth).toEqual(["e"]);
  });

  it("makes finer groups with `group`", () => {
    const r = expectClean(
      model(
        `  encoder e = net(image)
  task a { head e |> gap |> flatten |> fixed linear(4) }`,
        `block net(x: tensor) {
  group stem { y = x |> conv(16, k: 3) |> relu }
  return y |> conv(32, k: 3, stride: 2)
}`,
      ),
    );
    expect(r.graphs[0].groups.map((x) => x.name)).toEqual(["e", "e.stem"]);
  });

  it("requires a task's output to be fixed", () => {
    expectError(
      model(`  encoder e = image |> conv(16, k: 3)
  task a { head e |> conv(4, k: 1) }`),
      "MTL5010",
      "e |> conv(4, k: 1)",
    );
  });
});

describe("evaluation", () => {
  it("unrolls loops and evaluates conditionals lazily", () => {
    const r = expectClean(
      model(
        `  encoder e = deep(image, 3)
  task a { head e |> gap |> flatten |> fixed linear(4) }`,
        `block deep(x: tensor, n: int) {
  for i in 0..n { x = x |> conv(8, k: 3) as (i) |> relu }
  y = n > 10 ? conv(x, -1, k: 3) : x
  return y
}`,
      ),
    );
    expect([...r.graphs[0].params.keys()].filter((k) => /^\d\.weight$/.test(k))).toEqual([
      "0.weight",
      "1.weight",
      "2.weight",
    ]);
  });

  it("reports a block that calls itself forever", () => {
    expectError(
      model(
        `  encoder e = f(image)
  task a { head fixed conv(e, 2, k: 1) }`,
        `block f(x: tensor) { return f(x) }`,
      ),
      "MTL4007",
    );
  });

  it("bounds loops", () => {
    expectError(
      model(
        `  encoder e = f(image)
  task a { head fixed conv(e, 2, k: 1) }`,
        `block f(x: tensor) { repeat 100000 { x = relu(x) } return x }`,
      ),
      "MTL4008",
      "100000",
    );
  });

  it("stops at the first error in an expression instead of cascading", () => {
    const r = check(
      model(`  encoder e = image |> conv(16, k: 3, strid: 2) |> bn |> relu |> conv(-1, k: 0)
  task a { head fixed conv(e, 2, k: 1) }`),
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual(["MTL2008"]);
  });
});

describe("decoding", () => {
  it("checks decoders against the head output", () => {
    expectError(
      model(`  encoder e = image |> conv(16, k: 3)
  task a { head e |> gap |> flatten |> fixed linear(4) decode topk(k: 5) }`),
      "MTL5005",
      "k: 5",
    );
    expectError(
      model(`  encoder e = image |> conv(16, k: 3)
  task a { head fixed conv(e, 2, k: 1) decode beam(beams: 2) }`),
      "MTL5005",
    );
  });
  it("records the spec", () => {
    const r = expectClean(
      model(`  encoder e = image |> conv(16, k: 3)
  task a { head fixed conv(e, 2, k: 1) decode argmax(axis: 1) loss cross_entropy(ignore: 255) metric miou }`),
    );
    const loss = { kind: "cross_entropy", ignoreIndex: 255 };
    expect(r.graphs[0].tasks[0]).toMatchObject({
      name: "a",
      decode: { kind: "argmax", axis: 1 },
      loss,
      metric: "miou",
    });
  });
});
