// Image files as inputs: decoding, half-pixel bilinear resizing and the declared normalisation.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeImage, imageInput, imageTensor } from "../../runtime/image";

function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      p.data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return new Uint8Array(PNG.sync.write(p));
}

describe("image inputs", () => {
  it("decodes a PNG to RGB in [0, 1], channels first", () => {
    const t = imageTensor(
      decodeImage(
        png(2, 1, (x) => (x ? [255, 0, 51] : [0, 255, 102])),
        "a.png",
      ),
      3,
      1,
      2,
    );
    expect(t.dims).toEqual([1, 3, 1, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 1, 0, 0.4, 0.2].map((v) => Math.fround(v)));
  });

  it("resizes with half-pixel bilinear interpolation, like PyTorch (align_corners=False)", () => {
    const t = imageTensor(
      decodeImage(
        png(2, 1, (x) => (x ? [255, 255, 255] : [0, 0, 0])),
        "a.png",
      ),
      1,
      1,
      4,
    );
    expect(Array.from(t.data as Float32Array).map((v) => +v.toFixed(4))).toEqual([0, 0.25, 0.75, 1]);
  });

  it("applies the declared mean and std", () => {
    const bytes = png(3, 3, () => [255, 128, 0]);
    const t = imageInput(bytes, "a.png", {
      name: "image",
      dtype: "f32",
      shape: ["N", 3, 2, 2],
      preprocess: { kind: "image", mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] },
    });
    const d = t.data as Float32Array;
    expect(d[0]).toBeCloseTo(1, 5); // (1 - 0.5) / 0.5
    expect(d[4]).toBeCloseTo((128 / 255 - 0.5) / 0.25, 5);
    expect(d[8]).toBeCloseTo(-0.5, 5);
  });

  it("reads JPEG", () => {
    const w = 8,
      h = 8;
    const data = new Uint8Array(w * h * 4).fill(200);
    const bytes = jpeg.encode({ width: w, height: h, data }, 95).data;
    const t = imageTensor(decodeImage(new Uint8Array(bytes), "a.jpg"), 3, 4, 4);
    for (const v of t.data as Float32Array) expect(Math.abs(v - 200 / 255)).toBeLessThan(0.02);
  });

  it("refuses inputs that are not images and files that are not images", () => {
    expect(() =>
      imageInput(
        png(2, 2, () => [0, 0, 0]),
        "a.png",
        { name: "tokens", dtype: "i64", shape: ["N", "T"] },
      ),
    ).toThrow(/does not take images/);
    expect(() => decodeImage(new TextEncoder().encode("hello"), "x.png")).toThrow(/neither a PNG nor a JPEG/);
  });
});
