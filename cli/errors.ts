// How the CLI reports an error that is the user's to fix: `error CODE: message` and a hint on stderr
// (no stack trace), and with --json also the error as a JSON object on stdout. Errors are
// recognised with isMtlError (a brand, not the class): each command is its own bundle with its own
// copy of the classes.
import { isMtlError, type MtlError } from "../compiler/errors";
import { out } from "./io";

export { isMtlError };

/** The JSON form of an error, as `--json` prints it: the search's SearchError shape plus the exit code. */
export function errorJson(e: MtlError): Record<string, unknown> {
  const minimum = (e as { minimum?: unknown }).minimum;
  return {
    kind: "error",
    code: e.code,
    message: e.message,
    ...(e.hint ? { hint: e.hint } : {}),
    ...(typeof minimum === "number" ? { minimum } : {}),
  };
}

/** Prints a user-facing error and returns the process exit code. */
export function reportError(e: MtlError, json: boolean): number {
  out.err(`error ${e.code}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
  if (json) out.log(JSON.stringify(errorJson(e), null, 2));
  // 2 for usage; 128 + a signal for a command the signal stopped (mtl train: 130, 143); else 1
  return e.exitCode === 2 || e.exitCode >= 128 ? e.exitCode : 1;
}

/** @deprecated the old name of isMtlError, kept for code written against it. */
export const isUserFacing = isMtlError;
