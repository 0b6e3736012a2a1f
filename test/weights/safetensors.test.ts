import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafeTensor,
} from "../../compiler/weights/safetensors";

const sample = (): Map<string, SafeTensor> =>
  new Map<string, SafeTensor>([
    ["b.weight", { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
    ["a.num_batches_tracked", { dtype: "I64", shape: [], data: BigInt64Array.from([42n]) }],
    ["c.empty", { dtype: "F32", shape: [0], data: new Float32Array(0) }],
  ]);

/** A file with a hand-written header. */
function withHeader(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function errorOf(bytes: Uint8Array): SafetensorsError {
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw e;
  }
  throw new Error("expected a SafetensorsError");
}

describe("safetensors", () => {
  it("round-trips F32 and I64 tensors and metadata", () => {
    const file = decodeSafetensors(encodeSafetensors(sample(), { format: "pt" }));
    expect(file.metadata).toEqual({ format: "pt" });
    expect([...file.tensors.keys()].sort()).toEqual(["a.num_batches_tracked", "b.weight", "c.empty"]);
    expect(file.tensors.get("b.weight")).toEqual(sample().get("b.weight"));
    expect(file.tensors.get("a.num_batches_tracked")).toEqual(sample().get("a.num_batches_tracked"));
  });

  it("writes the same bytes whatever the map order, with the data 8-byte aligned", () => {
    const reversed = new Map([...sample()].reverse());
    const a = encodeSafetensors(sample());
    expect(Buffer.from(encodeSafetensors(reversed)).equals(Buffer.from(a))).toBe(true);
    const headerLength = Number(new DataView(a.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
  });

  it("reads a file written by the reference implementation's layout", () => {
    // {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} followed by 1.0, 2.0
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const file = decodeSafetensors(withHeader({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, data));
    expect([...file.tensors.get("x")!.data]).toEqual([1, 2]);
  });

  it("explains truncated files", () => {
    expect(errorOf(new Uint8Array(3)).reason).toBe("truncated");
    const full = encodeSafetensors(sample());
    const e = errorOf(full.subarray(0, full.length - 4));
    expect(e.reason).toBe("truncated");
    expect(e.message).toMatch(/is the file complete/);
    const header = new Uint8Array(16);
    new DataView(header.buffer).setBigUint64(0, 1000n, true);
    expect(errorOf(header).message).toMatch(/header claims 1000 bytes/);
  });

  it("explains bad headers", () => {
    const notJson = new Uint8Array(8 + 3);
    new DataView(notJson.buffer).setBigUint64(0, 3n, true);
    notJson.set(new TextEncoder().encode("{x}"), 8);
    expect(errorOf(notJson).message).toMatch(/not valid JSON/);
    expect(errorOf(withHeader([1, 2])).reason).toBe("bad-header");
    expect(
      errorOf(withHeader({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))).message,
    ).toMatch(/needs 12 bytes/);
    expect(errorOf(withHeader({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } })).message).toMatch(
      /invalid shape/,
    );
  });

  it("names unsupported dtypes", () => {
    const e = errorOf(withHeader({ w: { dtype: "F16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)));
    expect(e.reason).toBe("unsupported-dtype");
    expect(e.message).toBe(
      'tensor "w" has dtype F16; mtl reads F32 and I64 only (convert the checkpoint to float32 first)',
    );
  });
});
