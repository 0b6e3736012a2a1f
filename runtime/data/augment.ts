// Training augmentation, as torchvision's RandomCrop(size, padding) then RandomHorizontalFlip:
// zero-pad each side by P, crop back to H x W at a random offset, mirror with probability 1/2.
// The draws are made in sample order from a seeded generator, before any reading happens, so
// the result does not depend on how far prefetching has run ahead.
import type { AugmentSpec } from "../../compiler/train/spec";
import { intIn, type Rng } from "./random";

export interface SampleAugment {
  readonly dy: number; // crop offset in the padded image, 0..2P
  readonly dx: number;
  readonly flip: boolean;
}

export const isAugmenting = (a: AugmentSpec | undefined): a is AugmentSpec => !!a && (a.cropPadding > 0 || a.hflip);

export function drawAugment(spec: AugmentSpec, rng: Rng): SampleAugment {
  const p = spec.cropPadding;
  const dy = p > 0 ? intIn(rng, 0, 2 * p) : p;
  const dx = p > 0 ? intIn(rng, 0, 2 * p) : p;
  return { dy, dx, flip: spec.hflip && intIn(rng, 0, 1) === 1 };
}

type Plane = Float32Array | BigInt64Array;

/**
 * Crops and flips each [.., H, W] sample of `data` in place (`perSample` elements each): out[y][x] =
 * in[y + dy - P][x' + dx - P] with x' = W - 1 - x when flipped, `fill` outside the image.
 */
export function applyAugment(
  data: Plane,
  perSample: number,
  h: number,
  w: number,
  padding: number,
  draws: readonly SampleAugment[],
  fill: number,
): void {
  const planes = perSample / (h * w);
  const tmp = data instanceof Float32Array ? new Float32Array(h * w) : new BigInt64Array(h * w);
  const fillValue = data instanceof Float32Array ? fill : BigInt(fill);
  const t = tmp as unknown as (number | bigint)[];
  draws.forEach((d, s) => {
    if (d.dy === padding && d.dx === padding && !d.flip) return; // the identity crop
    for (let c = 0; c < planes; c++) {
      const base = s * perSample + c * h * w;
      const plane = data.subarray(base, base + h * w) as unknown as (number | bigint)[];
      for (let y = 0; y < h; y++) {
        const sy = y + d.dy - padding;
        for (let x = 0; x < w; x++) {
          const sx = (d.flip ? w - 1 - x : x) + d.dx - padding;
          t[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? plane[sy * w + sx] : fillValue;
        }
      }
      (data as Float32Array).set(tmp as Float32Array, base);
    }
  });
}
