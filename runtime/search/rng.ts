// The evolutionary search's seeded PRNG: the one in compiler/util/prng.ts.
export { makeRng, type Rng } from "../../compiler/util/prng";
