// The arithmetic of int8 quantisation, as onnxruntime's quantisation tool does it: activations uint8
// asymmetric over a range that always holds 0 (so zero padding is exact), weights int8 symmetric in
// [-127, 127] (no -128: VNNI's u8 x s8 sums cannot saturate), biases int32 at x_scale * w_scale.
import type { OnnxTensor } from "../onnx/model";

/** A calibrated activation range. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** uint8 scale and zero point for a range. */
export function activationParams(r: Range): { scale: number; zero: number } {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale: Math.fround(scale), zero };
}

export interface QuantizedTensor {
  readonly values: OnnxTensor;
  readonly scales: OnnxTensor;
  readonly zeros: OnnxTensor;
}

/** Symmetric int8 weights: one scale per slice along `axis` (max |w| / 127), or one for all when axis is null. */
export function quantizeWeight(w: OnnxTensor, axis: number | null): QuantizedTensor {
  const data = w.data as Float32Array;
  const dims = w.dims;
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? data.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const peak = new Float32Array(channels);
  for (let i = 0; i < data.length; i++) peak[channelOf(i)] = Math.max(peak[channelOf(i)], Math.abs(data[i]));
  const scales = Float32Array.from(peak, (p) => (p > 0 ? p / 127 : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = Math.round(data[i] / scales[channelOf(i)]);
    values[i] = Math.max(-127, Math.min(127, q));
  }
  const shape = axis === null ? [] : [channels];
  return {
    values: { name: w.name, dtype: "int8", dims: [...dims], data: values },
    scales: { name: `${w.name}.scale`, dtype: "float", dims: shape, data: scales },
    zeros: { name: `${w.name}.zero`, dtype: "int8", dims: shape, data: new Int8Array(channels) },
  };
}

/** int32 bias at scale x_scale * w_scale (per channel when the weight's scales are). */
export function quantizeBias(b: OnnxTensor, xScale: number, wScales: Float32Array): QuantizedTensor {
  const data = b.data as Float32Array;
  const perChannel = wScales.length > 1;
  const scales = perChannel ? Float32Array.from(wScales, (s) => xScale * s) : Float32Array.from([xScale * wScales[0]]);
  const values = Int32Array.from(data, (v, i) => {
    const q = Math.round(v / scales[perChannel ? i : 0]);
    return Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, q));
  });
  const shape = perChannel ? [data.length] : [];
  return {
    values: { name: b.name, dtype: "int32", dims: [...b.dims], data: values },
    scales: { name: `${b.name}.scale`, dtype: "float", dims: shape, data: scales },
    zeros: { name: `${b.name}.zero`, dtype: "int32", dims: shape, data: new Int32Array(perChannel ? data.length : 1) },
  };
}
