// The dump words shared by the sliding-window ops (conv, maxpool, avgpool).
import type { WindowAttrs } from "../ir/types";

/** "3" when all four pads agree, else "t,l,b,r". */
const formatPads = (p: readonly number[]): string => (p.every((x) => x === p[0]) ? String(p[0]) : p.join(","));

export function windowWords(a: WindowAttrs): string[] {
  const s = a.stride;
  return [`k=${a.kernel.join("x")}`, `s=${s[0] === s[1] ? s[0] : s.join("x")}`, `p=${formatPads(a.pads)}`];
}
