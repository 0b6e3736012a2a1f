// Activation ranges for int8, per configuration: run the configuration's flat fp32 graph on the
// calibration samples with every tensor the QDQ rewrite quantises as an extra output, and record
// its range: the extremes ("minmax"), or the p-th percentile of |x| above zero and below it
// averaged over samples ("percentile", which ignores rare outliers at the cost of clipping them).
import * as ort from "onnxruntime-node";
import type { MtlMetadata } from "../../compiler/lower/metadata";
import { encodeModel } from "../../compiler/onnx/encode";
import { activationTensors, withActivationOutputs } from "../../compiler/quantize/qdq";
import { createSession } from "../session-load";
import { flattenConfiguration } from "./flatten";
import type { Sample } from "./samples";
import { type CalibrationConfigSet, type CalibrationMethod, type QuantSpec } from "./spec";

export type Widths = Readonly<Record<string, number>>;

export interface CalibrateOptions {
  readonly method: CalibrationMethod;
  /** For "percentile": e.g. 99.99. */
  readonly percentile: number;
  readonly session: ort.InferenceSession.SessionOptions;
  readonly path: string;
  readonly onConfig?: (i: number, n: number, widths: Widths) => void;
}

/**
 * Which configurations to calibrate: "all" of them, the "diagonal" ones (every group at its k-th
 * choice, as BatchNorm calibration does for large models), or "auto": all when there are at most
 * 16, else the diagonal (nyud's 256 configurations: its 4 diagonal ones).
 */
export function calibrationConfigs(groups: MtlMetadata["groups"], which: CalibrationConfigSet): Widths[] {
  const count = groups.reduce((n, g) => n * g.choices.length, 1);
  if (which === "all" || (which === "auto" && count <= 16)) {
    let all: Record<string, number>[] = [{}];
    for (const g of groups) all = all.flatMap((c) => g.choices.map((_, i) => ({ ...c, [g.name]: i })));
    return all;
  }
  const k = Math.max(...groups.map((g) => g.choices.length));
  return Array.from({ length: k }, (_, i) =>
    Object.fromEntries(groups.map((g) => [g.name, Math.min(i, g.choices.length - 1)])),
  );
}

/** Running statistics of one tensor over samples. */
class RangeStats {
  min = Infinity;
  max = -Infinity;
  private lo = 0;
  private hi = 0;
  private n = 0;

  add(d: Float32Array, percentile: number | null): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    if (percentile === null) return;
    // A strided sample of at most 2^16 values per tensor and sample keeps this cheap.
    const step = Math.max(1, Math.floor(d.length / 65536));
    const sample: number[] = [];
    for (let i = 0; i < d.length; i += step) sample.push(d[i]);
    sample.sort((a, b) => a - b);
    const at = (q: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))];
    this.lo += Math.max(lo, at(1 - percentile / 100));
    this.hi += Math.min(hi, at(percentile / 100));
    this.n++;
  }

  range(percentile: boolean): [number, number] {
    return percentile && this.n ? [this.lo / this.n, this.hi / this.n] : [this.min, this.max];
  }
}

export async function calibrateConfig(
  bytes: Uint8Array,
  meta: MtlMetadata,
  widths: Widths,
  samples: readonly Sample[],
  o: CalibrateOptions,
): Promise<Record<string, [number, number]>> {
  const run = Object.fromEntries(meta.tasks.map((t) => [t.name, true]));
  const flat = await flattenConfiguration(bytes, { widths, run }, o.path, o.session);
  const names = activationTensors(flat.graph);
  const session = await createSession(encodeModel(withActivationOutputs(flat, names)), o.path, o.session);
  const stats = new Map(names.map((n) => [n, new RangeStats()]));
  const percentile = o.method === "percentile" ? o.percentile : null;
  try {
    for (const sample of samples) {
      const feeds = Object.fromEntries(Object.entries(sample).map(([k, t]) => [k, toTensor(t.data, t.dims)]));
      const out = await session.run(feeds, names);
      for (const n of names) stats.get(n)!.add(out[n].data as Float32Array, percentile);
    }
  } finally {
    await session.release();
  }
  return Object.fromEntries(names.map((n) => [n, stats.get(n)!.range(percentile !== null)]));
}

export async function calibrate(
  bytes: Uint8Array,
  meta: MtlMetadata,
  configs: readonly Widths[],
  samples: readonly Sample[],
  o: CalibrateOptions,
): Promise<QuantSpec> {
  const out: QuantSpec["configs"] = [];
  for (let i = 0; i < configs.length; i++) {
    o.onConfig?.(i, configs.length, configs[i]);
    out.push({ widths: { ...configs[i] }, ranges: await calibrateConfig(bytes, meta, configs[i], samples, o) });
  }
  return {
    format: 1,
    scheme: "int8-qdq",
    method: o.method,
    percentile: o.percentile,
    samples: samples.length,
    onnxruntime: ortVersion(),
    configs: out,
  };
}

export const ortVersion = (): string => ort.env.versions.common ?? "unknown";

export function toTensor(data: unknown, dims: readonly number[]): ort.Tensor {
  if (data instanceof BigInt64Array) return new ort.Tensor("int64", data, [...dims]);
  if (data instanceof Uint8Array) return new ort.Tensor("bool", data, [...dims]);
  return new ort.Tensor("float32", data as Float32Array, [...dims]);
}
