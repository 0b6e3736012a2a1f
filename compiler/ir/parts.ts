// Which part of the model each node and width group belongs to: a node that feeds only one task's
// output is that task's (it runs only when the task runs); anything used by several tasks, or by
// none, is "shared".

import type { Node, Param, Task, Value, WidthGroup } from "./types";

/** For each node index, the tasks whose output it reaches. */
export function tasksReached(nodes: readonly Node[], tasks: readonly Task[]): Set<string>[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((v) => producer.set(v, i)));
  const reached = nodes.map(() => new Set<string>());
  for (const t of tasks) {
    const stack = [t.output];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const v = stack.pop()!;
      const i = producer.get(v);
      if (i === undefined || seen.has(v)) continue;
      seen.add(v);
      reached[i].add(t.name);
      stack.push(...nodes[i].inputs);
    }
  }
  return reached;
}

const partOf = (tasks: ReadonlySet<string>): string => (tasks.size === 1 ? [...tasks][0] : "shared");

export function assignNodeParts(nodes: readonly Node[], tasks: readonly Task[]): Node[] {
  const reached = tasksReached(nodes, tasks);
  return nodes.map((n, i) => ({ ...n, part: partOf(reached[i]) }));
}

/** The width groups a node depends on: those of its inputs, outputs and parameters. */
export function nodeGroups(
  n: Node,
  values: ReadonlyMap<string, Value>,
  params: ReadonlyMap<string, Param>,
): Set<string> {
  const out = new Set<string>();
  for (const v of [...n.inputs, ...n.outputs])
    for (const s of values.get(v)?.type.channels ?? []) if (s.group !== null) out.add(s.group);
  for (const name of Object.values(n.params)) {
    const p = params.get(name);
    if (!p) continue;
    for (const axis of p.axes) for (const s of axis ?? []) if (s.group !== null) out.add(s.group);
  }
  return out;
}

/** A group belongs to a task when every node that depends on it is in that task's part. */
export function assignGroupParts(
  groups: readonly WidthGroup[],
  nodes: readonly Node[],
  values: ReadonlyMap<string, Value>,
  params: ReadonlyMap<string, Param>,
): WidthGroup[] {
  const parts = new Map<string, Set<string>>(groups.map((g) => [g.name, new Set<string>()]));
  for (const n of nodes) for (const g of nodeGroups(n, values, params)) parts.get(g)?.add(n.part);
  return groups.map((g) => {
    const ps = parts.get(g.name)!;
    return { ...g, part: ps.size === 1 ? [...ps][0] : "shared" };
  });
}
