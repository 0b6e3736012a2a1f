// Running training graphs in onnxruntime-node and checking their gradients against central
// finite differences of the graph's own loss (directional derivatives, float32).
import * as ort from "onnxruntime-node";
import type { Config, Graph, Task } from "../../compiler/ir/types";
import type { LossKind } from "../../compiler/train/spec";
import { encodeModel } from "../../compiler/onnx/encode";
import type { TrainingGraph } from "../../compiler/train/graph";
import { mulberry32 } from "../../compiler/weights/init";

export type Feeds = Record<string, ort.Tensor>;

/**
 * A task's declared loss as a LossSpec, typed as whatever Task.loss is (a bare string before the
 * language declares LossSpec, LossSpec after): the training graph reads both.
 */
export const lossOf = (kind: LossKind, ignoreIndex: number | null = null): Task["loss"] =>
  ({ kind, ignoreIndex }) as unknown as Task["loss"];

export async function sessionOf(tg: TrainingGraph): Promise<ort.InferenceSession> {
  if (tg.diagnostics.length > 0)
    throw new Error(`training graph has diagnostics: ${tg.diagnostics.map((d) => d.message).join("; ")}`);
  return ort.InferenceSession.create(encodeModel(tg.model), { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
}

/** Every symbol is `size`; derived dims such as "1+T" or "floor((H-1)/2)+1" are evaluated. */
function dimOf(d: number | string | null, size: number): number {
  if (typeof d === "number") return d;
  if (d === null) return size;
  const expr = d.replace(/[A-Za-z_][\w.]*/g, (name) => (name === "floor" ? "Math.floor" : String(size)));
  return Number(new Function(`return ${expr};`)());
}
const dimsOf = (shape: readonly (number | string | null)[] | null, batch: number): number[] =>
  (shape ?? []).map((d) => dimOf(d, batch));

/** Seeded feeds for every input of a training graph: floats in [-1, 1], class targets in [0, classes). */
export function randomFeeds(tg: TrainingGraph, seed: number, batch = 2, classes: Record<string, number> = {}): Feeds {
  const rand = mulberry32(seed);
  const feeds: Feeds = {};
  for (const i of tg.model.graph.inputs) {
    const dims = dimsOf(i.shape, batch);
    const n = dims.reduce((a, b) => a * b, 1);
    if (i.dtype === "int64") {
      const k = classes[i.name] ?? 2;
      feeds[i.name] = new ort.Tensor(
        "int64",
        BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * k))),
        dims,
      );
    } else
      feeds[i.name] = new ort.Tensor(
        "float32",
        Float32Array.from({ length: n }, () => rand() * 2 - 1),
        dims,
      );
  }
  return feeds;
}

type LossOf = (results: ort.InferenceSession.OnnxValueMapType, feeds: Feeds) => number;
const graphLoss: LossOf = (r) => (r.loss.data as Float32Array)[0];

/** The largest absolute difference relative to the largest |want|; Infinity when the lengths differ. */
export function relError(got: ArrayLike<number>, want: readonly number[]): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return got.length === want.length ? diff / scale : Infinity;
}

/** The L2 loss of task `task` recomputed in float64 from the float32 outputs (less round-off). */
export const l2In64 =
  (task: string): LossOf =>
  (r, feeds) => {
    const y = r[`output.${task}`].data as Float32Array;
    const t = feeds[`target.${task}`].data as Float32Array;
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += (y[i] - t[i]) ** 2;
    return sum / y.length;
  };

export interface GradCheck {
  readonly param: string;
  readonly analytic: number;
  readonly numeric: number;
  readonly error: number; // |a - n| / max(|a|, |n|, |g| |u| / sqrt(n))
}

/**
 * For each trained parameter: the gradient's directional derivative along a random direction
 * against (L(p + h u) - L(p - h u)) / 2h, evaluated by the same graph.
 */
export async function checkGradients(
  tg: TrainingGraph,
  feeds: Feeds,
  seed: number,
  h = 1e-3,
  loss: LossOf = graphLoss,
): Promise<GradCheck[]> {
  const session = await sessionOf(tg);
  const base = await session.run(feeds);
  const rand = mulberry32(seed);
  const out: GradCheck[] = [];
  for (const p of tg.params) {
    const x = feeds[p].data as Float32Array;
    const u = Float32Array.from(x, () => rand() * 2 - 1);
    const g = base[`grad.${p}`].data as Float32Array;
    let [analytic, gg, uu] = [0, 0, 0];
    for (let i = 0; i < u.length; i++) {
      analytic += g[i] * u[i];
      gg += g[i] * g[i];
      uu += u[i] * u[i];
    }
    // A random direction's typical |g.u| is |g| |u| / sqrt(n): errors are measured against at least that.
    const typical = Math.sqrt((gg * uu) / u.length);
    const at = async (s: number): Promise<number> => {
      const moved = Float32Array.from(x, (v, i) => v + s * h * u[i]);
      const r = await session.run({ ...feeds, [p]: new ort.Tensor("float32", moved, feeds[p].dims) });
      return loss(r, feeds);
    };
    const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
    const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), typical, 1e-6);
    out.push({ param: p, analytic, numeric, error });
  }
  return out;
}

export type { Config, Graph };
