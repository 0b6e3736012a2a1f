// Checks of the decoding parameters the decoders rely on (the compiler checks most of them too,
// but the runtime may be handed a spec from elsewhere).
import { DecodeError } from "./types";

const isInt = (x: number) => Number.isInteger(x);

export function checkSequenceParams(p: { maxLen: number; bos: number; eos: number }, batchSize: number): void {
  if (!isInt(p.maxLen) || p.maxLen < 1) throw new DecodeError(`maxLen must be an integer >= 1, got ${p.maxLen}`);
  if (!isInt(p.bos) || p.bos < 0) throw new DecodeError(`bos must be a token id (integer >= 0), got ${p.bos}`);
  if (!isInt(p.eos) || p.eos < 0) throw new DecodeError(`eos must be a token id (integer >= 0), got ${p.eos}`);
  if (!isInt(batchSize) || batchSize < 0) throw new DecodeError(`batchSize must be an integer >= 0, got ${batchSize}`);
}

export function checkBeams(beams: number, groups = 1): void {
  if (!isInt(beams) || beams < 1) throw new DecodeError(`beams must be an integer >= 1, got ${beams}`);
  if (!isInt(groups) || groups < 1 || beams % groups !== 0)
    throw new DecodeError(`${beams} beams cannot be split evenly into ${groups} groups`);
}
