// Image sizes are checked before decoding: a PNG's header may declare 2^31-1 pixels across (zlib
// then aborts the process) or a 69-byte file may claim 20000 x 20000 pixels (5.5 GB decoded). The
// declared size must fit a pixel cap and be possible for the file's size.
import { MtlError } from "../compiler/errors";

/** An image too large to decode, or whose header cannot be true (docs/errors.md). */
export class ImageSizeError extends MtlError {
  constructor(message: string) {
    super(
      "MTL-IN-102",
      message,
      `images may hold at most ${MAX_IMAGE_PIXELS / 1e6} million pixels; resize it, or pass the tensor as .npy`,
    );
  }
}

/** Largest image decoded, in pixels (50 megapixels: 200 MB as RGBA). */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** Deflate cannot compress better than about 1032:1, so a PNG's pixel data is at most this many times its file size. */
const DEFLATE_RATIO = 1100;

/** Width and height from a PNG's IHDR chunk, if the header is there. */
function pngSize(bytes: Uint8Array): { width: number; height: number; bytesPerPixel: number } | undefined {
  if (bytes.length < 29) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isIhdr = String.fromCharCode(...bytes.subarray(12, 16)) === "IHDR";
  if (!isIhdr) return undefined;
  const bitDepth = bytes[24];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[bytes[25]] ?? 4;
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bytesPerPixel: Math.max(1, (channels * bitDepth) / 8),
  };
}

/** Throws an ImageSizeError for a PNG whose declared size is over the cap or impossible for its file size. */
export function checkPngSize(bytes: Uint8Array, path: string): void {
  const size = pngSize(bytes);
  if (!size) return; // not a PNG header mtl can read: the decoder reports it
  const { width, height, bytesPerPixel } = size;
  const pixels = width * height;
  if (width === 0 || height === 0) throw new ImageSizeError(`${path} declares an empty image (${width} x ${height})`);
  if (pixels > MAX_IMAGE_PIXELS)
    throw new ImageSizeError(`${path} declares ${width} x ${height} pixels, more than mtl decodes`);
  const raw = height * (1 + width * bytesPerPixel);
  if (raw > bytes.length * DEFLATE_RATIO)
    throw new ImageSizeError(
      `${path} declares ${width} x ${height} pixels, which a ${bytes.length}-byte PNG cannot hold: it is damaged`,
    );
}

/** Options that bound jpeg-js's work and memory. */
export const JPEG_LIMITS = { maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 };
