// Data parallelism within one step: the batch split into contiguous shares, one per worker thread,
// each share run through every configuration of the step, and the shares' results combined into
// what one run over the whole batch reports: losses and gradients weighted by share size (each is a
// mean over its share), BatchNorm batch statistics pooled exactly (means and variances of the
// union). Only the normalisation itself differs: each share is normalised by its own statistics,
// as PyTorch's DistributedDataParallel does without SyncBatchNorm.
import * as ort from "onnxruntime-node";
import type { BatchnormStats } from "./program";
import type { Feeds } from "./step";
import type { Outputs } from "./worker-pool";

/** Shares smaller than this are not worth a thread's per-run overhead (and BatchNorm needs a few samples). */
export const MIN_SHARE = 8;

/** The batch size of a step's feeds: the first axis of its tensors (they all share it). */
export function batchOf(data: Feeds): number {
  const first = Object.values(data)[0];
  if (!first || first.dims.length === 0) throw new Error("internal: a training step needs batched feeds");
  return first.dims[0];
}

/** Sizes of at most `threads` shares of `batch` samples, each at least MIN_SHARE, differing by at most one. */
export function shareSizes(batch: number, threads: number): number[] {
  const n = Math.max(1, Math.min(threads, Math.floor(batch / MIN_SHARE)));
  const base = Math.floor(batch / n);
  return Array.from({ length: n }, (_, i) => base + (i < batch % n ? 1 : 0));
}

/** Every feed whose first axis is the batch, cut into consecutive shares of `sizes` samples (copies). */
export function splitFeeds(data: Feeds, sizes: readonly number[]): Feeds[] {
  const batch = sizes.reduce((a, b) => a + b, 0);
  const shares: Record<string, ort.Tensor>[] = sizes.map(() => ({}));
  for (const [name, t] of Object.entries(data)) {
    if (t.dims[0] !== batch) {
      for (const s of shares) s[name] = t;
      continue;
    }
    const stride = t.dims.slice(1).reduce((a, b) => a * b, 1);
    const values = t.data as Float32Array | BigInt64Array;
    let start = 0;
    sizes.forEach((size, i) => {
      const part = values.slice(start * stride, (start + size) * stride);
      shares[i][name] = new ort.Tensor(t.type, part as never, [size, ...t.dims.slice(1)]);
      start += size;
    });
  }
  return shares;
}

/**
 * Mean and unbiased variance of the union of shares from each share's, `counts` values per channel
 * each: M2 = sum (c_s - 1) v_s + c_s (m_s - m)^2. With counts unknown (a symbolic spatial size),
 * `counts` are only proportions and the shares are taken as large (the Bessel terms vanish).
 */
export function poolMoments(
  counts: readonly number[],
  means: readonly Float32Array[],
  variances: readonly Float32Array[],
  exact: boolean,
): { mean: Float32Array; variance: Float32Array } {
  const total = counts.reduce((a, b) => a + b, 0);
  const channels = means[0].length;
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let s = 0; s < counts.length; s++) m += counts[s] * means[s][c];
    m /= total;
    let m2 = 0;
    for (let s = 0; s < counts.length; s++) {
      const d = means[s][c] - m;
      m2 += exact ? (counts[s] - 1) * variances[s][c] + counts[s] * d * d : counts[s] * (variances[s][c] + d * d);
    }
    mean[c] = m;
    variance[c] = exact ? m2 / (total - 1) : m2 / total;
  }
  return { mean, variance };
}

const isSummed = (name: string) => name === "loss" || name.startsWith("loss.") || name.startsWith("grad.");

/**
 * One configuration's outputs over the whole batch from its outputs on each share (`sizes` samples
 * each, in batch order): losses and gradients weighted by share size, BatchNorm statistics pooled.
 * Other outputs (raw task outputs, features) are per sample and stay with their shares: left out.
 */
export function combineShares(
  outs: readonly Outputs[],
  sizes: readonly number[],
  batchnorms: readonly BatchnormStats[],
): Outputs {
  if (outs.length === 1) return outs[0];
  const batch = sizes.reduce((a, b) => a + b, 0);
  const weights = sizes.map((s) => s / batch);
  const combined: Outputs = {};
  for (const [name, t] of Object.entries(outs[0])) {
    if (!isSummed(name)) continue;
    const parts = outs.map((o) => o[name].data as Float32Array);
    const sum = new Float32Array(parts[0].length);
    for (let i = 0; i < sum.length; i++) {
      let acc = 0;
      for (let s = 0; s < parts.length; s++) acc += weights[s] * parts[s][i];
      sum[i] = acc;
    }
    combined[name] = new ort.Tensor("float32", sum, t.dims);
  }
  for (const bn of batchnorms) {
    const exact = bn.perSample !== null;
    const counts = sizes.map((s) => s * (bn.perSample ?? 1));
    const pooled = poolMoments(
      counts,
      outs.map((o) => o[bn.mean].data as Float32Array),
      outs.map((o) => o[bn.variance].data as Float32Array),
      exact,
    );
    combined[bn.mean] = new ort.Tensor("float32", pooled.mean, [pooled.mean.length]);
    combined[bn.variance] = new ort.Tensor("float32", pooled.variance, [pooled.variance.length]);
  }
  return combined;
}
