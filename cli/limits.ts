// `--limits steps=1e7,params=2e9` of `mtl check` and `mtl compile`: raises the compiler's work and
// size limits (compiler/limits.ts).
import { type Limits, parseLimits } from "../compiler/limits";
import { UserError } from "./io";

export function cliLimits(text: string | undefined): Partial<Limits> | undefined {
  if (text === undefined) return undefined;
  const r = parseLimits(text);
  if (typeof r === "string")
    throw new UserError(r, 2, "e.g. --limits steps=1e7,params=2e9 (docs/language.md, section Limits)");
  return r;
}
