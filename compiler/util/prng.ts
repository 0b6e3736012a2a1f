// The one seeded PRNG of mtl: mulberry32 (32-bit state; good enough for weight init, search and
// token sampling). Only 32-bit integer arithmetic (Math.imul, >>>), so the same seed gives the same
// numbers on every platform; Math.random cannot be seeded. Weight init, the evolutionary search,
// sampling decoders, synthetic inputs and tests all draw from here.

/** A stream of uniform floats in [0, 1), multiples of 2^-32, from a uint32 seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser: a bijection on uint32 that mixes every bit. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export interface Uniform {
  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number;
}

export interface Rng extends Uniform {
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

const rngOf = (next: () => number): Rng => ({ next, int: (n) => Math.floor(next() * n) });

/** The plain stream of `seed` (nearby seeds give correlated starts; fine for one stream per run). */
export const makeRng = (seed: number): Rng => rngOf(mulberry32(seed));

/**
 * The stream for `seed` (taken modulo 2^32 after truncation to an integer) and `stream` (e.g. the
 * input row): the seed is scrambled with mix32, so nearby seeds and streams look independent.
 */
export function seededRng(seed: number, stream = 0): Rng {
  const s = Math.trunc(seed) >>> 0;
  return rngOf(mulberry32(mix32((s ^ mix32((stream + 0x9e3779b9) >>> 0)) >>> 0)));
}
