// The IR's invariants, checked after every pass in tests. Returns problems as plain strings (an
// empty list means the graph is well formed); it never throws.

import { isPositiveInt } from "./dims";
import { OPS, specOf } from "../ops";
import type { Graph, Node, Param, Segment, TypedNode, ValueType } from "./types";
import { layoutMax } from "./width";

export function verify(graph: Graph): string[] {
  const problems: string[] = [];
  const say = (m: string) => problems.push(m);
  const groups = new Set(graph.groups.map((g) => g.name));
  const parts = new Set(["shared", ...graph.tasks.map((t) => t.name)]);

  const checkSegments = (where: string, segs: readonly Segment[]) => {
    for (const s of segs) {
      if (![s.max, s.scale, s.divisor].every(isPositiveInt))
        say(`${where}: segment ${JSON.stringify(s)} has a non-positive size`);
      if (s.group !== null && !groups.has(s.group)) say(`${where}: segment slims with unknown group '${s.group}'`);
    }
  };

  checkGroups(graph, parts, say);
  const seenTasks = new Set<string>();
  for (const t of graph.tasks) {
    if (seenTasks.has(t.name)) say(`task '${t.name}' is declared twice`);
    seenTasks.add(t.name);
    if (!graph.values.has(t.output)) say(`task '${t.name}' outputs unknown value '${t.output}'`);
  }

  for (const [id, v] of graph.values) {
    if (v.id !== id) say(`value '${id}' is stored under id '${v.id}'`);
    checkType(`value '${id}'`, v.type, say);
    checkSegments(`value '${id}'`, v.type.channels);
  }

  const defined = new Set<string>();
  const define = (v: string, by: string) => {
    if (defined.has(v)) say(`value '${v}' is defined twice (again by ${by})`);
    if (!graph.values.has(v)) say(`${by} defines value '${v}', which has no type`);
    defined.add(v);
  };
  for (const i of graph.inputs) define(i.value, `input '${i.name}'`);
  const nodeIds = new Set<string>();
  for (const n of graph.nodes) {
    if (nodeIds.has(n.id)) say(`node id '${n.id}' is used twice`);
    nodeIds.add(n.id);
    for (const v of n.inputs)
      if (!defined.has(v)) say(`node '${n.id}' uses '${v}' before it is defined (or it is never defined)`);
    for (const v of n.outputs) define(v, `node '${n.id}'`);
    if (!parts.has(n.part)) say(`node '${n.id}' belongs to unknown part '${n.part}'`);
    checkNode(graph, n, say);
  }
  for (const id of graph.values.keys()) if (!defined.has(id)) say(`value '${id}' is defined by no input and no node`);

  for (const [name, p] of graph.params) {
    if (p.name !== name) say(`parameter '${name}' is stored under name '${p.name}'`);
    checkParam(p, groups, say);
    p.axes.forEach((a) => a && checkSegments(`parameter '${name}'`, a));
  }
  return problems;
}

function checkGroups(graph: Graph, parts: Set<string>, say: (m: string) => void): void {
  const seen = new Set<string>();
  for (const g of graph.groups) {
    if (seen.has(g.name)) say(`width group '${g.name}' is declared twice`);
    seen.add(g.name);
    const ok = g.choices.length > 0 && g.choices.every((w, i) => w > 0 && w <= 1 && (i === 0 || w > g.choices[i - 1]));
    if (!ok || g.choices[g.choices.length - 1] !== 1)
      say(`width group '${g.name}' has invalid choices [${g.choices.join(", ")}]`);
    if (!parts.has(g.part)) say(`width group '${g.name}' belongs to unknown part '${g.part}'`);
  }
}

function checkType(where: string, t: ValueType, say: (m: string) => void): void {
  for (const d of t.shape)
    if (typeof d === "number" && !isPositiveInt(d))
      say(`${where}: shape [${t.shape.join(", ")}] has a non-positive size`);
  if (t.channelAxis === null) {
    if (t.channels.length > 0) say(`${where}: has channel segments but no channel axis`);
    return;
  }
  if (t.channelAxis < 0 || t.channelAxis >= t.shape.length)
    return say(`${where}: channel axis ${t.channelAxis} is out of range`);
  if (t.channels.length === 0) say(`${where}: channel axis ${t.channelAxis} has no segments`);
  const d = t.shape[t.channelAxis];
  if (d !== layoutMax(t.channels))
    say(`${where}: channel axis has size ${d} but its segments sum to ${layoutMax(t.channels)}`);
}

function checkParam(p: Param, groups: Set<string>, say: (m: string) => void): void {
  if (!p.shape.every(isPositiveInt))
    say(`parameter '${p.name}': shape [${p.shape.join(", ")}] has a non-positive size`);
  if (p.axes.length !== p.shape.length)
    say(`parameter '${p.name}': ${p.axes.length} axis layouts for a rank-${p.shape.length} shape`);
  p.axes.forEach((a, i) => {
    if (a && layoutMax(a) !== p.shape[i])
      say(`parameter '${p.name}': axis ${i} has size ${p.shape[i]} but its segments sum to ${layoutMax(a)}`);
  });
  for (const g of p.perWidth ?? [])
    if (!groups.has(g)) say(`parameter '${p.name}': switchable over unknown group '${g}'`);
}

/** Arity and parameters from the op's spec, then the spec's own invariants. */
function checkNode(graph: Graph, n: Node, say: (m: string) => void): void {
  if (!Object.hasOwn(OPS, n.op)) return say(`node '${n.id}' has unknown op '${n.op}'`);
  const spec = specOf(n.op);
  const want = spec.arity;
  if (want === "variadic" ? n.inputs.length === 0 : n.inputs.length !== want)
    say(`node '${n.id}' (${n.op}) has ${n.inputs.length} inputs`);
  if (n.outputs.length !== 1) say(`node '${n.id}' has ${n.outputs.length} outputs`);
  for (const role of spec.params)
    if (!(role in n.params)) say(`node '${n.id}' (${n.op}) lacks its '${role}' parameter`);
  const known = new Set([...spec.params, ...(spec.optionalParams ?? [])]);
  for (const role of Object.keys(n.params))
    if (!known.has(role)) say(`node '${n.id}' (${n.op}) has an unexpected '${role}' parameter`);
  for (const [role, name] of Object.entries(n.params))
    if (!graph.params.has(name)) say(`node '${n.id}' ${role} refers to unknown parameter '${name}'`);
  const inputs = n.inputs.map((id) => graph.values.get(id)?.type);
  const output = graph.values.get(n.outputs[0])?.type;
  if (!spec.verify || !output || inputs.some((t) => t === undefined)) return;
  const params = new Map(
    Object.entries(n.params).flatMap(([role, name]) => {
      const p = graph.params.get(name);
      return p ? [[role, p.shape] as const] : [];
    }),
  );
  spec.verify(n as TypedNode<typeof n.op>, { inputs: inputs as ValueType[], output, params }, say);
}
