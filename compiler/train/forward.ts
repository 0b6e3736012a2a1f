// The forward pass in training mode: every node as the inference lowering emits it, except
// BatchNorm (batch statistics, see grad/norm.ts) and max-pool (which keeps its Indices for the
// backward pass). Values kept for the backward pass are recorded per node.
import type { Node } from "../ir/types";
import { NodeCtx } from "../lower/node-ctx";
import { lowerNode } from "../lower/ops";
import { Emitter } from "../lower/scope";
import { forwardBatchnormTrain, type BatchStats } from "./grad/norm";
import { windowOf } from "./grad/conv";
import { maxPoolAttrsOf } from "./grad/pool";
import type { TrainLowerer } from "./lowerer";
import { nchwcConv } from "./nchwc";

export type Saved = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface ForwardResult {
  readonly saved: Saved;
  /** Batch statistics per BatchNorm node id. */
  readonly stats: ReadonlyMap<string, BatchStats>;
}

export const sourceDoc = (n: Node): string => `${n.source.file}:${n.source.line}:${n.source.col}`;

export function emitTrainingForward(lw: TrainLowerer, nodes: readonly Node[]): ForwardResult {
  const saved = new Map<string, Map<string, string>>();
  const stats = new Map<string, BatchStats>();
  for (const n of nodes) {
    const mine = new Map<string, string>();
    saved.set(n.id, mine);
    const save = (key: string, value: string): void => void mine.set(key, value);
    const c = new NodeCtx(new Emitter(lw.top, n.id, sourceDoc(n)), n);
    if (n.op === "batchnorm") stats.set(n.id, forwardBatchnormTrain(c, save));
    else if (n.op === "maxpool")
      save(
        "indices",
        c.emit.op("MaxPool", [c.in(0)], maxPoolAttrsOf(n), [c.out(), lw.values.fresh(`${n.id}/indices`)])[1],
      );
    else if (!(n.op === "conv" && lw.nchwcBlock > 0 && blockedConv(c, lw.nchwcBlock))) lowerNode(lw.top, n);
  }
  return { saved, stats };
}

/** An ungrouped conv on the blocked kernels; false (nothing emitted) when they cannot take it. */
function blockedConv(c: NodeCtx, block: number): boolean {
  if (c.flag("depthwise") || c.num("groups", 1) !== 1 || c.inType(0).dtype !== "f32") return false;
  const cin = c.inType(0).shape[1];
  const cout = c.outType().shape[1];
  if (typeof cin !== "number" || typeof cout !== "number") return false;
  const bias = c.hasParam("bias") ? c.param("bias") : null;
  return nchwcConv(c.emit, block, c.in(0), c.param("weight"), bias, cin, cout, windowOf(c), c.out()) !== null;
}
