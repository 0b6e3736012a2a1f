// Evolutionary search for spaces too large to enumerate (per-layer widths, many groups), in the
// manner of Once-for-All's search: a population of configurations, tournament selection, uniform
// crossover and mutation, with elitism. Constraints are kept by repair: an offspring over budget is
// narrowed one random step at a time until it fits, so every individual is a valid plan and the
// fitness is just the objective (no penalty weight to tune). Everything random comes from a PRNG
// seeded by the problem's seed, and ties are broken by order, so a seed gives one plan.
//
// The population starts from the cheapest configuration, a greedy climb (from the cheapest, take
// the single-step widening with the best objective gain per unit cost while one fits), and random
// configurations; the final best is polished by a local search over single-step moves and pairwise
// swaps (narrow one group, widen another). Seeding with the greedy climb means the result is never
// worse than that heuristic.

import type { Plan, SearchError } from "./types";
import { makePlan } from "./result";
import { makeRng, type Rng } from "./rng";
import { fits, totalCost, type Genome } from "./space";
import { objective, type Problem } from "./problem";

export interface EvolutionSettings {
  readonly population: number;
  readonly generations: number;
  readonly patience: number; // stop after this many generations without improvement
  readonly tournament: number;
  readonly elite: number;
}

export const DEFAULT_EVOLUTION: EvolutionSettings = {
  population: 40,
  generations: 120,
  patience: 25,
  tournament: 3,
  elite: 2,
};

interface Scored {
  readonly g: Genome;
  readonly value: number;
}

class Evaluator {
  private readonly memo = new Map<string, number>();
  constructor(private readonly p: Problem) {}
  fits(g: Genome): boolean {
    return fits(totalCost(this.p.cost, g), this.p.budget.limit);
  }
  value(g: Genome): number {
    const key = String.fromCharCode(...g);
    let v = this.memo.get(key);
    if (v === undefined) {
      v = objective(this.p, g);
      this.memo.set(key, v);
    }
    return v;
  }
}

/** Narrows random active groups one step at a time until the configuration fits. */
function repair(p: Problem, ev: Evaluator, g: Genome, rng: Rng): Genome {
  const active = p.space.active;
  while (!ev.fits(g)) {
    const wide = Array.from(active).filter((pos) => g[pos] > 0);
    if (wide.length === 0) return p.cheapest.slice(); // only for non-monotone latency tables
    g[wide[rng.int(wide.length)]]--;
  }
  return g;
}

/** Best single-step widening per unit cost, repeated while one fits and helps. */
function climb(p: Problem, ev: Evaluator, start: Genome): Genome {
  const g = start.slice();
  for (;;) {
    const base = ev.value(g);
    const baseCost = totalCost(p.cost, g);
    let bestPos = -1;
    let bestScore = 0;
    for (const pos of p.space.active) {
      if (g[pos] + 1 >= p.space.size[pos]) continue;
      g[pos]++;
      const c = totalCost(p.cost, g);
      if (fits(c, p.budget.limit)) {
        const score = (ev.value(g) - base) / Math.max(c - baseCost, 1e-12);
        if (score > bestScore) {
          bestScore = score;
          bestPos = pos;
        }
      }
      g[pos]--;
    }
    if (bestPos < 0) return g;
    g[bestPos]++;
  }
}

/** Local search: best improving single step or swap, until none improves. */
function polish(p: Problem, ev: Evaluator, start: Genome): Genome {
  const g = start.slice();
  const active = Array.from(p.space.active);
  for (;;) {
    let bestValue = ev.value(g) + 1e-12;
    const found: { move: [number, number, number, number] | null } = { move: null }; // pos a += da, pos b += db
    const tryMove = (a: number, da: number, b: number, db: number) => {
      g[a] += da;
      if (b >= 0) g[b] += db;
      if (ev.fits(g)) {
        const v = ev.value(g);
        if (v > bestValue) {
          bestValue = v;
          found.move = [a, da, b, db];
        }
      }
      if (b >= 0) g[b] -= db;
      g[a] -= da;
    };
    for (const a of active) {
      if (g[a] + 1 < p.space.size[a]) tryMove(a, 1, -1, 0);
      if (g[a] > 0) tryMove(a, -1, -1, 0);
      for (const b of active) if (b !== a && g[a] > 0 && g[b] + 1 < p.space.size[b]) tryMove(a, -1, b, 1);
    }
    if (found.move === null) return g;
    const [a, da, b, db] = found.move;
    g[a] += da;
    if (b >= 0) g[b] += db;
  }
}

export function evolve(p: Problem, settings: EvolutionSettings = DEFAULT_EVOLUTION): Genome {
  const rng = makeRng(p.seed);
  const ev = new Evaluator(p);
  const active = p.space.active;
  const size = p.space.size;
  const score = (g: Genome): Scored => ({ g, value: ev.value(g) });
  const byValue = (a: Scored, b: Scored) => b.value - a.value;

  let pop: Scored[] = [score(p.cheapest.slice()), score(climb(p, ev, p.cheapest))];
  while (pop.length < settings.population) {
    const g = p.cheapest.slice();
    for (const pos of active) g[pos] = rng.int(size[pos]);
    pop.push(score(repair(p, ev, g, rng)));
  }
  pop.sort(byValue);

  const pickParent = (): Scored => {
    let best = pop[rng.int(pop.length)];
    for (let i = 1; i < settings.tournament; i++) {
      const c = pop[rng.int(pop.length)];
      if (c.value > best.value) best = c;
    }
    return best;
  };
  const mutation = Math.max(1 / active.length, 0.05);
  let stale = 0;
  for (let gen = 0; gen < settings.generations && stale < settings.patience; gen++) {
    const next: Scored[] = pop.slice(0, settings.elite);
    while (next.length < settings.population) {
      const a = pickParent().g;
      const b = pickParent().g;
      const child = a.slice();
      for (const pos of active) {
        if (rng.next() < 0.5) child[pos] = b[pos];
        if (rng.next() < mutation) {
          // mostly a one-step move (widths are ordered), sometimes a jump anywhere
          const r = rng.next();
          if (r < 0.4 && child[pos] + 1 < size[pos]) child[pos]++;
          else if (r < 0.8 && child[pos] > 0) child[pos]--;
          else child[pos] = rng.int(size[pos]);
        }
      }
      next.push(score(repair(p, ev, child, rng)));
    }
    next.sort(byValue);
    stale = next[0].value > pop[0].value + 1e-12 ? 0 : stale + 1;
    pop = next;
  }
  return polish(p, ev, pop[0].g);
}

export function evolutionary(p: Problem, reason = "requested"): Plan | SearchError {
  return makePlan(p, evolve(p), "evolutionary", reason);
}
