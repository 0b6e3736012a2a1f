// Readers given a Node Buffer instead of a plain Uint8Array (what readFileSync returns, often a view
// into a shared pool at an odd offset): Buffer#slice is a view, not a copy, so a reader that copied
// with slice() and then took `.buffer` read the whole pool. Each reader must give the same values
// for a Buffer at an odd offset as for a fresh Uint8Array.
import { describe, expect, it } from "vitest";
import { decodeModel } from "../../compiler/onnx/decode";
import { decodeSafetensors, encodeSafetensors } from "../../compiler/weights/safetensors";
import { readNpy, writeNpy } from "../../runtime/npy";
import { modelBytes } from "../serve/fixtures";

/** The same bytes inside a larger Buffer, at byte offset 3 (so neither aligned nor at 0). */
const asOddBuffer = (bytes: Uint8Array): Buffer => Buffer.concat([Buffer.from([7, 7, 7]), bytes]).subarray(3);

describe("readers take Node Buffers at any offset", () => {
  it("decodeModel: every initializer equals the plain decode", () => {
    const bytes = new Uint8Array(modelBytes().two);
    const plain = decodeModel(bytes);
    const fromBuffer = decodeModel(asOddBuffer(bytes));
    expect(fromBuffer.graph.initializers.length).toBeGreaterThan(0);
    plain.graph.initializers.forEach((t, i) => {
      const u = fromBuffer.graph.initializers[i];
      expect(u.name).toBe(t.name);
      expect(Array.from(u.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(t.data as ArrayLike<number | bigint>),
      );
    });
  });

  it("readNpy: float32 and int64 values", () => {
    const floats = Float32Array.from({ length: 37 }, (_, i) => i * 0.25 - 3);
    const ints = BigInt64Array.from({ length: 5 }, (_, i) => BigInt(i * 1000 - 7));
    expect([...readNpy(asOddBuffer(writeNpy(floats, [37]))).data]).toEqual([...floats]);
    expect([...readNpy(asOddBuffer(writeNpy(ints, [5]))).data]).toEqual([...ints]);
  });

  it("decodeSafetensors: tensor values", () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    const bytes = encodeSafetensors(new Map([["w", { dtype: "F32", shape: [3, 4], data }]]));
    const t = decodeSafetensors(asOddBuffer(bytes)).tensors.get("w")!;
    expect([...(t.data as Float32Array)]).toEqual([...data]);
  });
});
