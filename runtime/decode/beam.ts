// Beam search, and the engine that diverse beam search shares (plain beam search is one group).
//
// Per input and group, `live` holds up to K = beams / groups prefixes with their search sum (sum of
// log-probabilities plus diversity penalties) and their model log-probability. At step t (t tokens
// generated after it, 1 <= t <= maxLen):
//  1. every candidate (beam b, token v) gets s = sum_b + logp_b(v) - diversity * count(v), where
//     count(v) is how many picks of earlier groups of this input took v at this step (0 for group 0
//     and for plain beam search);
//  2. candidates are ranked by s, higher first; ties: lower beam rank, then lower token id;
//  3. walking down the ranking, an eos candidate whose rank is < K is finished (rank >= K: dropped),
//     any other candidate becomes a live beam until K are live (at t = maxLen these are finished
//     too, without eos). These picks are what later groups' counts see;
//  4. a finished hypothesis of length L (generated tokens, eos included) is scored
//     s / L ** lengthPenalty and kept in the group's pool of the K best (ties: first finished wins).
// The group stops early when no beam is live, or when its pool holds K hypotheses and no
// continuation of a live beam can beat the pool's worst: sums only decrease (log-probs <= 0,
// penalties >= 0), so a continuation of a beam with sum S after t tokens scores at most
// S / maxLen ** lp when lp > 0, and at most S / (t + 1) ** lp when lp <= 0. This bound is exact:
// stopping early never changes the result. (With a negative diversity the bound does not hold,
// and groups run until maxLen or until no beam is live.)
//
// All live beams of every input and group go to the StepFn in one call per step.
import { logSoftmax, runStep, topIndices } from "./logits";
import { DecodeError, type Hypothesis, type SequenceResult, type StepFn } from "./types";
import { checkBeams, checkSequenceParams } from "./validate";

export interface BeamParams {
  readonly beams: number;
  readonly lengthPenalty: number;
  readonly maxLen: number;
  readonly bos: number;
  readonly eos: number;
}

export interface BeamEngineParams extends BeamParams {
  readonly groups: number;
  readonly diversity: number;
}

interface Live {
  readonly tokens: number[];
  readonly sum: number; // search sum: log-probs plus penalties
  readonly logProb: number; // model log-prob
}

interface GroupState {
  live: Live[];
  readonly pool: Hypothesis[]; // best first by searchScore, at most K
  done: boolean;
}

/** Inserts h after every hypothesis scoring at least as well; keeps the best `cap`. */
function addToPool(pool: Hypothesis[], h: Hypothesis, cap: number): void {
  let i = pool.length;
  while (i > 0 && pool[i - 1].searchScore < h.searchScore) i--;
  if (i >= cap) return;
  pool.splice(i, 0, h);
  if (pool.length > cap) pool.pop();
}

/** The highest normalised score any continuation of a beam with search sum `sum` after `t` tokens can reach. */
export function continuationBound(sum: number, t: number, maxLen: number, lengthPenalty: number): number {
  return lengthPenalty > 0 ? sum / maxLen ** lengthPenalty : sum / (t + 1) ** lengthPenalty;
}

/** Runs (diverse) beam search; returns, per input, each group's hypotheses best first. */
export async function beamEngine(p: BeamEngineParams, step: StepFn, batchSize = 1): Promise<Hypothesis[][][]> {
  checkSequenceParams(p, batchSize);
  checkBeams(p.beams, p.groups);
  if (!Number.isFinite(p.lengthPenalty)) throw new DecodeError(`lengthPenalty must be finite, got ${p.lengthPenalty}`);
  if (!Number.isFinite(p.diversity)) throw new DecodeError(`diversity must be finite, got ${p.diversity}`);
  const K = p.beams / p.groups;
  const norm = (x: number, len: number) => x / len ** p.lengthPenalty;
  const states: GroupState[][] = Array.from({ length: batchSize }, () =>
    Array.from({ length: p.groups }, () => ({ live: [{ tokens: [], sum: 0, logProb: 0 }], pool: [], done: false })),
  );
  const vocab = { size: -1 };
  for (let t = 1; t <= p.maxLen; t++) {
    const prefixes: number[][] = [];
    const rows: number[] = [];
    for (let r = 0; r < batchSize; r++)
      for (const st of states[r])
        if (!st.done)
          for (const b of st.live) {
            prefixes.push([p.bos, ...b.tokens]);
            rows.push(r);
          }
    if (prefixes.length === 0) break;
    const logits = await runStep(step, prefixes, rows, vocab);
    let at = 0; // walks `logits` in the order prefixes were collected
    for (let r = 0; r < batchSize; r++) {
      const counts = new Float64Array(vocab.size);
      for (const st of states[r]) {
        if (st.done) continue;
        const lps = st.live.map(() => logSoftmax(logits[at++]));
        // Each beam contributes at most K non-eos picks and its eos, so its K + 1 best suffice.
        const cands: { b: number; v: number; s: number }[] = [];
        lps.forEach((lp, b) => {
          const base = st.live[b].sum;
          const s = new Float64Array(lp.length);
          for (let v = 0; v < lp.length; v++) s[v] = base + lp[v] - (counts[v] === 0 ? 0 : p.diversity * counts[v]);
          for (const v of topIndices(s, K + 1)) cands.push({ b, v, s: s[v] });
        });
        cands.sort((x, y) => y.s - x.s || x.b - y.b || x.v - y.v);
        const next: Live[] = [];
        let kept = 0; // non-eos picks (live beams, or finished at maxLen)
        for (let rank = 0; rank < cands.length && kept < K; rank++) {
          const { b, v, s } = cands[rank];
          if (v === p.eos && rank >= K) continue;
          const beam = st.live[b];
          const tokens = [...beam.tokens, v];
          const logProb = beam.logProb + lps[b][v];
          if (v === p.eos || t === p.maxLen) {
            addToPool(
              st.pool,
              { tokens, score: norm(logProb, t), logProb, searchScore: norm(s, t), finished: v === p.eos },
              K,
            );
          } else {
            next.push({ tokens, sum: s, logProb });
          }
          if (v !== p.eos) kept++;
          counts[v]++;
        }
        st.live = next;
        if (st.live.length === 0) st.done = true;
        else if (
          p.diversity >= 0 &&
          st.pool.length === K &&
          continuationBound(st.live[0].sum, t, p.maxLen, p.lengthPenalty) <= st.pool[K - 1].searchScore
        )
          st.done = true;
      }
    }
  }
  return states.map((gs) => gs.map((st) => st.pool));
}

/**
 * Beam search with `beams` hypotheses; a hypothesis of L generated tokens (eos included) scores
 * sum(log-probs) / L ** lengthPenalty (lengthPenalty 0: raw sum; 1: mean log-prob; > 1 favours
 * longer, < 0 shorter). Returns the best hypothesis and all kept ones (`beams`), best first.
 */
export async function decodeBeam(p: BeamParams, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  const out = await beamEngine({ ...p, groups: 1, diversity: 0 }, step, batchSize);
  return out.map(([beams]) => {
    const best = beams[0];
    return { tokens: best.tokens, score: best.score, logProb: best.logProb, finished: best.finished, beams };
  });
}
