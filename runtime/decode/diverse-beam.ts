// Diverse beam search (Vijayakumar et al. 2016) with the Hamming diversity penalty: `beams` split
// into `groups` of K = beams / groups. At each step the groups are decoded in order 0, 1, ...; group
// g's candidate (beam, token v) scores sum + logp(v) - diversity * count(v), count(v) being how many
// picks of groups < g (of the same input, at this step) took v. Each group is otherwise a beam search
// with K beams (see beam.ts); penalties accumulate into the group's search scores.
import type { DecodeSpec } from "../../compiler/ir/types";
import { beamEngine } from "./beam";
import type { SequenceResult, StepFn } from "./types";

/** The `diverse_beam` decoding spec's parameters (compiler/ir/types.ts), plus a length penalty. */
export type DiverseBeamParams = Omit<Extract<DecodeSpec, { kind: "diverse_beam" }>, "kind"> & {
  /** The DecodeSpec has none; default 1 (like beam's default): score = sum / L. */
  readonly lengthPenalty?: number;
};

export const DIVERSE_LENGTH_PENALTY = 1;

/**
 * Returns per input each group's hypotheses (best first by searchScore) and, as the result, the
 * hypothesis with the best model `score` (no penalty) over all groups; ties: lower group, then
 * better rank.
 */
export async function decodeDiverseBeam(p: DiverseBeamParams, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  const lengthPenalty = p.lengthPenalty ?? DIVERSE_LENGTH_PENALTY;
  const out = await beamEngine({ ...p, lengthPenalty }, step, batchSize);
  return out.map((groups) => {
    let best = groups[0][0];
    for (const g of groups) for (const h of g) if (h.score > best.score) best = h;
    return { tokens: best.tokens, score: best.score, logProb: best.logProb, finished: best.finished, groups };
  });
}
