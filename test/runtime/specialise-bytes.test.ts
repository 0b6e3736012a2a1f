// Specialising by patching the file's bytes (runtime/specialise.ts, compiler/onnx/patch-inputs.ts)
// gives the same model as decoding, specialising and re-encoding: same graph after a decode, same
// outputs from onnxruntime; and it refuses bytes that are not a model.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { decodeModel, OnnxDecodeError } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { inputsToConstants } from "../../compiler/onnx/patch-inputs";
import { specialiseBytes, specialiseOnnx } from "../../runtime/specialise";
import { compileSource, seededImage, TWO_TASK } from "../helpers/compiled";

const bytes = compileSource(TWO_TASK);
const decoded = decodeModel(bytes);

describe("specialiseBytes", () => {
  const cases = [
    { widths: { e: 0, seg: 3, cls: 1 }, run: { seg: true, cls: true } },
    { widths: { e: 3, seg: 0, cls: 2 }, run: { seg: false, cls: true } },
    { widths: { e: 2, seg: 2, cls: 0 }, run: { seg: true, cls: false } },
  ];

  it.each(cases)("decodes to the model specialiseOnnx gives (%j)", (fixed) => {
    const patched = decodeModel(specialiseBytes(bytes, fixed));
    expect(patched).toEqual(specialiseOnnx(decoded, fixed));
    expect(patched.graph.inputs.map((i) => i.name)).toEqual(["image"]);
  });

  it("gives the same outputs from onnxruntime as the re-encoded model", async () => {
    const image = new ort.Tensor("float32", seededImage(3 * 16 * 16), [1, 3, 16, 16]);
    for (const fixed of cases) {
      const a = await ort.InferenceSession.create(specialiseBytes(bytes, fixed));
      const b = await ort.InferenceSession.create(encodeModel(specialiseOnnx(decoded, fixed)));
      const ra = await a.run({ image });
      const rb = await b.run({ image });
      expect(Object.keys(ra).sort()).toEqual(Object.keys(rb).sort());
      for (const k of Object.keys(ra))
        expect(Array.from(ra[k].data as ArrayLike<unknown>)).toEqual(Array.from(rb[k].data as ArrayLike<unknown>));
      await a.release();
      await b.release();
    }
  });

  it("leaves a model without matching inputs unchanged, and refuses bytes that are not a model", () => {
    expect(decodeModel(inputsToConstants(bytes, () => undefined))).toEqual(decoded);
    expect(() => inputsToConstants(bytes.subarray(0, 300), () => undefined)).toThrow(OnnxDecodeError);
    expect(() => inputsToConstants(new Uint8Array(0), () => undefined)).toThrow(/no graph/);
  });
});
