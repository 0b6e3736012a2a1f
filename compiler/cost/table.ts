// The factorised cost table: one term per (part, set of groups), tabulated over those groups'
// choices, so a configuration's cost is a sum of lookups (see types.ts). Built by evaluating the
// exact per-node costs (node-cost.ts) at every combination of the few groups each node depends on.

import { nodeGroups } from "../ir/parts";
import type { Config, Graph } from "../ir/types";
import { learnableParams, nodeMacs, paramCount, type Cost } from "./node-cost";
import type { CostTable, CostTerm } from "./types";

interface Draft {
  part: string;
  groups: string[];
  macs: number[];
  params: number[];
}

/** Every configuration of `groups` (row-major, the last group varying fastest). */
function* configsOf(graph: Graph, groups: readonly string[]): Generator<Config> {
  const sizes = groups.map((g) => graph.groups.find((x) => x.name === g)!.choices.length);
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    const config: Record<string, number> = {};
    let rest = flat;
    for (let i = groups.length - 1; i >= 0; i--) {
      config[groups[i]] = rest % sizes[i];
      rest = Math.floor(rest / sizes[i]);
    }
    yield config;
  }
}

export function buildCostTable(graph: Graph): CostTable {
  const order = new Map(graph.groups.map((g, i) => [g.name, i]));
  const drafts = new Map<string, Draft>();
  const add = (part: string, groupSet: Iterable<string>, cost: (c: Config) => { macs: number; params: number }) => {
    const groups = [...groupSet].sort((a, b) => order.get(a)! - order.get(b)!);
    const key = JSON.stringify([part, groups]);
    const configs = [...configsOf(graph, groups)];
    const values = configs.map(cost);
    if (values.every((v) => v.macs === 0 && v.params === 0)) return;
    let d = drafts.get(key);
    if (!d) drafts.set(key, (d = { part, groups, macs: configs.map(() => 0), params: configs.map(() => 0) }));
    values.forEach((v, i) => {
      d.macs[i] += v.macs;
      d.params[i] += v.params;
    });
  };
  for (const n of graph.nodes)
    add(n.part, nodeGroups(n, graph.values, graph.params), (c) => ({ macs: nodeMacs(graph, n, c), params: 0 }));
  for (const [name, part] of learnableParams(graph)) {
    const p = graph.params.get(name)!;
    const groups = new Set(p.axes.flatMap((a) => (a ?? []).flatMap((s) => (s.group === null ? [] : [s.group]))));
    add(part, groups, (c) => ({ macs: 0, params: paramCount(graph, p, c) }));
  }
  const terms: CostTerm[] = [...drafts.values()];
  return {
    groups: graph.groups.map((g) => ({ name: g.name, part: g.part, choices: [...g.choices] })),
    tasks: graph.tasks.map((t) => t.name),
    terms,
  };
}

/** Row-major index of a configuration into a term's tables (missing groups at full width). */
/** Choice counts by group name, built once per table: a linear search per term made costAt quadratic in tasks. */
const choiceCounts = new WeakMap<CostTable, Map<string, number>>();

function choicesOf(table: CostTable): Map<string, number> {
  let m = choiceCounts.get(table);
  if (!m) choiceCounts.set(table, (m = new Map(table.groups.map((g) => [g.name, g.choices.length]))));
  return m;
}

function termIndex(table: CostTable, term: CostTerm, config: Config): number {
  let index = 0;
  const counts = choicesOf(table);
  for (const g of term.groups) {
    const k = counts.get(g)!;
    const i = config[g] ?? k - 1;
    if (!Number.isInteger(i) || i < 0 || i >= k) throw new Error(`costAt: group '${g}' has no width choice ${i}`);
    index = index * k + i;
  }
  return index;
}

/** Cost of a configuration with only `tasksOn` running (default: every task). */
export function costAt(table: CostTable, config: Config, tasksOn: readonly string[] = table.tasks): Cost {
  const byPart: Record<string, { macs: number; params: number }> = { shared: { macs: 0, params: 0 } };
  for (const t of tasksOn) byPart[t] = { macs: 0, params: 0 };
  for (const term of table.terms) {
    const part = byPart[term.part];
    if (!part) continue;
    const i = termIndex(table, term, config);
    part.macs += term.macs[i];
    part.params += term.params[i];
  }
  const sum = (k: "macs" | "params") => Object.values(byPart).reduce((s, c) => s + c[k], 0);
  return { macs: sum("macs"), params: sum("params"), byPart };
}
