// The forward pass in training mode: every node as the inference lowering emits it, except
// BatchNorm (batch statistics, see grad/norm.ts) and max-pool (which keeps its Indices for the
// backward pass). Values kept for the backward pass are recorded per node.
import type { Node } from "../ir/types";
import { NodeCtx } from "../lower/node-ctx";
import { lowerNode } from "../lower/ops";
import { Emitter } from "../lower/scope";
import { forwardBatchnormTrain, type BatchStats } from "./grad/norm";
import { maxPoolAttrsOf } from "./grad/pool";
import type { TrainLowerer } from "./lowerer";

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
    else lowerNode(lw.top, n);
  }
  return { saved, stats };
}
