// Structural equality of two ASTs, ignoring where things were written.
import type { Program } from "../ast";

const SPAN_KEYS = new Set(["span", "opSpan", "pathSpan"]);

/** A deep copy of an AST value without its source positions. */
export function stripSpans<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripSpans) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SPAN_KEYS.has(k)) out[k] = stripSpans(v);
  return out as T;
}

/** JSON keeps NaN apart from nothing else that matters here: both sides go through the same builder. */
export const sameProgram = (a: Program, b: Program): boolean =>
  JSON.stringify(stripSpans(a)) === JSON.stringify(stripSpans(b));
