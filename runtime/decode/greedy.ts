// Greedy decoding: at each step append the most likely token (ties: the lowest token id) until eos
// or maxLen generated tokens. One StepFn call per step for every input still decoding.
import { argmax } from "./logits";
import { decodeOneByOne } from "./one-by-one";
import type { SequenceResult, StepFn } from "./types";
import { checkSequenceParams } from "./validate";

export interface GreedyParams {
  readonly maxLen: number;
  readonly bos: number;
  readonly eos: number;
}

export async function decodeGreedy(p: GreedyParams, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  checkSequenceParams(p, batchSize);
  return decodeOneByOne(p, step, batchSize, (logits) => argmax(logits));
}
