// Prints a syntax-error-free CST in canonical layout. Structure comes from the CST (children
// sorted by offset, so source order survives even where the AST regroups things); every token is
// written exactly once, with its verbatim image, through the Writer, which adds the comments.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { CommentMap } from "./comments";
import { INDENT, Writer } from "./writer";

export const MAX_WIDTH = 100;

const isToken = (e: CstElement): e is IToken => (e as IToken).image !== undefined;
const startOf = (e: CstElement): number => (isToken(e) ? e.startOffset : (e.location?.startOffset ?? 0));

/** A node's tokens and sub-nodes in source order (Chevrotain groups children by label). */
function ordered(n: CstNode): CstElement[] {
  return (Object.values(n.children).flat() as CstElement[]).sort((a, b) => startOf(a) - startOf(b));
}

function firstToken(e: CstElement): IToken | undefined {
  if (isToken(e)) return e;
  for (const c of ordered(e)) {
    const t = firstToken(c);
    if (t) return t;
  }
  return undefined;
}

function lastToken(e: CstElement): IToken | undefined {
  if (isToken(e)) return e;
  for (const c of ordered(e).reverse()) {
    const t = lastToken(c);
    if (t) return t;
  }
  return undefined;
}

const tokenOf = (n: CstNode, label: string): IToken | undefined => n.children[label]?.find(isToken);
const nodesOf = (n: CstNode, label: string): CstNode[] =>
  (n.children[label] ?? []).filter((e): e is CstNode => !isToken(e));

/** The pipe a statement's value is, if it is one (not inside a ternary or parentheses). */
function topPipe(expression: CstNode | undefined): CstNode | undefined {
  if (!expression || expression.children.then) return undefined;
  const pipe = nodesOf(expression, "condition")[0];
  return pipe && nodesOf(pipe, "operands").length > 1 ? pipe : undefined;
}

const fitsOnOneLine = (lines: string[]): boolean => lines.length === 1 && lines[0].length <= MAX_WIDTH;

/** Items whose value is an expression: a pipe too long for their line is broken one stage per line. */
const VALUE_ITEMS = new Set(["assignStmt", "returnStmt", "encoderDecl", "headClause", "decodeClause", "budgetDecl"]);

export function printProgram(cst: CstNode, comments: CommentMap): string {
  return new Printer(comments).program(cst);
}

class Printer {
  private w: Writer;
  private lastToken: IToken | undefined;
  private lastRule = "";
  private brokenPipe: CstNode | undefined;

  constructor(private readonly comments: CommentMap) {
    this.w = new Writer(comments);
  }

  program(cst: CstNode): string {
    const decls = ordered(cst).filter((e): e is CstNode => !isToken(e));
    decls.forEach((d, i) => this.item(d, i > 0));
    this.w.tail(this.comments.tail, decls.length > 0);
    return this.w.text();
  }

  /** A declaration, statement, model item or task clause, on a line of its own. */
  private item(n: CstNode, allowBlank: boolean): void {
    this.w.freshLine();
    const first = firstToken(n);
    if (first) this.w.leading(first, allowBlank);
    this.node(n);
  }

  private node(n: CstNode): void {
    switch (n.name) {
      case "body":
        return this.braced(n, nodesOf(n, "statement"));
      case "modelDecl":
        return this.braced(
          n,
          ordered(n).filter((e): e is CstNode => !isToken(e)),
        );
      case "taskDecl":
        return this.task(n);
      case "trainDecl": // one setting per line, always, even when the section would fit on one
        return this.braced(n, nodesOf(n, "trainSetting"));
      case "pipeExpr":
        return this.pipe(n);
      default:
        if (VALUE_ITEMS.has(n.name)) return this.valueItem(n);
        return this.walk(n);
    }
  }

  private walk(n: CstNode): void {
    for (const e of ordered(n)) {
      if (isToken(e)) this.token(e, n.name);
      else this.node(e);
    }
  }

