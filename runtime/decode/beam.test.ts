import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { continuationBound, decodeBeam } from "./beam";
import { decodeGreedy } from "./greedy";
import { rowView, sequenceLogProb, toyModel, type ToyModel } from "./test-model";
import { DecodeError } from "./types";

const BOS = 1;
const EOS = 2;

const naiveLogSoftmax = (l: Float32Array) => {
  const xs = Array.from(l);
  const m = Math.max(...xs);
  const z = Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  return xs.map((x) => x - m - z);
};

/** Every complete sequence (ends with eos, or maxLen tokens without eos) with its normalised score. */
function allSequences(m: ToyModel, vocab: number, maxLen: number, lp: number): { tokens: number[]; score: number }[] {
  const out: { tokens: number[]; score: number }[] = [];
  const walk = (tokens: number[]) => {
    if (tokens.length > 0 && (tokens[tokens.length - 1] === EOS || tokens.length === maxLen)) {
      out.push({ tokens, score: sequenceLogProb(m, BOS, tokens) / tokens.length ** lp });
      return;
    }
    for (let v = 0; v < vocab; v++) walk([...tokens, v]);
  };
  walk([]);
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Reference beam search, straight from the documented semantics: rank all B * vocab candidates,
 * eos within the first B ranks finishes, other tokens fill B beams, everything left at maxLen
 * finishes; no early stopping, no pruning; keep the B best finished (stable).
 */
function referenceBeam(m: ToyModel, B: number, lp: number, maxLen: number) {
  let live = [{ tokens: [] as number[], sum: 0 }];
  const finished: { tokens: number[]; score: number }[] = [];
  for (let t = 1; t <= maxLen && live.length > 0; t++) {
    const cands: { b: number; v: number; s: number }[] = [];
    live.forEach((beam, b) =>
      naiveLogSoftmax(m.logitsOf([BOS, ...beam.tokens])).forEach((l, v) => cands.push({ b, v, s: beam.sum + l })),
    );
    cands.sort((x, y) => y.s - x.s || x.b - y.b || x.v - y.v);
    const next: typeof live = [];
    for (let rank = 0; rank < cands.length && next.length < B; rank++) {
      const { b, v, s } = cands[rank];
      const tokens = [...live[b].tokens, v];
      if (v === EOS) {
        if (rank < B) finished.push({ tokens, score: s / t ** lp });
      } else next.push({ tokens, sum: s });
    }
    live = next;
    if (t === maxLen) for (const b of live) finished.push({ tokens: b.tokens, score: b.sum / t ** lp });
  }
  return finished.sort((a, b) => b.score - a.score).slice(0, B);
}

const arbLp = fc.constantFrom(0, 0.5, 0.8, 1, 2, -0.5);

describe("beam search", () => {
  it("with enough beams finds the true best sequence of an exhaustive search (and ranks every sequence)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 3, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        arbLp,
        fc.boolean(),
        async (seed, vocab, maxLen, lp, markov) => {
          const m = toyModel({ vocab, seed, markov });
          const all = allSequences(m, vocab, maxLen, lp);
          const [r] = await decodeBeam(
            { beams: vocab ** maxLen, lengthPenalty: lp, maxLen, bos: BOS, eos: EOS },
            m.step,
          );
          // A Markov table gives exact ties up to rounding (the same transitions in another order),
          // so compare scores by rank and sequences as sets, and check the best is a true optimum.
          expect(r.score).toBeCloseTo(all[0].score, 9);
          expect(sequenceLogProb(m, BOS, r.tokens) / r.tokens.length ** lp).toBeCloseTo(all[0].score, 9);
          expect(r.beams!.length).toBe(all.length);
          r.beams!.forEach((h, i) => expect(h.score).toBeCloseTo(all[i].score, 9));
          expect(new Set(r.beams!.map((h) => h.tokens.join(",")))).toEqual(new Set(all.map((s) => s.tokens.join(","))));
          if (!markov) expect(r.tokens).toEqual(all[0].tokens);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("equals a naive reference beam search (no pruning, no early stop) for small beam counts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        arbLp,
        fc.constantFrom(0, 1, 2.5),
        async (seed, vocab, maxLen, B, lp, eosBias) => {
          const m = toyModel({ vocab, seed, eosBias });
          const ref = referenceBeam(m, B, lp, maxLen);
          const [r] = await decodeBeam({ beams: B, lengthPenalty: lp, maxLen, bos: BOS, eos: EOS }, m.step);
          expect(r.beams!.map((h) => h.tokens)).toEqual(ref.map((h) => h.tokens));
          r.beams!.forEach((h, i) => expect(h.score).toBeCloseTo(ref[i].score, 9));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("returns consistent hypotheses: sorted, at most `beams`, scores from the model, eos only last, at most maxLen tokens", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        arbLp,
        async (seed, B, maxLen, lp) => {
          const m = toyModel({ vocab: 7, seed, eosBias: 1 });
          const [r] = await decodeBeam({ beams: B, lengthPenalty: lp, maxLen, bos: BOS, eos: EOS }, m.step);
          const hs = r.beams!;
          expect(hs.length).toBeGreaterThan(0);
          expect(hs.length).toBeLessThanOrEqual(B);
          expect(r.tokens).toEqual(hs[0].tokens);
          expect(r.score).toBe(hs[0].score);
          for (let i = 1; i < hs.length; i++) expect(hs[i - 1].score).toBeGreaterThanOrEqual(hs[i].score);
          for (const h of hs) {
            expect(h.tokens.length).toBeGreaterThan(0);
            expect(h.tokens.length).toBeLessThanOrEqual(maxLen);
            expect(h.tokens.slice(0, -1)).not.toContain(EOS);
            expect(h.finished).toBe(h.tokens[h.tokens.length - 1] === EOS);
            if (!h.finished) expect(h.tokens.length).toBe(maxLen);
            expect(h.logProb).toBeCloseTo(sequenceLogProb(m, BOS, h.tokens), 9);
            expect(h.score).toBeCloseTo(h.logProb / h.tokens.length ** lp, 9);
            expect(h.searchScore).toBe(h.score);
          }
          expect(new Set(hs.map((h) => h.tokens.join(","))).size).toBe(hs.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("with one beam and no length penalty equals greedy decoding", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 3, max: 10 }),
        fc.integer({ min: 1, max: 8 }),
        async (seed, vocab, maxLen) => {
          const m = toyModel({ vocab, seed, eosBias: 1 });
          const [b] = await decodeBeam({ beams: 1, lengthPenalty: 0, maxLen, bos: BOS, eos: EOS }, m.step);
          const [g] = await decodeGreedy({ maxLen, bos: BOS, eos: EOS }, m.step);
          expect(b.tokens).toEqual(g.tokens);
          expect(b.score).toBeCloseTo(g.score, 9);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("length penalty: 0 prefers short sequences, a large one long sequences", async () => {
    // Only eos and token 3 are possible; log p(3) = -0.31, log p(eos) = -1.31 at every step.
    const step = async (ps: readonly (readonly number[])[]) =>
      ps.map(() => Float32Array.from([-Infinity, -Infinity, 0, 1]));
    const l3 = -Math.log(1 + Math.exp(-1));
    const [short] = await decodeBeam({ beams: 2, lengthPenalty: 0, maxLen: 5, bos: BOS, eos: EOS }, step);
    expect(short.tokens).toEqual([EOS]);
    const [long] = await decodeBeam({ beams: 2, lengthPenalty: 2, maxLen: 5, bos: BOS, eos: EOS }, step);
    expect(long.tokens).toEqual([3, 3, 3, 3, 3]);
    expect(long.finished).toBe(false);
    expect(long.score).toBeCloseTo((5 * l3) / 25, 12);
  });

  it("batches every beam of every input into one StepFn call per step; each row decodes as if alone", async () => {
    const m = toyModel({ vocab: 9, seed: 5, eosBias: 0.5 });
    const spec = { beams: 4, lengthPenalty: 1, maxLen: 6, bos: BOS, eos: EOS };
    const rs = await decodeBeam(spec, m.step, 3);
    expect(m.calls.length).toBeLessThanOrEqual(6);
    expect(m.calls[0]).toBe(3); // one live beam per input at the start
    expect(Math.max(...m.calls)).toBeLessThanOrEqual(12);
    for (let row = 0; row < 3; row++) expect(rs[row]).toEqual((await decodeBeam(spec, rowView(m, row)))[0]);
  });

  it("stops early once no live beam can beat the finished ones", async () => {
    const m = toyModel({ vocab: 6, seed: 2, eosBias: 6 });
    await decodeBeam({ beams: 2, lengthPenalty: 0, maxLen: 30, bos: BOS, eos: EOS }, m.step);
    expect(m.calls.length).toBeLessThan(30);
  });

  it("continuationBound bounds every continuation's normalised score", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 0, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.constantFrom(-1, -0.5, 0, 0.5, 1, 2),
        (sum, t, extra, drop, lp) => {
          const maxLen = t + extra;
          for (let L = t + 1; L <= maxLen; L++)
            expect((sum - drop) / L ** lp).toBeLessThanOrEqual(continuationBound(sum, t, maxLen, lp) + 1e-12);
        },
      ),
    );
  });

  it("rejects bad parameters", async () => {
    const m = toyModel({ vocab: 5, seed: 1 });
    await expect(decodeBeam({ beams: 0, lengthPenalty: 1, maxLen: 3, bos: BOS, eos: EOS }, m.step)).rejects.toThrow(
      DecodeError,
    );
    await expect(decodeBeam({ beams: 2, lengthPenalty: NaN, maxLen: 3, bos: BOS, eos: EOS }, m.step)).rejects.toThrow(
      /lengthPenalty/,
    );
  });
});
