// rawTaskOutputs drops each decoding mtl lowers (compiler/lower/decode.ts) and names the tensor it
// read after the task: checked on a graph with one task per decoding kind, run by onnxruntime.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeModel } from "../../compiler/onnx/encode";
import type { OnnxModel, OnnxNode } from "../../compiler/onnx/model";
import { rawTaskOutputs } from "../../compiler/rewrite/raw-outputs";

const node = (opType: string, inputs: string[], outputs: string[], attrs: OnnxNode["attributes"] = []): OnnxNode => ({
  opType,
  inputs,
  outputs,
  name: outputs[0],
  domain: "",
  docString: "",
  attributes: attrs,
});
const axis1 = [{ name: "axis", kind: "int" as const, value: 1 }];
const f32 = (name: string, v: number[]) => ({
  name,
  dtype: "float" as const,
  dims: [v.length],
  data: Float32Array.from(v),
});

// Each task's raw tensor is the input times a different constant, so the outputs are told apart.
const tasks = [
  { name: "a", decode: { kind: "argmax" } },
  { name: "s", decode: { kind: "softmax" } },
  { name: "t", decode: { kind: "topk" } },
  { name: "h", decode: { kind: "threshold" } },
  { name: "l", decode: { kind: "l2norm" } },
  { name: "i", decode: { kind: "identity" } },
];
const nodes: OnnxNode[] = [
  ...tasks.map((t, k) => node("Mul", ["x", `k${k}`], [`${t.name}.raw`])),
  node("ArgMax", ["a.raw"], ["a"], [...axis1, { name: "keepdims", kind: "int", value: 0 }]),
  node("Softmax", ["s.raw"], ["s"], axis1),
  node("TopK", ["t.raw", "two"], ["t.values", "t.indices"], axis1),
  node("Sigmoid", ["h.raw"], ["h.sigmoid"]),
  node("Greater", ["h.sigmoid", "half"], ["h"]),
  node("ReduceL2", ["l.raw"], ["l.norm"], [{ name: "axes", kind: "ints", value: [1] }]),
  node("Max", ["l.norm", "eps"], ["l.max"]),
  node("Div", ["l.raw", "l.max"], ["l"]),
  node("Identity", ["i.raw"], ["i"]),
];
const model: OnnxModel = {
  irVersion: 8,
  opset: 17,
  producerName: "test",
  producerVersion: "",
  docString: "",
  metadata: {},
  graph: {
    name: "g",
    nodes,
    inputs: [{ name: "x", dtype: "float", shape: [2, 3] }],
    outputs: ["a", "s", "t.values", "t.indices", "h", "l", "i"].map((name) => ({
      name,
      dtype: name === "a" || name === "t.indices" ? "int64" : name === "h" ? "bool" : "float",
      shape: null,
    })),
    initializers: [
      ...tasks.map((_, k) => f32(`k${k}`, [k + 2])),
      f32("half", [0.5]),
      f32("eps", [1e-12]),
      { name: "two", dtype: "int64", dims: [1], data: BigInt64Array.from([2n]) },
    ],
    valueInfo: [],
    docString: "",
  },
};

describe("rawTaskOutputs", () => {
  it("yields every task's raw tensor under the task's name and drops the decoding", async () => {
    const raw = rawTaskOutputs(model, tasks);
    expect(raw.graph.outputs.map((o) => o.name)).toEqual(tasks.map((t) => t.name));
    const left = raw.graph.nodes.map((n) => n.opType);
    for (const op of ["ArgMax", "Softmax", "TopK", "Sigmoid", "Greater", "ReduceL2", "Div"])
      expect(left).not.toContain(op);
    const s = await ort.InferenceSession.create(encodeModel(raw), { logSeverityLevel: 3 });
    const x = Float32Array.from([1, -2, 3, 0.5, 4, -1]);
    const out = await s.run({ x: new ort.Tensor("float32", x, [2, 3]) });
    tasks.forEach((t, k) => {
      expect(out[t.name].dims).toEqual([2, 3]);
      expect([...(out[t.name].data as Float32Array)]).toEqual([...x].map((v) => Math.fround(v * (k + 2))));
    });
    await s.release();
  });

  it("refuses a graph whose decoding is not where the task says", () => {
    expect(() => rawTaskOutputs(model, [{ name: "s", decode: { kind: "argmax" } }])).toThrow(/not made by ArgMax/);
  });
});
