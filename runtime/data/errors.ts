// Errors about data sets (manifests, shards, sample folders, the model they feed): the user's to
// fix, so each names the file or field at fault and says what to do. Codes are listed in docs/errors.md.
import { MtlError } from "../../compiler/errors";

export type DataErrorCode =
  | "MTL-DATA-001" // no manifest, or not JSON
  | "MTL-DATA-002" // a manifest field is missing or wrong
  | "MTL-DATA-003" // a shard or sample file is missing
  | "MTL-DATA-004" // a shard or sample file does not hold what the manifest says
  | "MTL-DATA-005" // the data set does not fit the model
  | "MTL-DATA-006" // a loader option is wrong (unknown split, batch size)
  | "MTL-DATA-007" // the MNIST source files are missing or damaged
  | "MTL-DATA-008" // the output folder of a data set builder already exists
  | "MTL-DATA-009"; // a value the model cannot train on: class index out of range, NaN, bce target outside [0, 1]

export class DataError extends MtlError {
  constructor(code: DataErrorCode, message: string, hint?: string) {
    super(code, message, hint);
  }
}
