// Source text -> AST, with lexer and parser errors turned into catalogue diagnostics.
import type { ICstVisitor, IRecognitionException, IToken, TokenType } from "chevrotain";
import type { ICstNodeVisitor } from "../grammar/cst";
import { parseText } from "../grammar/parser";
import * as T from "../grammar/tokens";
import type { Program } from "./ast";
import { cstToAst } from "./cst-to-ast";
import type { Diagnostic, Span } from "./diagnostics";
import { diag } from "./messages";
import { DEFAULT_LIMITS, limitHint, type Limits } from "./limits";

const PUNCTUATION: Record<string, string> = {
  Pipe: "|>",
  OrOr: "||",
  AndAnd: "&&",
  EqEq: "==",
  NotEq: "!=",
  LtEq: "<=",
  GtEq: ">=",
  Arrow: "->",
  DotDot: "..",
  Lt: "<",
  Gt: ">",
  Equals: "=",
  Plus: "+",
  Minus: "-",
  Star: "*",
  Slash: "/",
  Bang: "!",
  Question: "?",
  Colon: ":",
  Comma: ",",
  Dot: ".",
  LParen: "(",
  RParen: ")",
  LCurly: "{",
  RCurly: "}",
  LBracket: "[",
  RBracket: "]",
};

const KEYWORDS = new Set(T.keywords.map((k) => k.name));

/** How a token type reads in a message: `)`, `model`, a name, a number. */
export function describeTokenType(name: string): string {
  if (PUNCTUATION[name]) return `\`${PUNCTUATION[name]}\``;
  if (KEYWORDS.has(name)) return `\`${name.toLowerCase()}\``;
  if (name === "Identifier") return "a name";
  if (name === "NumberLiteral") return "a number";
  if (name === "StringLiteral") return "a string";
  if (name === "EOF") return "the end of the file";
  return name;
}

const describeToken = (t: IToken): string =>
  t.tokenType.name === "EOF" || t.image === "" ? "the end of the file" : `\`${t.image}\``;

/** The grammar's rule names (from the generated CST types): a renamed rule is a type error here. */
type RuleName = Exclude<keyof ICstNodeVisitor<unknown, unknown>, keyof ICstVisitor<unknown, unknown>>;

const RULE_HINTS: Partial<Record<RuleName, string>> = {
  modelDecl: "a model holds `input`, `widths`, `divisor`, `encoder`, `task`, `budget` and `prefer` declarations",
  taskDecl: "a task holds `head`, `decode`, `loss` and `metric` clauses",
  inputDecl: "an input reads `input image: f32[N, 3, 224, 224]`",
  importDecl: 'an import reads `import { resnet18 } from "std/encoders/resnet"`',
  blockDecl: "a block reads `block name(x: tensor, out: int = 64) { ... return y }`",
  budgetDecl: "a budget reads `budget macs <= 60%` (or `params <= 5M`, `latency <= 12ms`)",
  preferDecl: "preferences read `prefer semseg: 2, depth: 1`",
  statement: "a statement is an assignment `x = ...`, `[a, b] = ...`, `return`, `for`, `repeat`, `if` or `group`",
  body: "a statement is an assignment `x = ...`, `[a, b] = ...`, `return`, `for`, `repeat`, `if` or `group`",
  callSuffix: "arguments are separated by commas: `conv(x, 64, k: 3)`",
  argument: "arguments are separated by commas: `conv(x, 64, k: 3)`",
};

function tokenSpan(file: string, t: IToken, fallback: IToken | undefined, text: string): Span {
  const real = !Number.isNaN(t.startOffset) && t.startOffset >= 0 && t.tokenType.name !== "EOF";
  if (real)
    return {
      file,
      start: t.startOffset,
      end: t.startOffset + Math.max(1, t.image.length),
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
    };
  // Inserted by recovery or the end of input: point just after the previous real token.
  if (fallback && !Number.isNaN(fallback.startOffset)) {
    const end = fallback.startOffset + fallback.image.length;
    return {
      file,
      start: end,
      end: end + 1,
      line: fallback.endLine ?? fallback.startLine ?? 1,
      col: (fallback.endColumn ?? fallback.startColumn ?? 0) + 1,
    };
  }
  const lines = text.split("\n");
  return { file, start: text.length, end: text.length, line: lines.length, col: lines[lines.length - 1].length + 1 };
}

const EXPRESSION_RULES: ReadonlySet<string> = new Set<RuleName>([
  "expression",
  "pipeExpr",
  "binaryExpr",
  "unaryExpr",
  "postfixExpr",
  "primary",
]);

const topLevel = (span: Span, found: string): Diagnostic =>
  diag(
    "MTL1002",
    span,
    `unexpected ${found} at the top level`,
    "only `import`, `block` and `model` declarations stand at the top level of a file",
  );

