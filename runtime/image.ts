// Image files as model inputs: PNG (pngjs) or JPEG (jpeg-js) decoded to RGB in [0, 1], resized
// to the input's H x W with bilinear interpolation (half-pixel centres, as PyTorch's
// align_corners=False), then normalised with the mean and std the model declares
// (`input photo: f32[N, 3, H, W] as image(mean: [...], std: [...])`).
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import type { ImagePreprocess } from "../compiler/ir/types";
import { InputError, type InputTensor } from "./inputs";
import { checkPngSize, ImageSizeError, JPEG_LIMITS } from "./image-guard";

export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array; // RGBA, row-major
}

export function decodeImage(bytes: Uint8Array, path: string): Rgba {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      checkPngSize(bytes, path);
      const png = PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
      return { width: j.width, height: j.height, data: j.data };
    }
  } catch (e) {
    if (e instanceof ImageSizeError) throw e;
    throw new InputError(`${path} could not be decoded (${(e as Error).message})`);
  }
  throw new InputError(`${path} is neither a PNG nor a JPEG image`, "convert it, or pass the tensor as .npy");
}

/** Bilinear sample of channel `c` of an RGBA image at fractional pixel (x, y). */
function sample(img: Rgba, c: number, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(img.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(img.height - 1, Math.floor(y)));
  const x1 = Math.min(img.width - 1, x0 + 1);
  const y1 = Math.min(img.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const at = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 4 + c];
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

/** One image as a [1, C, H, W] float tensor (C = 3: RGB; C = 1: luma). */
export function imageTensor(
  img: Rgba,
  channels: number,
  height: number,
  width: number,
  pre?: ImagePreprocess,
): InputTensor {
  const out = new Float32Array(channels * height * width);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const srcY = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < width; x++) {
      const srcX = (x + 0.5) * sx - 0.5;
      const rgb = [0, 1, 2].map((c) => sample(img, c, srcX, srcY) / 255);
      const values = channels === 1 ? [0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]] : rgb;
      values.forEach((v, c) => {
        out[(c * height + y) * width + x] = pre ? (v - pre.mean[c]) / pre.std[c] : v;
      });
    }
  }
  return { data: out, dims: [1, channels, height, width] };
}

/** Reads an image file for an input declared f32[N, C, H, W] (C = 1 or 3, H and W fixed). */
export function imageInput(
  bytes: Uint8Array,
  path: string,
  decl: { name: string; dtype: string; shape: readonly (number | string)[]; preprocess?: ImagePreprocess },
): InputTensor {
  const [, c, h, w] = decl.shape;
  if (
    decl.dtype !== "f32" ||
    decl.shape.length !== 4 ||
    (c !== 1 && c !== 3) ||
    typeof h !== "number" ||
    typeof w !== "number"
  )
    throw new InputError(
      `input \`${decl.name}\` (${decl.dtype}[${decl.shape.join(", ")}]) does not take images`,
      "images fit f32[N, 3 or 1, H, W] inputs with a fixed H and W; pass a .npy instead",
    );
  return imageTensor(decodeImage(bytes, path), c, h, w, decl.preprocess);
}

/**
 * uint8 pixel values (a .npy of a data set's images, docs/data.md) for a float32 input: scaled to
 * [0, 1] and normalised by the input's declared `as image(mean:, std:)` on axis 1, as the data
 * loader and image files are.
 */
export function pixelsTensor(
  data: Uint8Array,
  dims: readonly number[],
  decl: { name: string; shape: readonly (number | string)[]; preprocess?: ImagePreprocess },
): InputTensor {
  const pre = decl.preprocess;
  const channels = dims.length >= 2 ? dims[1] : 1;
  if (pre && dims.length === 4 && channels !== pre.mean.length)
    throw new InputError(
      `input \`${decl.name}\` has ${channels} channels but its preprocessing has ${pre.mean.length}`,
      `give a [N, ${pre.mean.length}, H, W] array`,
    );
  const plane = dims.slice(2).reduce((a, b) => a * b, 1);
  const out = Float32Array.from(data, (v, i) => {
    const x = v / 255;
    if (!pre || dims.length !== 4) return x;
    const c = Math.floor(i / plane) % channels;
    return (x - pre.mean[c]) / pre.std[c];
  });
  return { data: out, dims: [...dims] };
}
