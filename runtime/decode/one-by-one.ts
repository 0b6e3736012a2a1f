// The loop shared by greedy decoding and sampling: one token per input per step, chosen by
// `pick`, until eos or maxLen; the score is the model's log-probability of the chosen tokens.
import { logSoftmax, runStep } from "./logits";
import type { SequenceResult, StepFn } from "./types";

export async function decodeOneByOne(
  p: { readonly maxLen: number; readonly bos: number; readonly eos: number },
  step: StepFn,
  batchSize: number,
  pick: (logits: Float32Array, row: number) => number,
): Promise<SequenceResult[]> {
  const tokens: number[][] = Array.from({ length: batchSize }, () => []);
  const logProb = new Array<number>(batchSize).fill(0);
  const finished = new Array<boolean>(batchSize).fill(false);
  const vocab = { size: -1 };
  for (let t = 0; t < p.maxLen; t++) {
    const rows: number[] = [];
    for (let r = 0; r < batchSize; r++) if (!finished[r]) rows.push(r);
    if (rows.length === 0) break;
    const logits = await runStep(
      step,
      rows.map((r) => [p.bos, ...tokens[r]]),
      rows,
      vocab,
    );
    rows.forEach((r, i) => {
      const lp = logSoftmax(logits[i]); // also rejects NaN / +Infinity logits
      const tok = pick(logits[i], r);
      tokens[r].push(tok);
      logProb[r] += lp[tok];
      if (tok === p.eos) finished[r] = true;
    });
  }
  return tokens.map((tk, r) => ({ tokens: tk, score: logProb[r], logProb: logProb[r], finished: finished[r] }));
}