function expectedFrom(message: string): string[] {
  return [...message.matchAll(/--> (\w+) <--/g)].map((m) => m[1]);
}

/** A keyword followed by `:`, `=` or `,` was most likely meant as a name (`block f(input: tensor)`). */
function usedAsName(t: IToken, tokens: IToken[]): boolean {
  const i = tokens.indexOf(t);
  const next = i >= 0 ? tokens[i + 1]?.tokenType.name : undefined;
  return next === "Colon" || next === "Equals" || next === "Comma";
}

function parseErrorDiagnostic(file: string, text: string, e: IRecognitionException, tokens: IToken[]): Diagnostic {
  if (KEYWORDS.has(e.token.tokenType.name) && usedAsName(e.token, tokens)) {
    const span = tokenSpan(file, e.token, undefined, text);
    return diag(
      "MTL1002",
      span,
      `\`${e.token.image}\` is a keyword and cannot be used as a name`,
      `choose another name, e.g. \`${e.token.image}_\``,
    );
  }
  const previous = (e as unknown as { previousToken?: IToken }).previousToken ?? lastTokenBefore(tokens, e.token);
  const span = tokenSpan(file, e.token, previous, text);
  const found = describeToken(e.token);
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? "";
  const hint = RULE_HINTS[rule as RuleName];
  if (e.name === "MismatchedTokenException") {
    const [expected] = expectedFrom(e.message);
    if (expected === "EOF") return topLevel(span, found);
    if ((expected === "Identifier" || usedAsName(e.token, tokens)) && KEYWORDS.has(e.token.tokenType.name))
      return diag(
        "MTL1002",
        span,
        `\`${e.token.image}\` is a keyword and cannot be used as a name`,
        `choose another name, e.g. \`${e.token.image}_\``,
      );
    return diag("MTL1002", span, `expected ${describeTokenType(expected ?? "")} but found ${found}`, hint);
  }
  if (e.name === "NotAllInputParsedException") return topLevel(span, found);
  if (EXPRESSION_RULES.has(rule)) return diag("MTL1002", span, `expected an expression but found ${found}`, hint);
  return diag("MTL1002", span, `unexpected ${found}`, hint);
}

function lastTokenBefore(tokens: IToken[], t: IToken): IToken | undefined {
  if (!Number.isNaN(t.startOffset) && t.startOffset >= 0) {
    let prev: IToken | undefined;
    for (const x of tokens) {
      if (x.startOffset >= t.startOffset) break;
      prev = x;
    }
    return prev;
  }
  return tokens[tokens.length - 1];
}

export interface ParsedFile {
  program: Program;
  diagnostics: Diagnostic[];
  syntaxOk: boolean;
}

export function parseFile(
  text: string,
  file: string,
  limits: Pick<Limits, "nesting" | "syntaxErrors"> = DEFAULT_LIMITS,
  shownAs = file,
): ParsedFile {
  const out = parseText(text, { maxNesting: limits.nesting, maxErrors: limits.syntaxErrors });
  const diagnostics: Diagnostic[] = [];
  if (out.tooDeep) {
    const span = tokenSpan(file, out.tooDeep, undefined, text);
    const message = `brackets nest deeper than ${limits.nesting} levels here`;
    diagnostics.push(diag("MTL1003", span, message, limitHint("nesting", limits.nesting)));
  }
  for (const e of out.lexErrors.slice(0, limits.syntaxErrors)) {
    const ch = text.slice(e.offset, e.offset + (e.length || 1));
    diagnostics.push(
      diag(
        "MTL1001",
        { file, start: e.offset, end: e.offset + (e.length || 1), line: e.line ?? 1, col: e.column ?? 1 },
        `unexpected character \`${ch}\``,
        ch === '"' ? 'strings close on the same line with `"`' : "remove it, or check for a typo",
      ),
    );
  }
  // Chevrotain may report the same position twice during recovery; keep the first.
  // Recovery often reports knock-on errors on the line of the first one; keep one per line.
  const seen = new Set<number>();
  for (const e of out.parseErrors) {
    const d = parseErrorDiagnostic(file, text, e, out.tokens);
    if (seen.has(d.span.line)) continue;
    seen.add(d.span.line);
    diagnostics.push(d);
  }
  if (out.gaveUp || out.lexErrors.length > limits.syntaxErrors) {
    const last = diagnostics[diagnostics.length - 1]?.span ?? { file, start: 0, end: 0, line: 1, col: 1 };
    // the diagnostics above, as printed: lexer errors are cut at the limit and parser errors kept one per line
    const shown = diagnostics.length;
    const message = `more than ${limits.syntaxErrors} syntax errors (${shown} reported here); the rest of ${shownAs} is not checked`;
    diagnostics.push(diag("MTL1004", last, message, "fix the first errors and check again"));
  }
  return { program: cstToAst(out.cst, file, text), diagnostics, syntaxOk: diagnostics.length === 0 };
}

export type { TokenType };
