// Sampling with temperature, top-k and top-p (nucleus), seeded. Per step, for each input:
//  1. z = logits / temperature, p = softmax(z);
//  2. top-k (k > 0 and k < vocab): keep the k largest z (ties: lower token id), renormalise;
//  3. top-p (p < 1): sort the kept tokens by z, higher first (ties: lower id), keep the
//     shortest head whose cumulative probability reaches top_p (up to a relative 1e-12 for
//     rounding; at least one token), renormalise;
//  4. draw u uniform in [0, 1) and take the first token, in token-id order over the kept tokens,
//     whose cumulative probability exceeds u.
// Each input row r draws from its own stream seededRng(seed, r): one number per generated token, so
// the result depends only on the seed, the row and the model. The score is the model's log-prob of
// the tokens (log-softmax of the raw logits, no temperature or filtering).
import type { DecodeSpec } from "../../compiler/ir/types";
import { softmax, topIndices } from "./logits";
import { decodeOneByOne } from "./one-by-one";
import { seededRng, type Rng } from "./rng";
import { DecodeError, type SequenceResult, type StepFn } from "./types";
import { checkSequenceParams } from "./validate";

/** Relative slack for the top-p comparison, so that rounding (0.1 * 5 = 0.49999...) does not keep an extra token. */
export const TOP_P_SLACK = 1e-12;

/** The `sample` decoding spec's parameters, as the compiler declares them (compiler/ir/types.ts). */
export type SampleParams = Omit<Extract<DecodeSpec, { kind: "sample" }>, "kind">;

export function checkSampleParams(p: Pick<SampleParams, "temperature" | "topK" | "topP" | "seed">): void {
  if (!(p.temperature > 0) || !Number.isFinite(p.temperature))
    throw new DecodeError(`temperature must be > 0, got ${p.temperature}`);
  if (!Number.isInteger(p.topK) || p.topK < 0)
    throw new DecodeError(`topK must be an integer >= 0 (0: off), got ${p.topK}`);
  if (!(p.topP > 0 && p.topP <= 1)) throw new DecodeError(`topP must be in (0, 1] (1: off), got ${p.topP}`);
  if (!Number.isFinite(p.seed)) throw new DecodeError(`seed must be a finite number, got ${p.seed}`);
}

/** The distribution tokens are drawn from (steps 1-3 above); filtered tokens get probability 0. */
export function samplingDistribution(
  logits: ArrayLike<number>,
  p: Pick<SampleParams, "temperature" | "topK" | "topP">,
): Float64Array {
  const n = logits.length;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = logits[i] / p.temperature;
  let probs = softmax(z);
  const renormalise = (keep: number[]) => {
    const out = new Float64Array(n);
    let sum = 0;
    for (const i of keep) sum += probs[i];
    for (const i of keep) out[i] = probs[i] / sum;
    probs = out;
  };
  if (p.topK > 0 && p.topK < n) renormalise(topIndices(z, p.topK));
  if (p.topP < 1) {
    // by z rather than by probability: exp may round distinct z to equal probabilities
    const order = topIndices(z, n).filter((i) => probs[i] > 0);
    const keep: number[] = [];
    let cum = 0;
    for (const i of order) {
      keep.push(i);
      cum += probs[i];
      if (cum >= p.topP * (1 - TOP_P_SLACK)) break;
    }
    renormalise(keep);
  }
  return probs;
}

/** Step 4: the first token (by id) whose cumulative probability exceeds u. */
export function drawToken(probs: ArrayLike<number>, rng: Rng): number {
  const u = rng.next();
  let cum = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (!(probs[i] > 0)) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u beyond the rounded total
}

export async function decodeSample(p: SampleParams, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  checkSequenceParams(p, batchSize);
  checkSampleParams(p);
  const rngs = Array.from({ length: batchSize }, (_, r) => seededRng(p.seed, r));
  return decodeOneByOne(p, step, batchSize, (logits, r) => drawToken(samplingDistribution(logits, p), rngs[r]));
}
