import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { continuationBound, decodeBeam } from "./beam";
import { decodeDiverseBeam } from "./diverse-beam";
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

/**
 * Reference diverse beam search from the documented semantics, without batching or candidate
 * pruning: at each step, groups in order; group g ranks all its (beam, token) candidates by
 * sum + logp - diversity * (picks of earlier groups of that token at this step).
 */
function referenceDiverse(m: ToyModel, B: number, G: number, diversity: number, maxLen: number, lp = 1) {
  const K = B / G;
  type Fin = { tokens: number[]; searchScore: number; score: number };
  const groups = Array.from({ length: G }, () => ({
    live: [{ tokens: [] as number[], sum: 0, logProb: 0 }],
    fin: [] as Fin[],
    done: false,
  }));
  for (let t = 1; t <= maxLen; t++) {
    const count = new Map<number, number>();
    for (const g of groups) {
      if (g.done) continue;
      const cands: { b: number; v: number; s: number; l: number }[] = [];
      g.live.forEach((beam, b) =>
        naiveLogSoftmax(m.logitsOf([BOS, ...beam.tokens])).forEach((l, v) =>
          cands.push({ b, v, l, s: beam.sum + l - diversity * (count.get(v) ?? 0) }),
        ),
      );
      cands.sort((x, y) => y.s - x.s || x.b - y.b || x.v - y.v);
      const next: typeof g.live = [];
      let kept = 0;
      for (let rank = 0; rank < cands.length && kept < K; rank++) {
        const { b, v, s, l } = cands[rank];
        if (v === EOS && rank >= K) continue;
        const tokens = [...g.live[b].tokens, v];
        const logProb = g.live[b].logProb + l;
        if (v === EOS || t === maxLen) g.fin.push({ tokens, searchScore: s / t ** lp, score: logProb / t ** lp });
        else next.push({ tokens, sum: s, logProb });
        if (v !== EOS) kept++;
        count.set(v, (count.get(v) ?? 0) + 1);
      }
      g.fin = g.fin.sort((a, b) => b.searchScore - a.searchScore).slice(0, K);
      g.live = next;
      g.done =
        next.length === 0 ||
        (g.fin.length === K && continuationBound(next[0].sum, t, maxLen, lp) <= g.fin[K - 1].searchScore);
    }
  }
  return groups.map((g) => g.fin);
}

const spec = (beams: number, groups: number, diversity: number, maxLen: number) => ({
  beams,
  groups,
  diversity,
  maxLen,
  bos: BOS,
  eos: EOS,
});

