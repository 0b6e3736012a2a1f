// Each task metric of compiler/train/spec.ts's METRICS catalogue as a streaming accumulator: batches
// of raw head outputs and their targets go in (`add`), one number comes out (`value`). Conventions
// (docs/eval.md): the class / vector axis is 1 for [N, C] and [N, C, H, W] outputs and the last one
// for sequence outputs [N, T, V]; class targets equal to the ignore index are skipped; regression
// targets that are not finite are skipped (missing depth or normals), abs_rel also skips targets
// <= 0 and the normal metrics skip zero-length target vectors.
import { MtlError } from "../../compiler/errors";
import { METRICS } from "../../compiler/train/spec";

/** A metric the evaluator cannot compute, or data it cannot score (docs/errors.md). */
export class EvalError extends MtlError {
  constructor(code: `MTL-EVAL-${string}`, message: string, hint?: string, exitCode = 1) {
    super(code, message, hint, exitCode);
  }
}

export interface Scores {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface Targets {
  readonly data: ArrayLike<number | bigint>;
}

export interface MetricAccumulator {
  readonly name: string;
  readonly higherIsBetter: boolean;
  add(out: Scores, target: Targets): void;
  /** The metric over everything added; NaN when nothing could be scored. */
  value(): number;
  /** Values scored (samples, pixels or tokens). */
  readonly count: number;
}

export interface MetricOptions {
  /** Class targets equal to this are skipped (cross_entropy's ignore index). */
  readonly ignoreIndex?: number | null;
}

/** The layout of an output: `outer` positions before the class axis, `c` classes, `inner` after. */
function layout(dims: readonly number[]): { outer: number; c: number; inner: number } {
  if (dims.length === 3) return { outer: dims[0] * dims[1], c: dims[2], inner: 1 }; // sequence [N, T, V]
  const inner = dims.slice(2).reduce((a, b) => a * b, 1);
  return { outer: dims[0], c: dims[1] ?? 1, inner };
}

const num = (t: Targets, i: number): number => Number(t.data[i]);

function classTarget(t: Targets, i: number, c: number, metric: string): number {
  const v = num(t, i);
  if (!Number.isInteger(v) || v < 0 || v >= c)
    throw new EvalError(
      "MTL-EVAL-002",
      `${metric}: target ${v} is not a class of a ${c}-class output`,
      "check the data set's labels, or declare the loss's ignore index for unlabelled values",
    );
  return v;
}

/** Visits every scored position: its class scores' base index, stride, and target index. */
function eachPosition(out: Scores, fn: (base: number, stride: number, pos: number) => void): void {
  const { outer, c, inner } = layout(out.dims);
  for (let o = 0; o < outer; o++) for (let p = 0; p < inner; p++) fn(o * c * inner + p, inner, o * inner + p);
}

function topK(name: string, k: number, o: MetricOptions): MetricAccumulator {
  let hits = 0;
  let count = 0;
  const ignore = o.ignoreIndex ?? null;
  return {
    name,
    higherIsBetter: true,
    get count() {
      return count;
    },
    add(out, target) {
      const { c } = layout(out.dims);
      const x = out.data;
      eachPosition(out, (base, stride, pos) => {
        if (ignore !== null && num(target, pos) === ignore) return;
        const t = classTarget(target, pos, c, name);
        const s = x[base + t * stride];
        // Rank of the target: classes scoring strictly higher, and for accuracy (k = 1) also equal
        // scores at lower classes, so that it is the argmax with ties to the first class (as
        // validation and torch.argmax); top-5 counts ties for the target.
        let above = 0;
        for (let j = 0; j < c && above < k; j++) {
          const v = x[base + j * stride];
          if (v > s || (k === 1 && v === s && j < t)) above++;
        }
        hits += above < k ? 1 : 0;
        count++;
      });
    },
    value: () => (count ? hits / count : NaN),
  };
}

function miou(o: MetricOptions): MetricAccumulator {
  let conf: Float64Array | null = null;
  let classes = 0;
  let count = 0;
  const ignore = o.ignoreIndex ?? null;
  return {
    name: "miou",
    higherIsBetter: true,
    get count() {
      return count;
    },
    add(out, target) {
      const { c } = layout(out.dims);
      if (!conf) {
        classes = c;
        conf = new Float64Array(c * c);
      }
      const x = out.data;
      const m = conf;
      eachPosition(out, (base, stride, pos) => {
        if (ignore !== null && num(target, pos) === ignore) return;
        const t = classTarget(target, pos, c, "miou");
        let best = 0;
        for (let j = 1; j < c; j++) if (x[base + j * stride] > x[base + best * stride]) best = j;
        m[t * c + best]++;
        count++;
      });
    },
    value() {
      if (!conf || !count) return NaN;
      let sum = 0;
      let n = 0;
      for (let k = 0; k < classes; k++) {
        let row = 0;
        let col = 0;
        for (let j = 0; j < classes; j++) {
          row += conf[k * classes + j];
          col += conf[j * classes + k];
        }
        const union = row + col - conf[k * classes + k];
        if (union > 0) {
          sum += conf[k * classes + k] / union;
          n++;
        }
      }
      return sum / n;
    },
  };
}

/** rmse, l1, abs_rel: element-wise over the whole output. */
function regression(name: "rmse" | "l1" | "abs_rel"): MetricAccumulator {
  let sum = 0;
  let count = 0;
  return {
    name,
    higherIsBetter: false,
    get count() {
      return count;
    },
    add(out, target) {
      const x = out.data;
      for (let i = 0; i < x.length; i++) {
        const t = num(target, i);
        if (!Number.isFinite(t) || (name === "abs_rel" && t <= 0)) continue;
        const d = x[i] - t;
        sum += name === "rmse" ? d * d : name === "l1" ? Math.abs(d) : Math.abs(d) / t;
        count++;
      }
    },
    value: () => {
      if (!count) return NaN;
      return name === "rmse" ? Math.sqrt(sum / count) : sum / count;
    },
  };
}

/** mean_angle (degrees) and within_11_25 (share): vectors along axis 1. */
function normals(name: "mean_angle" | "within_11_25"): MetricAccumulator {
  let sum = 0;
  let count = 0;
  return {
    name,
    higherIsBetter: name === "within_11_25",
    get count() {
      return count;
    },
    add(out, target) {
      const x = out.data;
      const { c } = layout(out.dims);
      eachPosition(out, (base, stride) => {
        let dot = 0;
        let pp = 0;
        let tt = 0;
        for (let j = 0; j < c; j++) {
          const p = x[base + j * stride];
          const t = num(target, base + j * stride);
          dot += p * t;
          pp += p * p;
          tt += t * t;
        }
        if (!(tt > 0) || !Number.isFinite(tt)) return;
        const cos = pp > 0 ? Math.max(-1, Math.min(1, dot / Math.sqrt(pp * tt))) : 0;
        const deg = (Math.acos(cos) * 180) / Math.PI;
        sum += name === "mean_angle" ? deg : deg < 11.25 ? 1 : 0;
        count++;
      });
    },
    value: () => (count ? sum / count : NaN),
  };
}

/**
 * Average precision of one label, as scikit-learn's average_precision_score: scores sorted
 * descending, tied scores form one threshold, AP = sum over thresholds of (R_k - R_k-1) P_k.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] > 0.5 ? 1 : 0;
  if (!positives) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length; i++) {
    tp += labels[order[i]] > 0.5 ? 1 : 0;
    seen++;
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/** mAP over labels (channels) with at least one positive; each label's scores over samples and pixels. */
function meanAp(): MetricAccumulator {
  let scores: number[][] = [];
  let labels: number[][] = [];
  let count = 0;
  return {
    name: "map",
    higherIsBetter: true,
    get count() {
      return count;
    },
    add(out, target) {
      const { c } = layout(out.dims);
      if (!scores.length) {
        scores = Array.from({ length: c }, () => []);
        labels = Array.from({ length: c }, () => []);
      }
      eachPosition(out, (base, stride) => {
        for (let j = 0; j < c; j++) {
          const t = num(target, base + j * stride);
          if (!Number.isFinite(t)) continue;
          scores[j].push(out.data[base + j * stride]);
          labels[j].push(t);
        }
        count++;
      });
    },
    value() {
      const aps = scores.map((s, j) => averagePrecision(s, labels[j])).filter((x) => !Number.isNaN(x));
      return aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : NaN;
    },
  };
}

/** Thresholds of the F-measures: 0.01 .. 0.99 on the sigmoid of the logits. */
const F_THRESHOLDS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/**
 * F-measure at the best data-set-wide threshold, counts pooled over every pixel: beta^2 = 0.3 for
 * saliency (max_f), 1 for edges (ods_f; pixel-exact, without the BSDS matching tolerance).
 */
function fMeasure(name: "max_f" | "ods_f"): MetricAccumulator {
  const beta2 = name === "max_f" ? 0.3 : 1;
  const tp = new Float64Array(F_THRESHOLDS.length);
  const predicted = new Float64Array(F_THRESHOLDS.length);
  let positives = 0;
  let count = 0;
  return {
    name,
    higherIsBetter: true,
    get count() {
      return count;
    },
    add(out, target) {
      const x = out.data;
      for (let i = 0; i < x.length; i++) {
        const t = num(target, i);
        if (!Number.isFinite(t)) continue;
        const p = 1 / (1 + Math.exp(-x[i]));
        const pos = t > 0.5;
        positives += pos ? 1 : 0;
        for (let k = 0; k < F_THRESHOLDS.length && p >= F_THRESHOLDS[k]; k++) {
          predicted[k]++;
          tp[k] += pos ? 1 : 0;
        }
        count++;
      }
    },
    value() {
      if (!count) return NaN;
      let best = 0;
      for (let k = 0; k < F_THRESHOLDS.length; k++) {
        const precision = predicted[k] ? tp[k] / predicted[k] : 0;
        const recall = positives ? tp[k] / positives : 0;
        const f = precision + recall > 0 ? ((1 + beta2) * precision * recall) / (beta2 * precision + recall) : 0;
        best = Math.max(best, f);
      }
      return best;
    },
  };
}

/** The metrics mtl eval computes (every catalogue entry except cider, which needs reference captions). */
export const EVAL_METRICS = [
  "accuracy",
  "top5",
  "miou",
  "rmse",
  "abs_rel",
  "l1",
  "mean_angle",
  "within_11_25",
  "map",
  "max_f",
  "ods_f",
] as const;

export function createMetric(name: string, o: MetricOptions = {}): MetricAccumulator {
  switch (name) {
    case "accuracy":
      return topK("accuracy", 1, o);
    case "top5":
      return topK("top5", 5, o);
    case "miou":
      return miou(o);
    case "rmse":
    case "l1":
    case "abs_rel":
      return regression(name);
    case "mean_angle":
    case "within_11_25":
      return normals(name);
    case "map":
      return meanAp();
    case "max_f":
    case "ods_f":
      return fMeasure(name);
    default:
      throw new EvalError(
        "MTL-EVAL-001",
        METRICS[name] ? `mtl eval does not compute metric \`${name}\`` : `unknown metric \`${name}\``,
        `metrics mtl eval computes: ${EVAL_METRICS.join(", ")}`,
      );
  }
}

/**
 * The metrics reported for a task: its declared one first (the one its utility uses), then the
 * companions of the same family that are cheap alongside it (depth: rmse, abs_rel; normals: both
 * angle figures). Without a declared metric, the loss decides (cross_entropy: accuracy, bce: map,
 * cosine: mean_angle, l1/l2: rmse).
 */
export function taskMetrics(declared: string | null, loss: string | null, channels: number): string[] {
  const byLoss: Record<string, string> = {
    cross_entropy: "accuracy",
    bce: "map",
    cosine: "mean_angle",
    l1: "rmse",
    l2: "rmse",
  };
  const first = declared ?? (loss ? byLoss[loss] : undefined) ?? "rmse";
  const family: Record<string, readonly string[]> = {
    rmse: ["abs_rel"],
    abs_rel: ["rmse"],
    mean_angle: ["within_11_25"],
    within_11_25: ["mean_angle"],
    accuracy: channels >= 5 ? ["top5"] : [],
    miou: ["accuracy"],
  };
  return [first, ...(family[first] ?? [])];
}
