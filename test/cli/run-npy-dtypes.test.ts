// `mtl run --input X.npy` on an f32 input: uint8 arrays are pixels (a data set's images, docs/data.md),
// scaled to [0, 1] and normalised by the input's `as image(mean:, std:)` as the data loader and image
// files are, so they predict what the same pixels as normalised float32 predict; int32 and bool
// arrays are refused (they were fed as raw values, predicting garbage with exit 0).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeNpy } from "../../runtime/npy";
import { checkInputs } from "../../runtime/inputs";
import { decodeModel } from "../../compiler/onnx/decode";
import { runMtl, STACK_TRACE } from "../helpers/cli";

const dir = mkdtempSync(join(tmpdir(), "mtl-npy-dtypes-"));
const root = join(import.meta.dirname, "..", "..");
const example = join(root, "examples", "multimnist.mtl");
const weights = join(root, "examples", "trained", "multimnist", "weights.safetensors");

function mtl(...args: string[]) {
  const r = runMtl(dir, args, 120_000);
  expect(r.err).not.toMatch(STACK_TRACE);
  return r;
}

// Seeded pixels, as uint8 and as the model's normalised float32.
const [MEAN, STD] = [0.146, 0.3244]; // examples/multimnist.mtl's `as image(mean:, std:)`
let pixels: Uint8Array;

beforeAll(() => {
  expect(mtl("compile", example, "-o", "mm.onnx", "--weights", weights).code).toBe(0);
  let seed = 5;
  pixels = new Uint8Array(4 * 28 * 28).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
  writeFileSync(join(dir, "u8.npy"), writeNpy(pixels, [4, 1, 28, 28]));
  writeFileSync(
    join(dir, "f32.npy"),
    writeNpy(
      Float32Array.from(pixels, (v) => (v / 255 - MEAN) / STD),
      [4, 1, 28, 28],
    ),
  );
  writeFileSync(join(dir, "i32.npy"), writeNpy(Int32Array.from(pixels), [4, 1, 28, 28]));
  writeFileSync(
    join(dir, "b1.npy"),
    writeNpy(
      Uint8Array.from(pixels, (v) => v & 1),
      [4, 1, 28, 28],
      true,
    ),
  );
}, 180_000);

describe("run --input .npy dtypes on an f32 image input", () => {
  it("uint8 pixels predict as the same pixels normalised to float32", () => {
    const outputs = (file: string) => {
      const r = mtl("run", "mm.onnx", "--input", file, "--config", "features=1", "-o", `out-${file}`);
      expect(r.code, r.err).toBe(0);
      return ["left", "right"].map((t) => readFileSync(join(dir, `out-${file}`, `${t}.npy`)));
    };
    const [u8, f32] = [outputs("u8.npy"), outputs("f32.npy")];
    expect(u8).toEqual(f32);
  });

  it("int32 and bool arrays are refused, naming the file and the fix", () => {
    for (const [file, kind] of [
      ["i32.npy", "int32"],
      ["b1.npy", "bool"],
    ]) {
      const r = mtl("run", "mm.onnx", "--input", file, "--config", "features=1");
      expect(r.code).toBe(1);
      expect(r.err).toContain(`takes float32 values, but ${file} holds ${kind}`);
      expect(r.err).toContain("save it as float32");
    }
  });

  it("the library refuses integer arrays for a float32 input instead of feeding raw values", () => {
    const meta = JSON.parse(decodeModel(new Uint8Array(readFileSync(join(dir, "mm.onnx")))).metadata.mtl);
    for (const data of [new Uint8Array(784), new Int32Array(784)])
      expect(() => checkInputs(meta, { image: { data, dims: [1, 1, 28, 28] } })).toThrow(/takes float32 values/);
  });
});