describe("diverse beam search", () => {
  it("equals a naive reference implementation", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 0.3, 1, 5, 100),
        fc.constantFrom(0, 1.5),
        async (seed, vocab, maxLen, K, G, diversity, eosBias) => {
          const m = toyModel({ vocab, seed, eosBias });
          const ref = referenceDiverse(m, K * G, G, diversity, maxLen);
          const [r] = await decodeDiverseBeam(spec(K * G, G, diversity, maxLen), m.step);
          expect(r.groups!.length).toBe(G);
          r.groups!.forEach((hs, g) => {
            expect(hs.map((h) => h.tokens)).toEqual(ref[g].map((h) => h.tokens));
            hs.forEach((h, i) => {
              expect(h.searchScore).toBeCloseTo(ref[g][i].searchScore, 9);
              expect(h.score).toBeCloseTo(ref[g][i].score, 9);
            });
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("with diversity 0, every group equals beam search with beams / groups beams (length penalty 1)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        async (seed, K, G, maxLen) => {
          const m = toyModel({ vocab: 8, seed, eosBias: 1 });
          const [d] = await decodeDiverseBeam(spec(K * G, G, 0, maxLen), m.step);
          const [b] = await decodeBeam({ beams: K, lengthPenalty: 1, maxLen, bos: BOS, eos: EOS }, m.step);
          for (const hs of d.groups!) expect(hs).toEqual(b.beams);
          expect(d.tokens).toEqual(b.tokens);
          expect(d.score).toBe(b.score);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("with one group equals beam search with length penalty 1, whatever the diversity", async () => {
    const m = toyModel({ vocab: 7, seed: 9, eosBias: 0.5 });
    const [d] = await decodeDiverseBeam(spec(3, 1, 4, 6), m.step);
    const [b] = await decodeBeam({ beams: 3, lengthPenalty: 1, maxLen: 6, bos: BOS, eos: EOS }, m.step);
    expect(d.groups).toEqual([b.beams]);
  });

  it("with a large diversity, the groups' hypotheses start with different tokens", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 2, max: 6 }),
        async (seed, G, K, maxLen) => {
          const m = toyModel({ vocab: 10, seed });
          const [r] = await decodeDiverseBeam(spec(K * G, G, 1e6, maxLen), m.step);
          const firsts = r.groups!.map((hs) => new Set(hs.map((h) => h.tokens[0])));
          for (let a = 0; a < G; a++)
            for (let b = a + 1; b < G; b++) for (const t of firsts[a]) expect(firsts[b].has(t)).toBe(false);
          // and without diversity they would share at least their best first token
          const [same] = await decodeDiverseBeam(spec(K * G, G, 0, maxLen), m.step);
          expect(new Set(same.groups!.map((hs) => hs[0].tokens[0])).size).toBe(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("penalises exactly by diversity * (earlier groups' picks of the token at this step)", async () => {
    // Position-independent logits: log p = [-, -, eos, a, b] with a > b > eos. maxLen 1.
    const l = Float32Array.from([-Infinity, -Infinity, 0, 2, 1]);
    const step = async (ps: readonly (readonly number[])[]) => ps.map(() => l);
    const lp = naiveLogSoftmax(l);
    const [r] = await decodeDiverseBeam(spec(3, 3, 0.5, 1), step);
    // group 0 takes 3; group 1: 3 penalised by 0.5 is still best (2 - 0.5 > 1); group 2: 3 has two picks (2 - 1 = 1 ties 4, lower id wins).
    expect(r.groups!.map((hs) => hs[0].tokens)).toEqual([[3], [3], [3]]);
    expect(r.groups![1][0].searchScore).toBeCloseTo(lp[3] - 0.5, 12);
    expect(r.groups![2][0].searchScore).toBeCloseTo(lp[3] - 1, 12);
    const [r2] = await decodeDiverseBeam(spec(3, 3, 0.6, 1), step);
    expect(r2.groups!.map((hs) => hs[0].tokens)).toEqual([[3], [3], [4]]);
    expect(r2.groups![2][0].searchScore).toBeCloseTo(lp[4], 12);
    for (const hs of r2.groups!) expect(hs[0].score).toBeCloseTo(lp[hs[0].tokens[0]], 12);
  });

  it("returns consistent groups and the best model score over all groups", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        async (seed, K, G, maxLen) => {
          const m = toyModel({ vocab: 7, seed, eosBias: 1 });
          const [r] = await decodeDiverseBeam(spec(K * G, G, 0.7, maxLen), m.step);
          const all = r.groups!.flat();
          expect(r.score).toBe(Math.max(...all.map((h) => h.score)));
          r.groups!.forEach((hs, g) => {
            expect(hs.length).toBeGreaterThan(0);
            expect(hs.length).toBeLessThanOrEqual(K);
            for (let i = 1; i < hs.length; i++) expect(hs[i - 1].searchScore).toBeGreaterThanOrEqual(hs[i].searchScore);
            for (const h of hs) {
              expect(h.tokens.length).toBeLessThanOrEqual(maxLen);
              expect(h.tokens.slice(0, -1)).not.toContain(EOS);
              expect(h.logProb).toBeCloseTo(sequenceLogProb(m, BOS, h.tokens), 9);
              expect(h.score).toBeCloseTo(h.logProb / h.tokens.length, 9);
              if (g === 0) expect(h.searchScore).toBe(h.score);
              else expect(h.searchScore).toBeLessThanOrEqual(h.score + 1e-12);
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("runs all groups and inputs in one StepFn call per step; each row decodes as if alone", async () => {
    const m = toyModel({ vocab: 9, seed: 21, eosBias: 0.5 });
    const s = spec(6, 3, 0.5, 5);
    const rs = await decodeDiverseBeam(s, m.step, 2);
    expect(m.calls.length).toBeLessThanOrEqual(5);
    expect(m.calls[0]).toBe(2 * 3); // one live beam per group and input at the start
    expect(Math.max(...m.calls)).toBeLessThanOrEqual(2 * 6);
    for (let row = 0; row < 2; row++) expect(rs[row]).toEqual((await decodeDiverseBeam(s, rowView(m, row)))[0]);
  });

  it("rejects beams that do not split into the groups", async () => {
    const m = toyModel({ vocab: 5, seed: 1 });
    await expect(decodeDiverseBeam(spec(5, 2, 0.5, 3), m.step)).rejects.toThrow(DecodeError);
    await expect(decodeDiverseBeam(spec(4, 0, 0.5, 3), m.step)).rejects.toThrow(/groups/);
  });
});
