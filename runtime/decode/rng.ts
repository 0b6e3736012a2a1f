// A small seeded PRNG for sampling: mulberry32 (32-bit state, passes the usual statistical tests
// well enough for token sampling) with its seed scrambled by a murmur3-style finaliser, so that
// nearby seeds (0, 1, 2, ...) and rows give unrelated streams. Same seed, same numbers, on every
// platform: only 32-bit integer arithmetic (Math.imul, >>>) is used. Math.random cannot be seeded.

/** murmur3's 32-bit finaliser: a bijection on uint32 that mixes every bit. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number;
}

/**
 * The stream for `seed` (taken modulo 2^32 after truncation to an integer) and `stream` (e.g. the
 * input row): different (seed, stream) pairs give independent-looking streams.
 */
export function seededRng(seed: number, stream = 0): Rng {
  const s = Math.trunc(seed) >>> 0;
  let a = mix32((s ^ mix32((stream + 0x9e3779b9) >>> 0)) >>> 0);
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
