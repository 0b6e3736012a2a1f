// The catalogue of every user-visible compiler message. Codes are stable: never renumber, only add.
//   MTL1xxx syntax   MTL2xxx names, imports, declarations   MTL3xxx shapes and channels
//   MTL4xxx types and values   MTL5xxx model declarations (MTL51xx: losses, metrics, `train`)
//   MTL6xxx exports (reported by `mtl export` only)
//   MTL7xxx training graphs
import type { Diagnostic, RelatedInfo, Severity, Span } from "./diagnostics";

interface Entry {
  severity: Severity;
  summary: string; // one line, for docs/diagnostics.md
}

export const catalogue = {
  MTL1001: { severity: "error", summary: "A character that no token starts with." },
  MTL1002: { severity: "error", summary: "The tokens do not form a valid construct here." },
  MTL1003: { severity: "error", summary: "Brackets, parentheses or braces nested deeper than the limit (128)." },
  MTL1004: { severity: "error", summary: "So many syntax errors in one file that the parser gave up on it." },
  MTL1099: {
    severity: "warning",
    summary: "The formatter could not format a file without changing it (a bug in mtl); the text is left as it was.",
  },
  MTL2001: { severity: "error", summary: "An imported file does not exist." },
  MTL2002: { severity: "error", summary: "An import path leaves the project or standard-library root." },
  MTL2003: { severity: "error", summary: "A name that is not defined." },
  MTL2004: { severity: "error", summary: "Files import each other in a cycle." },
  MTL2005: { severity: "error", summary: "An imported name that the file does not define." },
  MTL2006: { severity: "error", summary: "A name declared twice in the same scope." },
  MTL2008: { severity: "error", summary: "A named argument that the layer or block does not take." },
  MTL2009: { severity: "error", summary: "A required argument is missing." },
  MTL2010: { severity: "error", summary: "More positional arguments than the layer or block takes." },
  MTL2011: { severity: "error", summary: "An argument given twice." },
  MTL2012: { severity: "error", summary: "An unknown type name." },
  MTL2015: { severity: "error", summary: "Two layers with the same parameter name." },
  MTL2016: { severity: "warning", summary: "An import that is never used." },
  MTL4001: { severity: "error", summary: "A value of the wrong type." },
  MTL4002: { severity: "error", summary: "An operator applied to values it does not take." },
  MTL4003: { severity: "error", summary: "Division by zero." },
  MTL4004: { severity: "error", summary: "An index outside the list." },
  MTL4006: { severity: "error", summary: "A block that ends without `return`." },
  MTL4007: { severity: "error", summary: "A block that calls itself without end." },
  MTL4008: { severity: "error", summary: "A loop with too many iterations." },
  MTL4009: { severity: "error", summary: "A call of something that is not a layer or block." },
  MTL4010: { severity: "error", summary: "An unknown member of a value." },
  MTL4011: { severity: "error", summary: "Destructuring into a different number of names than values." },
  MTL4012: { severity: "error", summary: "The right side of `|>` is not a layer or block." },
  MTL4013: { severity: "error", summary: "`fixed` on something that is not a layer call." },
  MTL4014: { severity: "error", summary: "A label (`as`) on something that is not a layer or block call." },
  MTL4015: { severity: "error", summary: "A value out of its allowed range." },
  MTL4016: {
    severity: "error",
    summary: "Evaluating a model takes more steps than the limit (runaway recursion or loops).",
  },
  MTL4017: { severity: "error", summary: "A list or string longer than the limit." },
  MTL4018: { severity: "error", summary: "A tensor with more elements than the limit." },
  MTL4019: { severity: "error", summary: "A model with more parameters or weight bytes than the limit." },
  MTL4020: {
    severity: "error",
    summary:
      "An input size that a block's stride requires to be a multiple of a number is not (e.g. 100 for a stride-32 encoder).",
  },
  MTL5001: { severity: "error", summary: "A model without inputs." },
  MTL5002: { severity: "error", summary: "Invalid width choices." },
  MTL5003: { severity: "error", summary: "A task without exactly one head." },
  MTL5004: { severity: "error", summary: "An unknown decoding strategy." },
  MTL5005: { severity: "error", summary: "A decoding strategy that does not fit the head's output." },
  MTL5006: { severity: "error", summary: "An unknown budget metric." },
  MTL5007: { severity: "error", summary: "An invalid budget value." },
  MTL5008: { severity: "error", summary: "A preference for a task the model does not have." },
  MTL5009: { severity: "error", summary: "An invalid preference weight." },
  MTL5010: { severity: "error", summary: "A task output whose channels slim." },
  MTL5011: { severity: "error", summary: "A model without tasks." },
  MTL5012: { severity: "error", summary: "An unknown input dtype or dimension." },
  MTL5013: { severity: "error", summary: "A clause or declaration given twice." },
  MTL5014: { severity: "error", summary: "An encoder or head that does not produce a tensor." },
  MTL5015: { severity: "error", summary: "An invalid channel divisor." },
  MTL5017: { severity: "error", summary: "Invalid input preprocessing (`as image(...)`)." },
  MTL5018: {
    severity: "warning",
    summary: "A MACs or parameter budget below the cost of the narrowest configuration with every task.",
  },
  MTL5101: { severity: "error", summary: "An unknown loss." },
  MTL5102: { severity: "error", summary: "A loss that does not fit the head's output." },
  MTL5103: { severity: "error", summary: "An unknown metric." },
  MTL5104: { severity: "error", summary: "A metric that does not fit the task's loss or output." },
  MTL5105: { severity: "error", summary: "An unknown setting in a `train` section." },
  MTL5106: { severity: "error", summary: "An invalid value of a `train` setting." },
  MTL5107: { severity: "error", summary: "A `train` section that sets both `epochs` and `steps`." },
  MTL5108: { severity: "error", summary: "A loss weight for a task the model does not have." },
  MTL5109: { severity: "error", summary: "A task without a loss in a model with a `train` section." },
  MTL6001: {
    severity: "error",
    summary: "A layer that `mtl export torch` cannot write as PyTorch (reported by the export only).",
  },
  MTL7001: {
    severity: "error",
    summary:
      "A layer whose gradient mtl cannot write with standard ONNX operators (reported when a training graph is built).",
  },
} as const satisfies Record<string, Entry>;

export type Code = keyof typeof catalogue | `MTL3${string}`;

export function diag(code: Code, span: Span, message: string, hint?: string, related?: RelatedInfo[]): Diagnostic {
  const entry = (catalogue as Record<string, Entry>)[code];
  const d: Diagnostic = { code, severity: entry?.severity ?? "error", message, span };
  if (hint) d.hint = hint;
  if (related?.length) d.related = related;
  return d;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest candidate, if one is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

export const didYouMean = (name: string, candidates: Iterable<string>): string | undefined => {
  const c = closest(name, candidates);
  return c ? `did you mean \`${c}\`?` : undefined;
};
