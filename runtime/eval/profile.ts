// From `mtl eval`'s results to the measured utility profile the planner reads (runtime/search/
// utility.ts): per task, one point per distinct (shared groups, own groups) widths, scored by the
// task's declared metric; and into a model file's `mtl.profile` metadata.
import type { CostTable } from "../../compiler/cost/types";
import { decodeModel } from "../../compiler/onnx/decode";
import { encodeModel } from "../../compiler/onnx/encode";
import { checkProfile, type StoredProfile } from "../profile-schema";
import type { EvalResult } from "./evaluate";

export function buildProfile(
  r: EvalResult,
  costs: CostTable,
  o: { data: string; selection: string; precision?: "int8" },
): StoredProfile {
  const tasks: Record<
    string,
    { metric: string; lowerIsBetter: boolean; points: StoredProfile["tasks"][string]["points"] }
  > = {};
  for (const [task, info] of Object.entries(r.tasks)) {
    const relevant = costs.groups.filter((g) => g.part === "shared" || g.part === task).map((g) => g.name);
    const seen = new Set<string>();
    const points = [];
    for (const c of r.results) {
      const m = c.metrics[task];
      if (!m || !Number.isFinite(m[info.metrics[0]])) continue;
      const config = Object.fromEntries(relevant.map((g) => [g, c.widths[g]]));
      const key = JSON.stringify(config);
      if (seen.has(key)) continue;
      seen.add(key);
      points.push({ config, score: m[info.metrics[0]], metrics: { ...m } });
    }
    if (points.length) tasks[task] = { metric: info.metrics[0], lowerIsBetter: info.lowerIsBetter, points };
  }
  const profile = {
    version: 1 as const,
    measured: {
      data: o.data,
      split: r.split,
      images: r.images,
      calibrationBatches: r.calibrationBatches,
      calibrationBatchSize: r.calibrationBatchSize,
      selection: o.selection,
      configurations: r.results.length,
      ...(o.precision && { precision: o.precision }),
    },
    tasks,
    evaluated: r.results.map((c) => ({ widths: c.widths, macs: c.macs, params: c.params, metrics: c.metrics })),
  };
  return checkProfile(profile, "mtl eval", costs);
}

/** The model file's bytes with `mtl.profile` set to this profile (everything else unchanged). */
export function withProfile(bytes: Uint8Array, profile: StoredProfile): Uint8Array {
  // A plain Uint8Array (a Node Buffer's slice() is a view, which the decoder's copies rely on), aligned for float views.
  const plain =
    bytes.byteOffset % 4 === 0
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : Uint8Array.from(bytes);
  const model = decodeModel(plain);
  return encodeModel({ ...model, metadata: { ...model.metadata, "mtl.profile": JSON.stringify(profile) } });
}
