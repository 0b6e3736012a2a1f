// A seeded synthetic RGB image (sky, ground, a few shapes) as the playground's sample input:
// deterministic, needs no download, and has enough structure for dense heads to show something.

import type { ImagePreprocess } from "../../compiler/ir/types";
import { mulberry32 } from "../../compiler/weights/init";

/**
 * `rgb`: interleaved bytes (H×W×3); `normalised`: planar [3, H, W] floats in [0, 1], then
 * (x - mean) / std when the input declares `as image(mean, std)` (as `mtl run` does with files).
 */
export function sampleImage(
  height: number,
  width: number,
  seed: number,
  pre?: ImagePreprocess,
): { rgb: Uint8Array; normalised: Float32Array } {
  const rnd = mulberry32(seed);
  const rgb = new Uint8Array(height * width * 3);
  const horizon = 0.55 + 0.1 * rnd();
  const shapes = Array.from({ length: 4 }, () => ({
    circle: rnd() < 0.5,
    cx: rnd(),
    cy: 0.35 + 0.5 * rnd(),
    r: 0.08 + 0.15 * rnd(),
    c: [rnd() * 255, rnd() * 255, rnd() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = y / height;
      const u = x / width;
      let c = v < horizon ? [90 + 100 * v, 150 + 80 * v, 235] : [70 + 40 * (v - horizon), 120 - 30 * (v - horizon), 60];
      for (const s of shapes) {
        const dx = (u - s.cx) * (width / height);
        const dy = v - s.cy;
        const inside = s.circle ? dx * dx + dy * dy < s.r * s.r : Math.abs(dx) < s.r && Math.abs(dy) < s.r * 0.7;
        if (inside) c = s.c;
      }
      const i = (y * width + x) * 3;
      const n = (rnd() - 0.5) * 12;
      for (let k = 0; k < 3; k++) rgb[i + k] = Math.max(0, Math.min(255, Math.round(c[k] + n)));
    }
  }
  const plane = height * width;
  const normalised = new Float32Array(3 * plane);
  const mean = pre?.mean ?? [0, 0, 0];
  const std = pre?.std ?? [1, 1, 1];
  for (let p = 0; p < plane; p++)
    for (let k = 0; k < 3; k++) normalised[k * plane + p] = (rgb[p * 3 + k] / 255 - mean[k]) / std[k];
  return { rgb, normalised };
}
