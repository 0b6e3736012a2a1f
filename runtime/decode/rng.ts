// The sampling decoders' seeded PRNG: the one in compiler/util/prng.ts (seed and row mixed).
export { mix32, seededRng, type Uniform as Rng } from "../../compiler/util/prng";
