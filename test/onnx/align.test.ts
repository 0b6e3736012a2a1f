// alignTensorData (compiler/onnx/align.ts): every float initializer's raw_data starts at a multiple
// of 4 in the file, the model decodes to the same model, and onnxruntime computes the same outputs;
// decodeGraphOutputs reads the outputs without decoding the weights; align and inputsToConstants refuse
// bytes that are not a model with one graph.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { alignTensorData } from "../../compiler/onnx/align";
import { decodeModel, OnnxDecodeError } from "../../compiler/onnx/decode";
import { decodeGraphOutputs } from "../../compiler/onnx/decode-outputs";
import { encodeModel } from "../../compiler/onnx/encode";
import { floatInitializers } from "../../compiler/onnx/initializer-views";
import { inputsToConstants } from "../../compiler/onnx/patch-inputs";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const compiled = compileSource(TWO_TASK); // mtl compile aligns
const plain = encodeModel(decodeModel(compiled)); // as encoded, without padding

describe("alignTensorData", () => {
  it("aligns every float initializer and keeps the model", () => {
    const misaligned = [...floatInitializers(plain).values()].filter((t) => t.raw.byteOffset % 4 !== 0);
    expect(misaligned.length).toBeGreaterThan(0); // the test means something
    for (const bytes of [compiled, alignTensorData(plain), alignTensorData(compiled)]) {
      const inits = [...floatInitializers(bytes).values()];
      expect(inits.length).toBe(floatInitializers(plain).size);
      for (const t of inits) expect(t.raw.byteOffset % 4).toBe(0);
      expect(decodeModel(bytes)).toEqual(decodeModel(plain));
    }
    // Shifted by one byte inside a larger buffer, the graph's length prefix and paddings still work out.
    const shifted = new Uint8Array(plain.length + 1).subarray(1);
    shifted.set(plain);
    expect(decodeModel(alignTensorData(shifted))).toEqual(decodeModel(plain));
  });

  it("gives onnxruntime the same model", async () => {
    const image = new ort.Tensor("float32", seededImage(3 * 16 * 16), [1, 3, 16, 16]);
    const feeds = { image, "width.e": new ort.Tensor("int64", BigInt64Array.from([1n]), []) };
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const controls = Object.fromEntries(
        s.inputNames
          .filter((n) => !(n in feeds))
          .map((n) =>
            n.startsWith("run.")
              ? [n, new ort.Tensor("bool", Uint8Array.from([1]), [])]
              : [n, new ort.Tensor("int64", BigInt64Array.from([2n]), [])],
          ),
      );
      const r = await s.run({ ...feeds, ...controls });
      await s.release();
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v.data as ArrayLike<unknown>)]));
    };
    expect(await run(compiled)).toEqual(await run(plain));
  });

  it("refuses bytes that are not a model, and a model with no graph or two (as inputsToConstants does)", () => {
    const none = () => undefined;
    const noGraph = Uint8Array.from([0x08, 7]); // ir_version 7 and nothing else
    const twoGraphs = Uint8Array.from([...compiled, ...compiled]); // protobuf concatenation repeats the field
    for (const edit of [(b: Uint8Array) => alignTensorData(b), (b: Uint8Array) => inputsToConstants(b, none)]) {
      expect(() => edit(compiled.subarray(0, 200))).toThrow(/not an ONNX model/);
      expect(() => edit(twoGraphs)).toThrow(/no graph, or several/);
      expect(() => edit(noGraph)).toThrow(/no graph, or several/);
      expect(() => edit(noGraph)).toThrow(OnnxDecodeError);
    }
  });
});

describe("decodeGraphOutputs", () => {
  it("equals the decoded model's outputs, and refuses bytes that are not a model", () => {
    expect(decodeGraphOutputs(compiled)).toEqual(decodeModel(compiled).graph.outputs);
    expect(decodeGraphOutputs(compiled).length).toBeGreaterThan(1);
    expect(() => decodeGraphOutputs(compiled.subarray(0, 200))).toThrow(OnnxDecodeError);
  });
});
