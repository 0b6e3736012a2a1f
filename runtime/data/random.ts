// Seeded randomness for the loader, from mtl's one PRNG (compiler/util/prng.ts): one stream per
// (seed, epoch, purpose), so that shuffling and augmentation are reproducible and independent of
// how far the prefetching has run ahead.
import { mix32, seededRng, type Rng } from "../../compiler/util/prng";

export type { Rng };

/** Purposes get their own stream, so adding augmentation does not change the shuffling order. */
export const STREAM = { shuffle: 1, augment: 2, pairing: 3 } as const;

export function rngFor(seed: number, epoch: number, stream: number): Rng {
  return seededRng(seed, mix32((Math.imul(epoch + 1, 0x85ebca77) ^ stream) >>> 0));
}

/** A uniform integer in [from, to]. */
export function intIn(rng: Rng, from: number, to: number): number {
  return from + rng.int(to - from + 1);
}

/** A Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = intIn(rng, 0, i);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
