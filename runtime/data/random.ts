// Seeded randomness for the loader: one generator per (seed, epoch, purpose), so that shuffling and
// augmentation are reproducible and independent of how far the prefetching has run ahead.
import prand from "pure-rand";

export type Rng = prand.RandomGenerator;

/** Purposes get their own stream, so adding augmentation does not change the shuffling order. */
export const STREAM = { shuffle: 1, augment: 2, pairing: 3 } as const;

export function rngFor(seed: number, epoch: number, stream: number): Rng {
  // xoroshiro128+ seeded from a 32-bit mix of the three numbers (distinct triples, distinct seeds).
  const mixed = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77) ^ Math.imul(stream, 0xc2b2ae3d)) | 0;
  return prand.xoroshiro128plus(mixed);
}

/** A uniform integer in [from, to], advancing `rng` in place. */
export function intIn(rng: Rng, from: number, to: number): number {
  return prand.unsafeUniformIntDistribution(from, to, rng);
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
