import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { encodeModel } from "../../compiler/onnx/encode";
import { decodeModel, OnnxDecodeError } from "../../compiler/onnx/decode";
import { IR_VERSION, OPSET, PRODUCER, type OnnxGraph, type OnnxModel } from "../../compiler/onnx/model";
import { checkOnnx } from "../helpers/onnx-check";

const node = (
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: OnnxGraph["nodes"][number]["attributes"] = [],
) => ({ opType, inputs, outputs, name: outputs[0], domain: "", docString: "a.mtl:1:1", attributes });

function sampleModel(metadata: Record<string, string> = { mtl: '{"format":1}', b: "x" }): OnnxModel {
  const branch = (value: number): OnnxGraph => ({
    name: `branch${value}`,
    nodes: [node("Mul", ["x", `k${value}`], [`y${value}`])],
    inputs: [],
    outputs: [{ name: `y${value}`, dtype: "float", shape: null }],
    initializers: [{ name: `k${value}`, dtype: "float", dims: [], data: new Float32Array([value]) }],
    valueInfo: [],
    docString: "",
  });
  return {
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: PRODUCER,
    producerVersion: "0.1.0",
    docString: "test",
    metadata,
    graph: {
      name: "g",
      nodes: [
        node("Slice", ["w", "starts", "ends"], ["ws"]),
        node("Add", ["x", "ws"], ["s"]),
        node(
          "If",
          ["flag"],
          ["y"],
          [
            { name: "then_branch", kind: "graph", value: branch(2) },
            { name: "else_branch", kind: "graph", value: branch(3) },
          ],
        ),
        node("Flatten", ["s"], ["f"], [{ name: "axis", kind: "int", value: 1 }]),
      ],
      inputs: [
        { name: "x", dtype: "float", shape: ["N", 4] },
        { name: "flag", dtype: "bool", shape: [] },
        { name: "ends", dtype: "int64", shape: [1] },
      ],
      outputs: [
        { name: "y", dtype: "float", shape: ["N", 4] },
        { name: "f", dtype: "float", shape: [null, null] },
      ],
      initializers: [
        { name: "w", dtype: "float", dims: [4], data: new Float32Array([1, 2, 3, 4]) },
        { name: "starts", dtype: "int64", dims: [1], data: new BigInt64Array([0n]) },
      ],
      valueInfo: [],
      docString: "",
    },
  };
}

describe("onnx encode/decode", () => {
  it("round-trips every field", () => {
    const m = sampleModel();
    const back = decodeModel(encodeModel(m));
    expect(back).toEqual(m);
  });

  it("is deterministic, whatever the metadata insertion order", () => {
    const a = encodeModel(sampleModel({ a: "1", b: "2" }));
    const b = encodeModel(sampleModel({ b: "2", a: "1" }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("passes the ONNX checker and runs in onnxruntime", async () => {
    const bytes = encodeModel(sampleModel());
    expect(checkOnnx(bytes)).toEqual({ ok: true });
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", new Float32Array([1, 1, 1, 1]), [1, 4]);
    const out = await session.run({
      x,
      flag: new ort.Tensor("bool", [true], []),
      ends: new ort.Tensor("int64", new BigInt64Array([4n]), [1]),
    });
    expect([...(out.y.data as Float32Array)]).toEqual([2, 2, 2, 2]);
    expect([...(out.f.data as Float32Array)]).toEqual([2, 3, 4, 5]);
  });

  it("reports a checker failure with the checker's message", () => {
    const m = sampleModel();
    const broken = { ...m, graph: { ...m.graph, nodes: m.graph.nodes.slice(1) } };
    const r = checkOnnx(encodeModel(broken));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/ws/);
  });

  it("rejects bytes that are not a model", () => {
    expect(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(OnnxDecodeError);
  });
});
