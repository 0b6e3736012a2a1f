// Issue 15 item 10: inputs to `mtl run` (.npy, .json, .png) with hostile headers or structure get
// clear, coded errors before anything large is allocated.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isMtlError } from "../../compiler/errors";
import { decodeImage } from "../../runtime/image";
import { MAX_IMAGE_PIXELS } from "../../runtime/image-guard";
import { jsonTensor } from "../../runtime/json-input";
import { NpyError, readNpy, writeNpy } from "../../runtime/npy";

function npy(header: string, body: Uint8Array, major = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(body, pre + h.length);
  return out;
}

const userError = (f: () => unknown): Error & { code: string } => {
  try {
    f();
  } catch (e) {
    expect(isMtlError(e), String(e)).toBe(true);
    return e as Error & { code: string };
  }
  throw new Error("expected an error");
};

describe(".npy inputs", () => {
  const floats = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  it("reads versions 1, 2 and 3", () => {
    for (const major of [1, 2, 3]) {
      const a = readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", floats, major));
      expect(a.shape).toEqual([2, 3]);
      expect([...(a.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const round = readNpy(writeNpy(new Float32Array([7, 8]), [2]));
    expect([...(round.data as Float32Array)]).toEqual([7, 8]);
  });

  it.each([
    [
      "a negative dimension",
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }\n", floats),
      /bad dimension `-3`/,
    ],
    [
      "a huge dimension",
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }\n", floats),
      /truncated/,
    ],
    [
      "a fractional dimension",
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }\n", floats),
      /bad dimension/,
    ],
    [
      "a truncated header",
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", floats).slice(0, 30),
      /truncated .npy header/,
    ],
    [
      "a header length past the end",
      (() => {
        const b = npy("{'descr': '<f4', 'shape': (1,), }\n", new Uint8Array(4), 2);
        new DataView(b.buffer).setUint32(8, 2 ** 31, true);
        return b;
      })(),
      /truncated .npy header/,
    ],
    ["version 9", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", floats, 9), /version 9/],
    ["a short prefix", new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 1, 0, 0]), /truncated/],
  ])("rejects %s", (_, bytes, pattern) => {
    // NpyError is the CLI's user error for .npy files (an MtlError once harden-a's conversion lands).
    expect(() => readNpy(bytes)).toThrow(NpyError);
    expect(() => readNpy(bytes)).toThrow(pattern);
  });
});

describe(".json inputs", () => {
  it("reads numbers and rectangular nested arrays", () => {
    expect(jsonTensor("[[1, 2], [3, 4]]", "x.json")).toEqual({ data: [1, 2, 3, 4], dims: [2, 2] });
    expect(jsonTensor("5", "x.json")).toEqual({ data: [5], dims: [] });
  });

  it.each([
    ["null", "null", /is null, not a number/],
    ["an object", "{}", /is an object/],
    ["a string", '"abc"', /string "abc"/],
    ["ragged arrays", "[[1, 2], [3]]", /\[1\] is an array of 1/],
    ["a null inside", "[[1, null]]", /\[0\]\[1\] is null/],
    ["100k-deep nesting", `${"[".repeat(100_000)}1${"]".repeat(100_000)}`, /deeper than 32/],
    ["not JSON", "[1, 2", /not valid JSON/],
  ])("rejects %s", (_, text, pattern) => {
    expect(userError(() => jsonTensor(text, "x.json")).message).toMatch(pattern);
  });
});

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
/** A valid-looking PNG header declaring width x height RGBA pixels, with a tiny IDAT. */
function png(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(new Uint8Array(8))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("image inputs", () => {
  it("refuses a PNG declaring 2^31-1 pixels across before zlib sees it", () => {
    const e = userError(() => decodeImage(png(2 ** 31 - 1, 1), "wide.png"));
    expect(e.message).toMatch(/declares 2147483647 x 1 pixels/);
  });

  it("refuses a 69-byte PNG declaring 20000 x 20000 pixels", () => {
    const bytes = png(20000, 20000);
    expect(bytes.length).toBeLessThan(100);
    expect(userError(() => decodeImage(bytes, "bomb.png")).message).toMatch(/more than mtl decodes|cannot hold/);
  });

  it("refuses a small PNG that declares more pixels than its bytes can hold", () => {
    expect(20 * 2000 * 2000).toBeLessThan(MAX_IMAGE_PIXELS * 20);
    expect(userError(() => decodeImage(png(2000, 2000), "small.png")).message).toMatch(/cannot hold/);
  });
});
