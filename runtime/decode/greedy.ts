// Greedy decoding: at each step append the most likely token (ties: the lowest token id) until eos
// or maxLen generated tokens. One StepFn call per step for every input still decoding.
import { argmax, logSoftmax, runStep } from "./logits";
import type { SequenceResult, StepFn } from "./types";
import { checkSequenceParams } from "./validate";

export interface GreedyParams {
  readonly maxLen: number;
  readonly bos: number;
  readonly eos: number;
}

export async function decodeGreedy(p: GreedyParams, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  checkSequenceParams(p, batchSize);
  const tokens: number[][] = Array.from({ length: batchSize }, () => []);
  const logProb = new Array<number>(batchSize).fill(0);
  const finished = new Array<boolean>(batchSize).fill(false);
  const vocab = { size: -1 };
  for (let t = 0; t < p.maxLen; t++) {
    const rows: number[] = [];
    for (let r = 0; r < batchSize; r++) if (!finished[r]) rows.push(r);
    if (rows.length === 0) break;
    const logits = await runStep(step, rows.map((r) => [p.bos, ...tokens[r]]), rows, vocab);
    rows.forEach((r, i) => {
      const lp = logSoftmax(logits[i]); // also rejects NaN / +Infinity logits
      const tok = argmax(logits[i]);
      tokens[r].push(tok);
      logProb[r] += lp[tok];
      if (tok === p.eos) finished[r] = true;
    });
  }
  return tokens.map((tk, r) => ({ tokens: tk, score: logProb[r], logProb: logProb[r], finished: finished[r] }));
}
