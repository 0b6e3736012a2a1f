// Preference vectors drawn uniformly from the simplex (DYMU's protocol): normalised exponential
// draws, i.e. Dirichlet(1, ..., 1), from mtl's seeded PRNG so that the same seed gives the same
// vectors everywhere (eval's "pareto" selection, the report).
import { mulberry32 } from "../../compiler/util/prng";

export function simplexPreferences(tasks: readonly string[], count: number, seed: number): Record<string, number>[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const e = tasks.map(() => -Math.log(1 - rnd())); // 1 - u in (0, 1]: never log(0)
    const sum = e.reduce((a, b) => a + b, 0);
    return Object.fromEntries(tasks.map((t, i) => [t, e[i] / sum]));
  });
}
