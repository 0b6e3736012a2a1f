// Sequence decoding for tasks whose head outputs [N, T, vocab] logits from an int64 token input:
// greedy, beam, diverse beam and sampling, driven by a StepFn (one model run per step). See
// docs/decoding.md for the exact semantics.
import type { DecodeSpec } from "../../compiler/ir/types";
import { decodeBeam } from "./beam";
import { decodeDiverseBeam } from "./diverse-beam";
import { decodeGreedy } from "./greedy";
import { decodeSample } from "./sample";
import { DecodeError, type SequenceResult, type StepFn } from "./types";
import { isSequenceDecode, sequenceDecoderNames } from "../../compiler/elaborate/decoders";

export type { Hypothesis, SequenceResult, StepFn } from "./types";
export { DecodeError } from "./types";
export { decodeGreedy, type GreedyParams } from "./greedy";
export { decodeBeam, beamEngine, type BeamParams } from "./beam";
export { decodeDiverseBeam, DIVERSE_LENGTH_PENALTY, type DiverseBeamParams } from "./diverse-beam";
export { decodeSample, samplingDistribution, type SampleParams } from "./sample";
export { logSoftmax, softmax } from "./logits";
export { seededRng } from "./rng";

export type { SequenceDecodeSpec } from "../../compiler/elaborate/decoders";
/** Whether a strategy is decoded here step by step: its DecoderDef's `sequence` flag. */
export const isSequenceSpec = isSequenceDecode;

/**
 * Decodes `batchSize` inputs (default 1) with the strategy of `spec`; returns one result per
 * input, in order. `step` receives, per step, every live prefix and the input row it belongs to.
 */
export async function decodeSequence(spec: DecodeSpec, step: StepFn, batchSize = 1): Promise<SequenceResult[]> {
  switch (spec.kind) {
    case "greedy":
      return decodeGreedy(spec, step, batchSize);
    case "beam":
      return decodeBeam(spec, step, batchSize);
    case "diverse_beam":
      return decodeDiverseBeam(spec, step, batchSize);
    case "sample":
      return decodeSample(spec, step, batchSize);
    default:
      throw new DecodeError(
        `\`${spec.kind}\` is not a sequence decoding strategy (${sequenceDecoderNames().join(", ")})`,
      );
  }
}
