// The error `model.plan` throws: a SearchError (a value inside the search) turned into an MtlError
// that keeps the search's code. Its own module so the CLI can use it without loading onnxruntime.
import { MtlError } from "../compiler/errors";
import type { SearchError, SearchErrorCode } from "./search/types";

/** Constraints the search cannot satisfy; `code` is the search's own (docs/search.md), e.g. "infeasible". */
export class PlanError extends MtlError {
  declare readonly code: SearchErrorCode;
  constructor(
    code: SearchErrorCode,
    message: string,
    hint?: string,
    readonly minimum?: number,
  ) {
    super(code, message, hint);
  }

  static from(e: SearchError): PlanError {
    return new PlanError(e.code, e.message, e.hint, e.minimum);
  }
}
