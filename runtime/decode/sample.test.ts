import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeGreedy } from "./greedy";
import { softmax } from "./logits";
import { seededRng } from "./rng";
import { decodeSample, drawToken, samplingDistribution } from "./sample";
import { rowView, sequenceLogProb, toyModel } from "./test-model";
import { DecodeError } from "./types";

const BOS = 1;
const EOS = 2;
const params = (
  o: Partial<{ temperature: number; topK: number; topP: number; seed: number; maxLen: number }> = {},
) => ({
  temperature: 1,
  topK: 0,
  topP: 1,
  seed: 0,
  maxLen: 6,
  bos: BOS,
  eos: EOS,
  ...o,
});

/** Reference filter: tokens sorted by (logit / T desc, id asc); top-k prefix; then the shortest prefix reaching top_p. */
function referenceKept(logits: number[], T: number, k: number, p: number): number[] {
  const z = logits.map((x) => x / T);
  const order = logits.map((_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
  let kept = k > 0 ? order.slice(0, k) : order;
  if (p < 1) {
    const w = kept.map((i) => Math.exp(z[i] - z[kept[0]]));
    const total = w.reduce((a, x) => a + x, 0);
    let cum = 0;
    const n = w.findIndex((x) => (cum += x / total) >= p * (1 - 1e-12));
    kept = kept.slice(0, n < 0 ? kept.length : n + 1);
  }
  return kept.sort((a, b) => a - b);
}

describe("samplingDistribution", () => {
  it("keeps the tokens of the reference filter, with softmax(logits / T) renormalised over them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0.3, 1, 2.5),
        fc.integer({ min: 0, max: 14 }),
        fc.constantFrom(0.05, 0.5, 0.9, 0.999, 1),
        (logits, T, k, p) => {
          const probs = samplingDistribution(logits, { temperature: T, topK: k, topP: p });
          const kept = referenceKept(logits, T, k, p);
          expect(probs.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 9);
          const nonzero = Array.from(probs.keys()).filter((i) => probs[i] > 0);
          expect(nonzero).toEqual(kept);
          const w = kept.map((i) => Math.exp(logits[i] / T - Math.max(...kept.map((j) => logits[j] / T))));
          const total = w.reduce((a, x) => a + x, 0);
          kept.forEach((i, j) => expect(probs[i]).toBeCloseTo(w[j] / total, 9));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("top-k breaks ties toward lower ids; top-p keeps at least one token", () => {
    const probs = samplingDistribution([1, 3, 3, 3], { temperature: 1, topK: 2, topP: 1 });
    expect(Array.from(probs)).toEqual([0, 0.5, 0.5, 0]);
    const one = samplingDistribution([0, 0, 0], { temperature: 1, topK: 0, topP: 1e-9 });
    expect(Array.from(one)).toEqual([1, 0, 0]);
  });

  it("drawToken walks the cumulative distribution by token id", () => {
    const fixed = (u: number) => ({ next: () => u });
    const p = [0, 0.25, 0, 0.75];
    expect(drawToken(p, fixed(0))).toBe(1);
    expect(drawToken(p, fixed(0.2499))).toBe(1);
    expect(drawToken(p, fixed(0.25))).toBe(3);
    expect(drawToken(p, fixed(0.9999999999))).toBe(3);
    expect(drawToken([0.3, 0.3, 0.3, 0], fixed(0.95))).toBe(2); // rounding shortfall: last kept token
  });
});

describe("sampling", () => {
  it("is deterministic for a seed, and different seeds give different samples", async () => {
    const m = toyModel({ vocab: 10, seed: 4, scale: 1 });
    const a = await decodeSample(params({ seed: 123, maxLen: 12 }), m.step, 3);
    const b = await decodeSample(params({ seed: 123, maxLen: 12 }), m.step, 3);
    expect(a).toEqual(b);
    const outs = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      outs.add((await decodeSample(params({ seed, maxLen: 12 }), m.step))[0].tokens.join(","));
    expect(outs.size).toBeGreaterThan(10);
    expect(new Set(a.map((r) => r.tokens.join(","))).size).toBe(3); // rows draw from their own streams
  });

  it("top-k = 1 and a tiny top-p both equal greedy decoding, at any temperature", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom(0.1, 1, 5),
        fc.integer({ min: 1, max: 8 }),
        async (mseed, seed, T, maxLen) => {
          const m = toyModel({ vocab: 8, seed: mseed, eosBias: 0.5 });
          const [g] = await decodeGreedy({ maxLen, bos: BOS, eos: EOS }, m.step);
          const [k1] = await decodeSample(params({ seed, temperature: T, topK: 1, maxLen }), m.step);
          const [p0] = await decodeSample(params({ seed, temperature: T, topP: 1e-9, maxLen }), m.step);
          expect(k1).toEqual(g);
          expect(p0).toEqual(g);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("first-token frequencies over many seeds match softmax(logits / T), also after top-k / top-p", async () => {
    const logits = Float32Array.from([0.5, -1, 1.2, 0, 2, -0.3, 0.8]);
    const step = async (ps: readonly (readonly number[])[]) => ps.map(() => logits);
    const N = 6000;
    for (const [T, k, p] of [
      [1, 0, 1],
      [0.6, 0, 1],
      [2, 0, 1],
      [1, 3, 1],
      [1, 0, 0.8],
    ] as const) {
      const counts = new Array(logits.length).fill(0);
      for (let seed = 0; seed < N; seed++)
        counts[
          (await decodeSample(params({ seed, temperature: T, topK: k, topP: p, maxLen: 1 }), step))[0].tokens[0]
        ]++;
      const want =
        k === 0 && p === 1
          ? softmax(Array.from(logits, (x) => x / T))
          : samplingDistribution(logits, { temperature: T, topK: k, topP: p });
      want.forEach((q, i) => {
        const sd = Math.sqrt((q * (1 - q)) / N);
        expect(Math.abs(counts[i] / N - q)).toBeLessThanOrEqual(4.5 * sd + 1e-9);
      });
    }
  });

  it("scores with the model's own log-probabilities, stops at eos and respects maxLen", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(0.5, 1, 3),
        async (seed, maxLen, T) => {
          const m = toyModel({ vocab: 6, seed: 77, eosBias: 1 });
          const rs = await decodeSample(params({ seed, temperature: T, maxLen }), m.step, 4);
          rs.forEach((r, row) => {
            expect(r.tokens.length).toBeGreaterThan(0);
            expect(r.tokens.length).toBeLessThanOrEqual(maxLen);
            expect(r.tokens.slice(0, -1)).not.toContain(EOS);
            expect(r.finished).toBe(r.tokens[r.tokens.length - 1] === EOS);
            if (!r.finished) expect(r.tokens.length).toBe(maxLen);
            expect(r.score).toBeCloseTo(sequenceLogProb(m, BOS, r.tokens, row), 9);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("batches all rows into one StepFn call per step; row r uses the stream (seed, r)", async () => {
    const m = toyModel({ vocab: 9, seed: 8, eosBias: 0.5 });
    const rs = await decodeSample(params({ seed: 5, maxLen: 7 }), m.step, 4);
    expect(m.calls.length).toBeLessThanOrEqual(7);
    expect(m.calls[0]).toBe(4);
    m.calls.forEach((n, t) => expect(n).toBe(rs.filter((r) => r.tokens.length > t).length));
    // row 0 alone sees the same stream as row 0 in the batch
    expect((await decodeSample(params({ seed: 5, maxLen: 7 }), rowView(m, 0)))[0]).toEqual(rs[0]);
    // a hand-rolled sampler with seededRng(seed, row) reproduces row 2
    const rng = seededRng(5, 2);
    const toks: number[] = [];
    while (toks.length < 7 && toks[toks.length - 1] !== EOS)
      toks.push(
        drawToken(samplingDistribution(m.logitsOf([BOS, ...toks], 2), { temperature: 1, topK: 0, topP: 1 }), rng),
      );
    expect(rs[2].tokens).toEqual(toks);
  });

  it("rejects bad parameters", async () => {
    const m = toyModel({ vocab: 5, seed: 1 });
    for (const bad of [
      { temperature: 0 },
      { temperature: -1 },
      { topK: -1 },
      { topK: 1.5 },
      { topP: 0 },
      { topP: 1.5 },
      { seed: NaN },
    ])
      await expect(decodeSample(params(bad), m.step)).rejects.toThrow(DecodeError);
  });
});
