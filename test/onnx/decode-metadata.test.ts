// decodeMetadata reads the same metadata as the full decode, without decoding the graph: on every
// example (and a static one), on a protobuf-encoded sample, and it refuses what decodeModel refuses
// at the top level (truncated files, no graph).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel, OnnxDecodeError } from "../../compiler/onnx/decode";
import { decodeMetadata } from "../../compiler/onnx/decode-metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { compileFile } from "../../lib/compiler";
import { compileSource, TWO_TASK } from "../helpers/compiled";

const root = join(import.meta.dirname, "..", "..");
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".mtl"))
  .sort();

describe("decodeMetadata", () => {
  it.each(examples)(
    "equals the full decode's metadata on examples/%s",
    (file) => {
      const r = compileFile(join(root, "examples", file));
      if (!r.ok) throw new Error(`examples/${file} does not compile`);
      const metadata = decodeMetadata(r.compiled.bytes);
      expect(Object.keys(metadata)).toContain("mtl");
      expect(metadata).toEqual(decodeModel(r.compiled.bytes).metadata);
    },
    60_000,
  );

  it("equals the full decode on a static model (mtl.config) and after a re-encode", () => {
    const bytes = compileSource(TWO_TASK, { e: 1 });
    const full = decodeModel(bytes);
    expect(Object.keys(decodeMetadata(bytes)).sort()).toEqual(["mtl", "mtl.config", "mtl.costs"]);
    expect(decodeMetadata(bytes)).toEqual(full.metadata);
    const edited = encodeModel({ ...full, metadata: { ...full.metadata, extra: "é ✓ \u0000" } });
    expect(decodeMetadata(edited)).toEqual(decodeModel(edited).metadata);
  });

  it("refuses truncated bytes, a model without a graph, and bytes that are not protobuf", () => {
    const bytes = compileSource(TWO_TASK);
    for (const cut of [5, 300, bytes.length - 1]) {
      expect(() => decodeMetadata(bytes.subarray(0, cut))).toThrow(OnnxDecodeError);
      expect(() => decodeModel(bytes.subarray(0, cut))).toThrow(OnnxDecodeError);
    }
    expect(() => decodeMetadata(new Uint8Array(0))).toThrow(/no graph/);
    expect(() => decodeModel(new Uint8Array(0))).toThrow(/no graph/);
    expect(() => decodeMetadata(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(OnnxDecodeError);
  });
});
