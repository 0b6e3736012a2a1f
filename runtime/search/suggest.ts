// "Did you mean" for unknown names (tasks, groups), with the compiler's notion of a likely typo.
import { closest } from "../../compiler/messages";

/** A hint line for an unknown name: "did you mean X?" or the list of known names. */
export function unknownNameHint(name: string, candidates: readonly string[], what: string): string {
  const c = closest(name, candidates);
  if (c !== undefined) return `did you mean "${c}"?`;
  return candidates.length > 0 ? `known ${what}: ${candidates.join(", ")}` : `the model has no ${what}`;
}
