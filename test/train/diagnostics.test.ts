// A layer whose gradient cannot be written gives MTL7001 at the layer's source line; layers after
// it still get their gradients.
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../compiler/ir/builder";
import { buildTrainingGraph } from "../../compiler/train/graph";
import { lossOf } from "../helpers/train-check";

const opts = { tasks: ["cls"], labels: true, distillOutputs: 0, distillFeatures: 0, gradients: true } as const;

describe("gradient diagnostics", () => {
  it("a conv over symbolic height and width reports MTL7001 at its source line", () => {
    const b = new GraphBuilder("sym", [1.0], 1);
    const x = b.input("image", "f32", ["N", 3, "H", "W"], 1);
    const src = (line: number) => ({ file: "sym.mtl", line, col: 5 });
    const h = b.conv({ name: "c0", group: null, source: src(3) }, x, {
      out: 4,
      kernel: [1, 1],
      stride: [1, 1],
      pads: [0, 0, 0, 0],
      dilation: [1, 1],
      groups: 1,
      bias: false,
    });
    let y = b.conv({ name: "c1", group: null, source: src(4) }, h, {
      out: 4,
      kernel: [3, 3],
      stride: [2, 2],
      pads: [1, 1, 1, 1],
      dilation: [1, 1],
      groups: 1,
      bias: false,
    });
    y = b.flatten(
      { name: "f", group: null, source: src(5) },
      b.globalAvgPool({ name: "g", group: null, source: src(5) }, y),
      1,
    );
    y = b.linear({ name: "fc", group: null, source: src(6) }, y, { out: 3, bias: true });
    b.addTask({ name: "cls", output: y, decode: { kind: "identity" }, loss: lossOf("cross_entropy"), metric: null });
    const tg = buildTrainingGraph(b.finish(), {}, opts);
    // c1's input gradient needs H and W; c0 then gets no gradient at all (the graph is unusable,
    // which the diagnostic says), so it is the one diagnostic.
    expect(tg.diagnostics.map((d) => [d.code, d.span.file, d.span.line])).toEqual([["MTL7001", "sym.mtl", 4]]);
    expect(tg.diagnostics[0].message).toContain("c1");
    expect(tg.diagnostics[0].message).toContain("fixed spatial sizes");
    expect(tg.model.graph.outputs.map((o) => o.name)).toContain("grad.fc.weight");
  });
});
