import type { Config, Graph, Segment } from "./types";

/**
 * Channels kept by a layer of `max` channels at width multiplier `w`: rounded to a multiple of
 * `divisor` as US-Nets and MobileNet do (never more than 10% below the exact value, never below
 * `divisor`), and never more than `max`.
 */
export function channelsAt(max: number, w: number, divisor: number): number {
  if (w >= 1) return max;
  return Math.min(makeDivisible(max * w, divisor), max);
}

/**
 * MobileNet's `make_divisible`: `v` rounded to the nearest multiple of `d`, at least `d`, and
 * never more than 10% below `v`. The language's `make_divisible` and slim channel counts use it.
 */
export function makeDivisible(v: number, d: number): number {
  const rounded = Math.max(d, Math.floor(v / d + 0.5) * d);
  return rounded < 0.9 * v ? rounded + d : rounded;
}

/** Width multiplier of a group at a configuration (fixed segments have group null: width 1). */
export function widthOf(graph: Graph, group: string | null, config: Config): number {
  if (group === null) return 1;
  const g = graph.groups.find((x) => x.name === group);
  if (!g) throw new Error(`internal: unknown width group ${group}`);
  const index = config[group] ?? g.choices.length - 1;
  return g.choices[index];
}

/** Actual length of a segment at a configuration. */
export function segmentLength(graph: Graph, seg: Segment, config: Config): number {
  return channelsAt(seg.max, widthOf(graph, seg.group, config), seg.divisor) * seg.scale;
}

/** Actual length of a channel layout at a configuration. */
export const layoutLength = (graph: Graph, segs: readonly Segment[], config: Config): number =>
  segs.reduce((n, s) => n + segmentLength(graph, s, config), 0);

/** Full-width length of a channel layout. */
export const layoutMax = (segs: readonly Segment[]): number => segs.reduce((n, s) => n + s.max * s.scale, 0);

/** The configuration with every group at full width. */
export function fullConfig(graph: Graph): Config {
  return Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
}
