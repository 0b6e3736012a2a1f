// Reverse-mode differentiation of a specialised IR graph into ONNX nodes: nodes are visited in
// reverse order; each with a gradient on its output runs its op's rule (grad/rules.ts), which
// adds gradients to its inputs and parameters. Gradients reaching a value several times are
// summed. Only values that some trained parameter reaches get gradients.
import type { Diagnostic } from "../diagnostics";
import type { Node } from "../ir/types";
import { NodeCtx } from "../lower/node-ctx";
import { Emitter } from "../lower/scope";
import { diag } from "../messages";
import type { GradCtx } from "./grad/ctx";
import { specOf } from "../ops";
import { sourceDoc, type Saved } from "./forward";
import type { TrainLowerer } from "./lowerer";

export interface BackwardResult {
  /** Gradient value name per trained parameter that the seeds reach. */
  readonly paramGrads: ReadonlyMap<string, string>;
  readonly diagnostics: readonly Diagnostic[];
}

/** Sums contributions (Add for two, Sum for more). */
function total(e: Emitter, parts: readonly string[]): string {
  if (parts.length === 1) return parts[0];
  return e.op1(parts.length === 2 ? "Add" : "Sum", parts);
}

/** Values that depend on a trained parameter (their gradients are worth computing). */
function requiringGrad(nodes: readonly Node[], trained: ReadonlySet<string>): Set<string> {
  const need = new Set<string>();
  for (const n of nodes) {
    if (n.inputs.some((v) => need.has(v)) || Object.values(n.params).some((p) => trained.has(p)))
      n.outputs.forEach((v) => need.add(v));
  }
  return need;
}

/**
 * Relus whose output only a max-pool reads and no loss seeds: that pool applies their mask on its
 * pooled gradient (grad/pool.ts). Returns the relu node ids and the pool node ids.
 */
function reluPoolPairs(nodes: readonly Node[], seeds: ReadonlyMap<string, readonly string[]>) {
  const readers = new Map<string, Node[]>();
  for (const n of nodes) for (const v of n.inputs) readers.set(v, [...(readers.get(v) ?? []), n]);
  const relus = new Set<string>();
  const pools = new Set<string>();
  for (const n of nodes) {
    const r = readers.get(n.outputs[0]) ?? [];
    if (n.op !== "relu" || seeds.has(n.outputs[0]) || r.length !== 1 || r[0].op !== "maxpool") continue;
    relus.add(n.id);
    pools.add(r[0].id);
  }
  return { relus, pools };
}

/**
 * Emits the backward pass of `nodes` (topological order) for the given output gradients
 * (`seeds`: IR value id -> gradient names to sum), for the parameters in `trained`.
 */
export function emitBackward(
  lw: TrainLowerer,
  nodes: readonly Node[],
  seeds: ReadonlyMap<string, readonly string[]>,
  trained: ReadonlySet<string>,
  saved: Saved,
): BackwardResult {
  const need = requiringGrad(nodes, trained);
  const grads = new Map<string, string[]>([...seeds].map(([k, v]) => [k, [...v]]));
  const paramParts = new Map<string, string[]>();
  const diagnostics: Diagnostic[] = [];
  const fused = reluPoolPairs(nodes, seeds);
  for (const n of [...nodes].reverse()) {
    const parts = grads.get(n.outputs[0]);
    if (!parts || parts.length === 0 || !need.has(n.outputs[0])) continue;
    const e = new Emitter(lw.top, `${n.id}/grad`, sourceDoc(n));
    const dy = total(e, parts);
    const fwd = new NodeCtx(e, n);
    const add = (map: Map<string, string[]>, key: string, value: string): void =>
      void map.set(key, [...(map.get(key) ?? []), value]);
    const ctx: GradCtx = {
      node: n,
      emit: e,
      lowerer: lw,
      x: (i) => fwd.in(i),
      y: () => fwd.out(0),
      inType: (i) => fwd.inType(i),
      outType: () => fwd.outType(0),
      dy: () => dy,
      needs: (i) => need.has(n.inputs[i]),
      needsParam: (role) => n.params[role] !== undefined && trained.has(n.params[role]),
      hasParam: (role) => n.params[role] !== undefined,
      param: (role) => fwd.param(role),
      masksRelu: fused.pools.has(n.id),
      maskedByPool: fused.relus.has(n.id),
      nchwcBlock: lw.nchwcBlock,
      saved: (key) => saved.get(n.id)?.get(key),
      grad: (i, value) => add(grads, n.inputs[i], value),
      paramGrad: (role, value) => add(paramParts, n.params[role], value),
      fail: (message) => {
        const span = { file: n.source.file, start: 0, end: 0, line: n.source.line, col: n.source.col };
        diagnostics.push(
          diag(
            "MTL7001",
            span,
            message,
            "training needs every layer's gradient; change this layer or train without it",
          ),
        );
      },
    };
    specOf(n.op).gradient(ctx);
  }
  const paramGrads = new Map<string, string>();
  for (const [name, parts] of paramParts) paramGrads.set(name, total(new Emitter(lw.top, `${name}/grad`, ""), parts));
  return { paramGrads, diagnostics };
}