  private token(t: IToken, rule: string): void {
    if (this.spaceBefore(t, rule)) this.w.space();
    this.w.token(t);
    this.lastToken = t;
    this.lastRule = rule;
  }

  private spaceBefore(t: IToken, rule: string): boolean {
    const prev = this.lastToken?.tokenType.name;
    const cur = t.tokenType.name;
    if (!prev || prev === "LParen" || prev === "LBracket" || prev === "Dot") return false;
    if ((prev === "Minus" || prev === "Bang") && this.lastRule === "unaryExpr") return false;
    if (cur === "Comma" || cur === "RParen" || cur === "RBracket" || cur === "Dot") return false;
    if (cur === "DotDot" || prev === "DotDot") return false; // ranges read `0..n`
    if (cur === "Colon") return rule === "expression"; // a ternary; `name: value` elsewhere
    if (cur === "LParen") return rule !== "callSuffix" && rule !== "blockDecl";
    if (cur === "LBracket") return rule !== "indexSuffix" && rule !== "typeRef" && rule !== "inputDecl";
    if (cur === "RCurly") return prev !== "LCurly";
    return true;
  }

  /** The header tokens before `{`, then the items one per line (or `{}` when there are none). */
  private braced(n: CstNode, items: CstNode[]): void {
    const open = tokenOf(n, "LCurly");
    const close = tokenOf(n, "RCurly");
    if (!open || !close) return this.walk(n);
    for (const e of ordered(n)) {
      if (startOf(e) >= open.startOffset) break;
      if (isToken(e)) this.token(e, n.name);
      else this.node(e);
    }
    this.token(open, n.name);
    if (!items.length && !this.comments.before.has(close) && !this.w.mustBreakPending) return this.token(close, n.name);
    this.w.indent += INDENT;
    items.forEach((item, i) => this.item(item, i > 0));
    if (this.comments.before.has(close)) {
      this.w.freshLine();
      this.w.leading(close, items.length > 0, true);
    }
    this.w.indent -= INDENT;
    this.w.freshLine();
    this.token(close, n.name);
  }

  /** `task t { head ... decode ... }` on one line when it fits and holds no comments. */
  private task(n: CstNode): void {
    const start = tokenOf(n, "Task");
    const close = tokenOf(n, "RCurly");
    const commented = !start || !close || this.comments.hasCommentWithin(start.startOffset + 1, close.startOffset);
    if (!commented && fitsOnOneLine(this.trial(close, () => this.walk(n)))) return this.walk(n);
    const clauses = ordered(n).filter((e): e is CstNode => !isToken(e));
    this.braced(n, clauses);
  }

  /** `x = a |> b |> c`: flat if it fits, else one stage per line. */
  private valueItem(n: CstNode): void {
    const pipe = topPipe(nodesOf(n, "value")[0]);
    if (pipe && !fitsOnOneLine(this.trial(lastToken(n), () => this.walk(n)))) this.brokenPipe = pipe;
    this.walk(n);
    this.brokenPipe = undefined;
  }

  private pipe(n: CstNode): void {
    const broken = n === this.brokenPipe;
    for (const e of ordered(n)) {
      if (isToken(e)) {
        if (broken) this.w.freshLine(this.w.continuation);
        this.token(e, n.name);
      } else this.node(e);
    }
  }

  /** Renders on a scratch writer from the current position and returns the lines it produced. */
  private trial(skipAfter: IToken | undefined, render: () => void): string[] {
    const saved = { w: this.w, lastToken: this.lastToken, lastRule: this.lastRule, brokenPipe: this.brokenPipe };
    this.w = this.w.fork(skipAfter);
    try {
      render();
      return this.w.lines();
    } finally {
      ({ w: this.w, lastToken: this.lastToken, lastRule: this.lastRule, brokenPipe: this.brokenPipe } = saved);
    }
  }
}
