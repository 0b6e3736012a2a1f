// Types shared by the sequence decoders (greedy, beam, diverse beam, sampling). Nothing here
// depends on onnxruntime or Node: the decoders only see a `StepFn`, so they run in a browser too.
import { MtlError } from "../../compiler/errors";

/**
 * One decoding step. `prefixes[i]` is a token prefix that starts with `bos`; the function returns,
 * for each prefix, the next-token logits (length vocab) at the prefix's last position.
 * `rows[i]` is the index (0 .. batchSize - 1) of the input that prefix i decodes for, so that a
 * model conditioned on more than the tokens (an image, say) can pair each prefix with its input.
 * A function that ignores `rows` is a valid StepFn. The decoders batch every live prefix of a
 * step (all inputs, all beams, all groups) into one call: one model run per step.
 */
export type StepFn = (prefixes: readonly (readonly number[])[], rows: readonly number[]) => Promise<Float32Array[]>;

/** One finished hypothesis of beam or diverse beam search. */
export interface Hypothesis {
  /** Generated tokens: without `bos`; ends with `eos` when `finished`. */
  readonly tokens: number[];
  /** Length-normalised model score: `logProb / tokens.length ** lengthPenalty`. */
  readonly score: number;
  /** Sum of the model's log-probabilities of `tokens` (log-softmax of the raw logits). */
  readonly logProb: number;
  /**
   * The score the search ranked by: like `score` but with the diversity penalties added to the sum
   * (diverse beam search). Equals `score` in plain beam search and in group 0.
   */
  readonly searchScore: number;
  /** True when the hypothesis ended with `eos`, false when it stopped at `maxLen`. */
  readonly finished: boolean;
}

/** The decoded sequence of one input. */
export interface SequenceResult {
  /** Generated tokens: without `bos`; ends with `eos` when `finished`. */
  readonly tokens: number[];
  /**
   * greedy and sample: `logProb`. beam and diverse_beam: the length-normalised `score` of the
   * best hypothesis (see `Hypothesis.score`).
   */
  readonly score: number;
  readonly logProb: number;
  readonly finished: boolean;
  /** beam: every returned hypothesis, best first (at most `beams`). */
  readonly beams?: Hypothesis[];
  /** diverse_beam: each group's hypotheses, best first by `searchScore` (at most beams / groups each). */
  readonly groups?: Hypothesis[][];
}

/** Decoding parameters that cannot work (MTL-DEC-001, docs/errors.md). */
export class DecodeError extends MtlError {
  constructor(message: string, hint?: string) {
    super("MTL-DEC-001", message, hint);
  }
}
