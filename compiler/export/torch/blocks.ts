// Block structure for model.py. The IR is flat (blocks are inlined when the model is elaborated),
// but node ids keep the module path a block call gave them ("layer1.0.conv1"), so consecutive
// nodes under one path prefix are one call of one .mtl block: model.py gives each such run its own
// method, as torchvision's modules would be (`layer1.0` -> `block_layer1_0`).
import type { Node } from "../../ir/types";

/** The block a node id belongs to: the path up to its first index ("layer1.0"), else all but its last name. */
export function blockKey(id: string): string | null {
  const parts = id.split(".");
  const index = parts.findIndex((p, i) => i > 0 && /^\d+$/.test(p));
  if (index >= 1 && index < parts.length - 1) return parts.slice(0, index + 1).join(".");
  return parts.length >= 3 ? parts.slice(0, -1).join(".") : null;
}

export interface NodeRun {
  readonly key: string | null;
  readonly nodes: readonly Node[];
}

/** Consecutive nodes of the same block, in order. */
export function blockRuns(nodes: readonly Node[]): NodeRun[] {
  const runs: { key: string | null; nodes: Node[] }[] = [];
  for (const n of nodes) {
    const key = blockKey(n.id);
    const last = runs[runs.length - 1];
    if (last && last.key === key) last.nodes.push(n);
    else runs.push({ key, nodes: [n] });
  }
  return runs;
}

/** Values a run reads from outside it (in first-use order) and those it makes that `later` needs. */
export function runInterface(run: NodeRun, later: ReadonlySet<string>): { ins: string[]; outs: string[] } {
  const made = new Set(run.nodes.flatMap((n) => n.outputs));
  const ins = [...new Set(run.nodes.flatMap((n) => n.inputs).filter((v) => !made.has(v)))];
  const outs = [...made].filter((v) => later.has(v));
  return { ins, outs };
}
