// The model summary the page draws from: IR nodes (id, op, part, source, edges), width groups,
// tasks, budgets, preferences and the factorised cost table. Pure: runs in the worker and in tests.
import { buildCostTable } from "../../compiler/cost/table";
import { optimise } from "../../compiler/compile";
import { nodeGroups } from "../../compiler/ir/parts";
import type { Graph } from "../../compiler/ir/types";
import type { ModelSummary } from "./protocol";

export function summarise(graphs: readonly Graph[]): ModelSummary | undefined {
  if (!graphs.length) return undefined;
  const t0 = performance.now();
  const g = optimise(graphs[0]);
  const costs = buildCostTable(g);
  const shapeOf = (id: string | undefined): string => {
    const v = id ? g.values.get(id) : undefined;
    return v ? v.type.shape.join("×") : "";
  };
  return {
    name: g.name,
    nodes: g.nodes.map((n) => ({
      id: n.id,
      op: n.op,
      part: n.part,
      file: n.source.file,
      line: n.source.line,
      col: n.source.col,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      groups: [...nodeGroups(n, g.values, g.params)],
      shape: shapeOf(n.outputs[0]),
    })),
    inputs: g.inputs.map((i) => {
      const v = g.values.get(i.value)!;
      return { name: i.name, value: i.value, dtype: v.type.dtype, shape: [...v.type.shape] };
    }),
    groups: g.groups.map((x) => ({ name: x.name, part: x.part, choices: [...x.choices] })),
    tasks: g.tasks.map((t) => ({ name: t.name, output: t.output, decode: t.decode })),
    budgets: [...g.budgets],
    prefer: { ...g.prefer },
    costs,
    others: graphs.slice(1).map((x) => x.name),
    ms: performance.now() - t0,
  };
}
