// Constant folding and identity removal, as a table of rewrite rules. Each rule looks at one node
// whose inputs are already rewritten and either replaces it by an existing value (an alias) or by
// a scalar constant. The rules only look backwards, so one sweep in topological order reaches the
// fixed point. Constants left without users are dropped afterwards.

import type { Graph, Node, Value } from "../ir/types";

type Rewrite = { readonly alias: string } | { readonly value: number };

interface Env {
  readonly graph: Graph;
  readonly consts: ReadonlyMap<string, number>; // value id -> scalar of a const node
}

const f32 = Math.fround;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const UNARY: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  sigmoid,
  tanh: Math.tanh,
  silu: (x) => x * sigmoid(x),
};

const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

/** Constants that leave the other operand unchanged, by op and side. */
const NEUTRAL_RIGHT: Record<string, number> = { add: 0, sub: 0, mul: 1, div: 1 };
const NEUTRAL_LEFT: Record<string, number> = { add: 0, mul: 1 };

const typeOf = (env: Env, id: string) => env.graph.values.get(id)!.type;
const sameType = (env: Env, a: string, b: string) => JSON.stringify(typeOf(env, a)) === JSON.stringify(typeOf(env, b));

const RULES: readonly ((n: Node, env: Env) => Rewrite | null)[] = [
  (n) => (n.op === "identity" ? { alias: n.inputs[0] } : null),
  (n, env) => {
    const x = env.consts.get(n.inputs[0]);
    return n.op in UNARY && x !== undefined ? { value: f32(UNARY[n.op](x)) } : null;
  },
  (n, env) => {
    const [a, b] = n.inputs.map((i) => env.consts.get(i));
    return n.op in BINARY && a !== undefined && b !== undefined ? { value: f32(BINARY[n.op](a, b)) } : null;
  },
  (n, env) => {
    if (!(n.op in BINARY)) return null;
    const [a, b] = n.inputs;
    const out = n.outputs[0];
    if (env.consts.get(b) === NEUTRAL_RIGHT[n.op] && sameType(env, a, out)) return { alias: a };
    if (env.consts.get(a) === NEUTRAL_LEFT[n.op] && sameType(env, b, out)) return { alias: b };
    return null;
  },
  (n) => (n.op === "transpose" && (n.attrs.perm as number[]).every((p, i) => p === i) ? { alias: n.inputs[0] } : null),
  (n, env) => (n.op === "reshape" && sameType(env, n.inputs[0], n.outputs[0]) ? { alias: n.inputs[0] } : null),
];

export function constfold(graph: Graph): Graph {
  const alias = new Map<string, string>();
  const consts = new Map<string, number>();
  const env: Env = { graph, consts };
  const resolve = (v: string) => alias.get(v) ?? v;
  const kept: Node[] = [];
  for (const original of graph.nodes) {
    const n = { ...original, inputs: original.inputs.map(resolve) };
    const out = n.outputs[0];
    const r = n.op === "const" ? null : RULES.reduce<Rewrite | null>((found, rule) => found ?? rule(n, env), null);
    if (r && "alias" in r) {
      alias.set(out, resolve(r.alias));
      continue;
    }
    const folded: Node = r ? { ...n, op: "const", inputs: [], attrs: { value: r.value }, params: {} } : n;
    if (folded.op === "const") consts.set(out, folded.attrs.value as number);
    kept.push(folded);
  }
  const tasks = graph.tasks.map((t) => ({ ...t, output: resolve(t.output) }));
  const used = new Set([...kept.flatMap((n) => n.inputs), ...tasks.map((t) => t.output)]);
  const nodes = kept.filter((n) => n.op !== "const" || used.has(n.outputs[0]));
  const live = new Set([...graph.inputs.map((i) => i.value), ...nodes.flatMap((n) => n.outputs)]);
  const values = new Map<string, Value>([...graph.values].filter(([id]) => live.has(id)));
  const byName = new Set(nodes.flatMap((n) => Object.values(n.params)));
  const params = new Map([...graph.params].filter(([name]) => byName.has(name)));
  return { ...graph, nodes, values, params, tasks };
}
