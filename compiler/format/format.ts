// The .mtl formatter: canonical layout for a source file, comments kept.
//
// Approach: print from the CST, not the AST. The CST holds every token (so every parenthesis the
// user wrote survives, and meaning is preserved without re-deriving precedence) and, sorted by
// offset, the source order that the AST regroups (imports/blocks/models, task clauses). Comments
// are not in the CST: comments.ts attaches each one to a token by offset (same line as the token
// before it: trailing that token; otherwise leading the token after it), and writer.ts emits them
// as it writes their token. printer.ts decides layout: one item per line, 2-space indentation,
// blank lines kept to at most one, short tasks on one line, long pipes one stage per line.
//
// Layout is only ever changed where the grammar ignores line breaks: calls and indexing must start
// on their callee's line (`x = a` / `[b] = c` is two statements), and the printer never breaks a
// line inside an item except before `|>` or after a `//` comment, neither of which can sit
// between a callee and its `(` or `[` in a program that parsed.
//
// As a safety net, the output is re-parsed: if it would not give the same AST and comments, the
// text is returned unchanged with a diagnostic, because a formatter must never change a program.
import { parseText } from "../../grammar/parser";
import { cstToAst } from "../cst-to-ast";
import type { Diagnostic } from "../diagnostics";
import { fileStartSpan } from "../diagnostics";
import { attachComments } from "./comments";
import { printProgram } from "./printer";
import { sameProgram } from "./same-program";
import { parseFile } from "../syntax";

export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
}

/** Code of the diagnostic for a formatter fault (output that would not re-parse to the same program). */
export const FORMATTER_FAULT = "MTL1099";

export function formatSource(text: string, file: string): FormatResult {
  try {
    // Syntax errors are explained as `mtl check` explains them (and limits such as nesting apply).
    const diagnostics = parseFile(text, file).diagnostics;
    if (diagnostics.some((d) => d.severity === "error")) return { text, diagnostics };
    const parsed = parseText(text);
    const formatted = printProgram(parsed.cst, attachComments(text, parsed.tokens, parsed.comments));
    const before = cstToAst(parsed.cst, file);
    const reparsed = parseText(formatted);
    const same =
      !reparsed.lexErrors.length &&
      !reparsed.parseErrors.length &&
      reparsed.comments.length === parsed.comments.length &&
      reparsed.comments.every((c, i) => c.image === parsed.comments[i].image.trimEnd()) &&
      sameProgram(before, cstToAst(reparsed.cst, file));
    if (!same) return { text, diagnostics: [fault(file, "the formatted text would not parse to the same program")] };
    return { text: formatted, diagnostics: [] };
  } catch (e) {
    return { text, diagnostics: [fault(file, e instanceof Error ? e.message : String(e))] };
  }
}

function fault(file: string, detail: string): Diagnostic {
  return {
    code: FORMATTER_FAULT,
    severity: "warning",
    message: `the file was left unformatted (formatter fault: ${detail})`,
    span: fileStartSpan(file),
  };
}
