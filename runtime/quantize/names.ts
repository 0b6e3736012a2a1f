// Calibrated tensor names against the names of the flat graph being quantised. onnxruntime inlines
// a task's `If` branch with its tensors renamed `_if_then_branch_NAME`, or
// `_if_then_branch_token_N_NAME` when that name was already taken, and which one a tensor gets
// depends on which other branches were inlined: calibration runs every task, a run of some tasks
// (`--tasks left`, `mtl profile`'s per-task timings) inlines fewer. NAME (mtl's own, unique in the
// model) is the same, so tensors are matched by NAME. Should two calibrated tensors share a NAME
// (not made by mtl's lowering, whose value names are unique), neither is trusted: the tensor has no
// range and quantisation refuses (MTL-QNT-003) rather than take the other branch's range.
import type { Range } from "../../compiler/quantize/scales";

const INLINED = /_if_(?:then|else)_branch_(?:token_\d+_)?/g;

/** A tensor's name without onnxruntime's If-inlining prefixes. */
export const mtlName = (tensor: string): string => tensor.replace(INLINED, "");

/** The ranges keyed by the names `tensors` (the flat graph's) use; tensors without a range are left out. */
export function rangesByGraphName(ranges: ReadonlyMap<string, Range>, tensors: readonly string[]): Map<string, Range> {
  const byName = new Map<string, Range | null>(); // null: two calibrated tensors share the name
  for (const [t, r] of ranges) {
    const n = mtlName(t);
    byName.set(n, byName.has(n) ? null : r);
  }
  const out = new Map<string, Range>();
  for (const t of tensors) {
    const r = byName.get(mtlName(t));
    if (r) out.set(t, r);
  }
  return out;
}
