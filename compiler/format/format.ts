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
import type { IToken } from "chevrotain";
import { parseText } from "../../grammar/parser";
import { cstToAst } from "../cst-to-ast";
import type { Diagnostic, Span } from "../diagnostics";
import { fileStartSpan } from "../diagnostics";
import { attachComments } from "./comments";
import { printProgram } from "./printer";
import { sameProgram } from "./same-program";

export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
}

/** Code of the diagnostic for a formatter fault (output that would not re-parse to the same program). */
export const FORMATTER_FAULT = "MTL1099";

export function formatSource(text: string, file: string): FormatResult {
  try {
    const parsed = parseText(text);
    const diagnostics = syntaxDiagnostics(file, text, parsed);
    if (diagnostics.length) return { text, diagnostics };
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
  return { code: FORMATTER_FAULT, severity: "warning", message: `the file was left unformatted (formatter fault: ${detail})`, span: fileStartSpan(file) };
}

function syntaxDiagnostics(file: string, text: string, parsed: ReturnType<typeof parseText>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of parsed.lexErrors) {
    const span: Span = { file, start: e.offset, end: e.offset + Math.max(1, e.length), line: e.line ?? 1, col: e.column ?? 1 };
    out.push({ code: "MTL1001", severity: "error", message: e.message, span });
  }
  const seen = new Set<number>();
  for (const e of parsed.parseErrors) {
    const span = tokenSpan(file, text, e.token, parsed.tokens);
    if (seen.has(span.start)) continue;
    seen.add(span.start);
    out.push({ code: "MTL1002", severity: "error", message: e.message, span });
  }
  return out;
}

/** A token's span; tokens made up by error recovery (NaN offsets) and EOF point at the end of the last real token. */
function tokenSpan(file: string, text: string, t: IToken, tokens: readonly IToken[]): Span {
  if (Number.isFinite(t.startOffset) && t.startOffset >= 0 && t.tokenType.name !== "EOF") {
    return { file, start: t.startOffset, end: t.startOffset + Math.max(1, t.image.length), line: t.startLine ?? 1, col: t.startColumn ?? 1 };
  }
  const last = tokens[tokens.length - 1];
  if (!last) return { ...fileStartSpan(file), start: text.length, end: text.length };
  const end = last.startOffset + last.image.length;
  return { file, start: end, end, line: last.endLine ?? last.startLine ?? 1, col: (last.endColumn ?? last.startColumn ?? 0) + 1 };
}
