import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeGreedy } from "./greedy";
import { rowView, sequenceLogProb, toyModel, type ToyModel } from "./test-model";
import { DecodeError } from "./types";

const BOS = 1;
const EOS = 2;

/** Reference: follow the argmax (lowest id on ties) of the model's logits until eos or maxLen. */
function argmaxChain(m: ToyModel, maxLen: number, row = 0): number[] {
  const out: number[] = [];
  while (out.length < maxLen) {
    const l = Array.from(m.logitsOf([BOS, ...out], row));
    const t = l.indexOf(Math.max(...l));
    out.push(t);
    if (t === EOS) break;
  }
  return out;
}

describe("greedy decoding", () => {
  it("equals the argmax chain, with the sum of log-probs as score", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 3, max: 10 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        async (seed, vocab, maxLen, markov) => {
          const m = toyModel({ vocab, seed, markov });
          const [r] = await decodeGreedy({ maxLen, bos: BOS, eos: EOS }, m.step);
          expect(r.tokens).toEqual(argmaxChain(m, maxLen));
          expect(r.score).toBeCloseTo(sequenceLogProb(m, BOS, r.tokens), 9);
          expect(r.logProb).toBe(r.score);
          expect(r.finished).toBe(r.tokens[r.tokens.length - 1] === EOS);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("stops at eos (kept as the last token) and never generates more than maxLen tokens", async () => {
    const always = async (ps: readonly (readonly number[])[]) => ps.map(() => Float32Array.from([0, 0, 0, 5]));
    const [r] = await decodeGreedy({ maxLen: 7, bos: BOS, eos: EOS }, always);
    expect(r.tokens).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect(r.finished).toBe(false);
    const eosSoon = async (ps: readonly (readonly number[])[]) =>
      ps.map((p) => Float32Array.from(p.length < 3 ? [0, 0, 0, 5] : [0, 0, 9, 0]));
    const [e] = await decodeGreedy({ maxLen: 7, bos: BOS, eos: EOS }, eosSoon);
    expect(e.tokens).toEqual([3, 3, EOS]);
    expect(e.finished).toBe(true);
  });

  it("prefixes passed to the model start with bos and grow by the chosen token", async () => {
    const m = toyModel({ vocab: 6, seed: 3, eosBias: -10 });
    const [r] = await decodeGreedy({ maxLen: 5, bos: BOS, eos: EOS }, m.step);
    expect(m.seen.map((s) => s.prefix)).toEqual([0, 1, 2, 3, 4].map((t) => [BOS, ...r.tokens.slice(0, t)]));
  });

  it("batches all inputs into one StepFn call per step, and each row decodes as if alone", async () => {
    const m = toyModel({ vocab: 8, seed: 11, eosBias: 1 });
    const rs = await decodeGreedy({ maxLen: 6, bos: BOS, eos: EOS }, m.step, 5);
    expect(m.calls.length).toBeLessThanOrEqual(6);
    expect(m.calls[0]).toBe(5);
    // calls shrink as rows finish: the batch at step t is the rows still decoding
    m.calls.forEach((n, t) => expect(n).toBe(rs.filter((r) => r.tokens.length > t).length));
    for (let row = 0; row < 5; row++) {
      const [alone] = await decodeGreedy({ maxLen: 6, bos: BOS, eos: EOS }, rowView(m, row));
      expect(rs[row]).toEqual(alone);
    }
  });

  it("handles an empty batch and rejects bad parameters", async () => {
    const m = toyModel({ vocab: 5, seed: 1 });
    expect(await decodeGreedy({ maxLen: 3, bos: BOS, eos: EOS }, m.step, 0)).toEqual([]);
    expect(m.calls).toEqual([]);
    await expect(decodeGreedy({ maxLen: 0, bos: BOS, eos: EOS }, m.step)).rejects.toThrow(DecodeError);
    await expect(decodeGreedy({ maxLen: 2.5, bos: BOS, eos: EOS }, m.step)).rejects.toThrow(/maxLen/);
    await expect(decodeGreedy({ maxLen: 2, bos: -1, eos: EOS }, m.step)).rejects.toThrow(/bos/);
  });
});
