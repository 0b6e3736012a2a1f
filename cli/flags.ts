// Numeric flag values, checked before any work starts: `--runs 0` or `--port abc` is a usage error
// (exit 2) naming the flag, not a table of nulls or a crash later.
import { MtlError } from "../compiler/errors";
import { UserError } from "./io";
import { parseBudget } from "../runtime/search/constraints";
import { isSearchError } from "../runtime/search/types";
import type { SessionSettings } from "../runtime/session-options";

/** A whole number >= `min` (default 1), e.g. --runs, --max. */
export function wholeNumber(text: string | undefined, flag: string, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min)
    throw new UserError(
      `${flag} takes a whole number of at least ${min}, not "${text}"`,
      2,
      `e.g. ${flag} ${Math.max(min, fallback)}`,
    );
  return n;
}

/** A TCP port, 0 (any free port) to 65535, for `flag` (e.g. --port, --grpc-port) with an example value. */
export function portNumber(text: string, flag = "--port", example = 5178): number {
  const n = wholeNumber(text, flag, example, 0);
  if (n > 65535)
    throw new UserError(`${flag} takes 0 to 65535, not ${text}`, 2, `e.g. ${flag} ${example} (0: any free port)`);
  return n;
}

/** --threads, --no-spin and --ep of the commands that build sessions, as `load()` options. */
export function sessionFlags(o: { threads?: string; spin?: boolean; ep?: string }): SessionSettings {
  return {
    threads: o.threads === undefined ? undefined : wholeNumber(o.threads, "--threads", 1),
    spinning: o.spin === false ? false : undefined, // commander sets spin=true unless --no-spin is given
    executionProvider: o.ep,
  };
}

/** --precision of `mtl run`: fp32 (default) or int8. */
export function precisionFlag(text: string | undefined): "fp32" | "int8" {
  if (text === undefined || text === "fp32" || text === "int8") return text ?? "fp32";
  throw new UserError(`--precision takes fp32 or int8, not ${text}`, 2, "e.g. --precision int8");
}

/** --dense-argmax of `mtl run`: exact (default) or low-resolution (docs/quantization.md, Dense heads). */
export function denseArgmaxFlag(text: string | undefined): "exact" | "low-resolution" {
  if (text === undefined || text === "exact" || text === "low-resolution") return text ?? "exact";
  throw new UserError(
    `--dense-argmax takes exact or low-resolution, not ${text}`,
    2,
    "e.g. --dense-argmax low-resolution",
  );
}

/**
 * --budget of compile, search and run, checked before any work: text the search cannot read
 * (`0%`, `60` without a unit) or a percentage over 100% is a usage error (exit 2) naming the flag, with the search's
 * own code (`bad-budget`, docs/search.md). Undefined: the model's own budget.
 */
export function budgetFlag(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const b = parseBudget(text);
  if (isSearchError(b)) throw new MtlError(b.code, `--budget ${text}: ${b.message}`, b.hint, 2);
  // As in a .mtl file (MTL5007): a share of the full model, which no configuration exceeds.
  if (b?.relative && b.value > 1)
    throw new MtlError(
      "bad-budget",
      `--budget ${text}: a relative budget must be above 0% and at most 100%`,
      "100% is the full model; write e.g. --budget 60%, or an absolute budget such as --budget 2.5G",
      2,
    );
  return text;
}
