// What the cursor is inside, for completion: the innermost open call (to offer its parameters)
// and the tasks a program declares (to offer them after `prefer`). Pure text functions, tested
// without a browser.
import { decoders } from "../../compiler/elaborate/decoders";
import { layers } from "../../compiler/elaborate/layers";

/** The name of the innermost call left open before the cursor, e.g. `conv` in `x |> conv(64, k`. */
export function openCall(before: string): string | undefined {
  let depth = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const ch = before[i];
    if (ch === ")" || ch === "]") depth++;
    else if (ch === "[") depth = Math.max(0, depth - 1);
    else if (ch === "(") {
      if (depth === 0) return /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(before.slice(0, i))?.[1];
      depth--;
    }
  }
  return undefined;
}

export interface ParamSuggestion {
  name: string;
  detail: string;
}

/** Named parameters of a builtin layer or decoder (after the first, the piped-in input). */
export function paramsOf(callee: string): ParamSuggestion[] {
  const def = layers.get(callee) ?? decoders.get(callee);
  if (!def) return [];
  return def.params.map((p) => {
    const d = p.default;
    if (d === undefined) return { name: p.name, detail: `${p.type} (required)` };
    return { name: p.name, detail: `${p.type} = ${JSON.stringify("value" in d ? d.value : null)}` };
  });
}

/** Task names declared in the text. */
export const taskNames = (text: string): string[] => [
  ...new Set([...text.matchAll(/\btask\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])),
];

/** Whether the cursor is in a `prefer` declaration, where task names come next. */
export const inPrefer = (before: string): boolean => /\bprefer\b[^\n]*$/.test(before) && !/:\s*[^,\s]*$/.test(before);
