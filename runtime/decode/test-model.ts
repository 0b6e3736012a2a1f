// Toy "models" for the decoder tests: seeded random logits over a small vocabulary, as a StepFn.
// `markov`: the logits depend only on the last token (and the input row), a fixed random Markov
// table; otherwise they depend on the whole prefix (and the row), which makes beam search matter.
import { mix32, seededRng } from "./rng";
import type { StepFn } from "./types";

export interface ToyModelOptions {
  readonly vocab: number;
  readonly seed: number;
  /** Logits are uniform in [-scale, scale]; default 3. */
  readonly scale?: number;
  readonly markov?: boolean;
  /** Added to the logit of `eos` (default token 2), to make sequences end sooner or later. */
  readonly eosBias?: number;
  readonly eos?: number;
}

export interface ToyModel {
  readonly step: StepFn;
  /** The logits the model gives after `prefix` (bos included) for input `row`. */
  logitsOf(prefix: readonly number[], row?: number): Float32Array;
  /** The batch size of every StepFn call so far. */
  readonly calls: number[];
  /** Every prefix passed to the StepFn so far, with its row. */
  readonly seen: { prefix: number[]; row: number }[];
}

export function toyModel(o: ToyModelOptions): ToyModel {
  const scale = o.scale ?? 3;
  const eos = o.eos ?? 2;
  const logitsOf = (prefix: readonly number[], row = 0) => {
    let h = mix32((o.seed >>> 0) ^ 0x5bd1e995);
    h = mix32(h ^ mix32(row + 17));
    const key = o.markov ? [prefix[prefix.length - 1]] : prefix;
    for (const t of key) h = mix32((h ^ mix32(t + 1)) >>> 0);
    if (!o.markov) h = mix32(h ^ key.length);
    const rng = seededRng(h);
    const out = new Float32Array(o.vocab);
    for (let v = 0; v < o.vocab; v++) out[v] = (rng.next() * 2 - 1) * scale;
    if (o.eosBias && eos < o.vocab) out[eos] += o.eosBias;
    return out;
  };
  const calls: number[] = [];
  const seen: { prefix: number[]; row: number }[] = [];
  const step: StepFn = async (prefixes, rows) => {
    calls.push(prefixes.length);
    prefixes.forEach((p, i) => seen.push({ prefix: [...p], row: rows[i] }));
    return prefixes.map((p, i) => logitsOf(p, rows[i]));
  };
  return { step, logitsOf, calls, seen };
}

/** A StepFn that decodes input `row` of `model` while the decoder thinks it is row 0. */
export const rowView =
  (model: ToyModel, row: number): StepFn =>
  async (prefixes) =>
    prefixes.map((p) => model.logitsOf(p, row));

/** Log-probability of `tokens` after bos under the model (naive log-softmax in float64). */
export function sequenceLogProb(model: ToyModel, bos: number, tokens: readonly number[], row = 0): number {
  let sum = 0;
  const prefix = [bos];
  for (const t of tokens) {
    const l = Array.from(model.logitsOf(prefix, row));
    const m = Math.max(...l);
    sum += l[t] - m - Math.log(l.reduce((a, x) => a + Math.exp(x - m), 0));
    prefix.push(t);
  }
  return sum;
}
