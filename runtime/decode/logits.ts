// Numerics shared by the decoders: stable log-softmax, argmax with a fixed tie rule, and the one
// place that calls a StepFn and checks what it returns.
import { DecodeError, type StepFn } from "./types";

/**
 * log-softmax, stable: (x - m) - log(sum(exp(x - m))) with m = max(x). Logits of -Infinity (masked
 * tokens) get -Infinity; NaN, +Infinity or all -Infinity are errors.
 */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  const n = logits.length;
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = logits[i];
    if (Number.isNaN(x) || x === Infinity) throw new DecodeError(`logits hold ${x} at token ${i}`);
    if (x > m) m = x;
  }
  if (m === -Infinity) throw new DecodeError("every logit is -Infinity: no token can follow");
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i] - m);
  // (x - m) - log(sum), not x - (m + log(sum)): the latter loses log(sum) when |m| is huge.
  const logSum = Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = logits[i] - m - logSum;
  return out;
}

/** softmax via logSoftmax (same stability and checks). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const ls = logSoftmax(logits);
  for (let i = 0; i < ls.length; i++) ls[i] = Math.exp(ls[i]);
  return ls;
}

/** Index of the largest value; ties go to the lowest index. */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/**
 * Indices of the k largest values, largest first; ties go to the lower index. -Infinity and NaN
 * entries are left out, so fewer than k may come back.
 */
export function topIndices(xs: ArrayLike<number>, k: number): number[] {
  const n = xs.length;
  const before = (a: number, b: number) => xs[a] > xs[b] || (xs[a] === xs[b] && a < b);
  if (k >= n / 4) {
    const all: number[] = [];
    for (let i = 0; i < n; i++) if (xs[i] > -Infinity) all.push(i);
    all.sort((a, b) => (before(a, b) ? -1 : 1));
    return all.slice(0, k);
  }
  // Small k: keep a sorted list of the best k seen so far (insertion), O(n * k) worst case but
  // O(n) in practice since most values do not beat the current k-th.
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(xs[i] > -Infinity)) continue;
    if (top.length === k && !before(i, top[k - 1])) continue;
    let j = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push(i);
    while (j > 0 && before(i, top[j - 1])) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top;
}

/** Calls `step` and checks it returned one logits vector per prefix, all of one length. */
export async function runStep(
  step: StepFn,
  prefixes: number[][],
  rows: number[],
  vocab: { size: number },
): Promise<Float32Array[]> {
  const out = await step(prefixes, rows);
  if (!Array.isArray(out) || out.length !== prefixes.length)
    throw new DecodeError(
      `the step function returned ${Array.isArray(out) ? out.length : typeof out} logits vectors for ${prefixes.length} prefixes`,
    );
  for (const l of out) {
    if (vocab.size < 0) vocab.size = l.length;
    if (l.length !== vocab.size || l.length === 0)
      throw new DecodeError(
        `the step function returned logits of length ${l.length}, expected ${vocab.size > 0 ? vocab.size : "at least 1"}`,
      );
  }
  return out;
}
