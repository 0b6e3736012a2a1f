// The sandwich rule (US-Nets): each step trains the largest configuration, the smallest, and
// `configsPerStep - 2` random ones. A random configuration draws every width group (encoder and
// each task decoder, or finer groups) independently and uniformly, in the graph's group order,
// from a seeded generator, so a run is reproducible and resumable.
import type { Config, Graph } from "../../compiler/ir/types";
import type { StepRng } from "./rng";

export const largestConfig = (graph: Graph): Config =>
  Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
export const smallestConfig = (graph: Graph): Config => Object.fromEntries(graph.groups.map((g) => [g.name, 0]));

export function randomConfig(graph: Graph, rng: StepRng): Config {
  return Object.fromEntries(graph.groups.map((g) => [g.name, rng.int(g.choices.length)]));
}

/** The configurations of one step, largest first (it teaches the others). */
export function sandwich(graph: Graph, configsPerStep: number, rng: StepRng): Config[] {
  if (!Number.isInteger(configsPerStep) || configsPerStep < 1)
    throw new Error(`internal: configsPerStep must be a positive integer`);
  const out = [largestConfig(graph)];
  if (configsPerStep >= 2) out.push(smallestConfig(graph));
  for (let i = 2; i < configsPerStep; i++) out.push(randomConfig(graph, rng));
  return out;
}

/** A stable key for a configuration (session caches, logs). */
export const configKey = (graph: Graph, config: Config): string =>
  graph.groups.map((g) => `${g.name}=${config[g.name]}`).join(",");
