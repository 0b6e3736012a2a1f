// CST -> AST with a Chevrotain CST visitor. Tokens inserted by error recovery carry NaN offsets;
// spans fall back to the nearest real position so diagnostics never point nowhere.
import type { CstNode, IToken, CstElement } from "chevrotain";
import type {
  ArgumentCstChildren,
  AssignStmtCstChildren,
  BinaryExprCstChildren,
  BlockDeclCstChildren,
  BodyCstChildren,
  BudgetDeclCstChildren,
  DecodeClauseCstChildren,
  DivisorDeclCstChildren,
  EncoderDeclCstChildren,
  ExpressionCstChildren,
  ForStmtCstChildren,
  GroupStmtCstChildren,
  HeadClauseCstChildren,
  IfStmtCstChildren,
  ImportDeclCstChildren,
  ImportSpecCstChildren,
  InputDeclCstChildren,
  LabelPartCstChildren,
  LabelPathCstChildren,
  LossClauseCstChildren,
  MetricClauseCstChildren,
  ModelDeclCstChildren,
  ParamDeclCstChildren,
  PipeExprCstChildren,
  PostfixExprCstChildren,
  PreferDeclCstChildren,
  PreferEntryCstChildren,
  PrimaryCstChildren,
  ProgramCstChildren,
  RepeatStmtCstChildren,
  ReturnStmtCstChildren,
  StatementCstChildren,
  TargetCstChildren,
  TaskDeclCstChildren,
  TrainDeclCstChildren,
  TrainSettingCstChildren,
  TypeRefCstChildren,
  UnaryExprCstChildren,
  WidthsDeclCstChildren,
  CallSuffixCstChildren,
  ICstNodeVisitor,
  IndexSuffixCstChildren,
  MemberSuffixCstChildren,
} from "../grammar/cst";
import { parser } from "../grammar/parser";
import type * as A from "./ast";
import type { Span } from "./diagnostics";

type Ctx = Record<string, CstElement[] | undefined>;

/** The labels of a rule's children that hold tokens, and those that hold nodes (grammar/cst.d.ts). */
type TokenLabel<C> = { [K in keyof C]-?: NonNullable<C[K]> extends IToken[] ? K : never }[keyof C] & string;
type NodeLabel<C> = { [K in keyof C]-?: NonNullable<C[K]> extends CstNode[] ? K : never }[keyof C] & string;

const isToken = (e: CstElement): e is IToken => (e as IToken).image !== undefined;

export class SpanMaker {
  /** Offsets where lines start, for the line and column of CST nodes (which track offsets only). */
  private readonly lineStarts: number[];

  constructor(
    readonly file: string,
    private readonly fallback: Span,
    text = "",
  ) {
    this.lineStarts = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
  }

  private lineCol(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo] + 1 };
  }

  token(t: IToken | undefined): Span {
    if (!t || Number.isNaN(t.startOffset) || t.startOffset < 0) return this.fallback;
    return {
      file: this.file,
      start: t.startOffset,
      end: t.startOffset + t.image.length,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
    };
  }

  node(n: CstNode | undefined): Span {
    const loc = n?.location;
    if (!loc || Number.isNaN(loc.startOffset) || loc.startOffset < 0) return this.fallback;
    const end = Number.isNaN(loc.endOffset ?? NaN) ? loc.startOffset : (loc.endOffset as number) + 1;
    return { file: this.file, start: loc.startOffset, end, ...this.lineCol(loc.startOffset) };
  }

  cover(a: Span, b: Span): Span {
    return a.start <= b.start ? { ...a, end: Math.max(a.end, b.end) } : { ...b, end: Math.max(a.end, b.end) };
  }
}

/** Binding strength of binary operators (higher binds tighter). */
const PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "..": 5,
  "+": 6,
  "-": 6,
  "*": 7,
  "/": 7,
};

/** Folds `a op b op c ...` into a tree by precedence, left-associative, with an operator stack. */
function climbFlat<E>(operands: E[], operators: IToken[], make: (l: E, op: IToken, r: E) => E): E {
  const values: E[] = [operands[0]];
  const ops: IToken[] = [];
  const reduce = () => {
    const r = values.pop()!;
    const l = values.pop()!;
    values.push(make(l, ops.pop()!, r));
  };
  operators.forEach((op, i) => {
    while (ops.length && PRECEDENCE[ops[ops.length - 1].image] >= PRECEDENCE[op.image]) reduce();
    ops.push(op);
    values.push(operands[i + 1] ?? operands[i]);
  });
  while (ops.length) reduce();
  return values[0];
}

const NONE: readonly CstElement[] = [];

const SCALE: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function parseNumber(raw: string): { value: number; unit: A.Unit; isInteger: boolean } {
  const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(ms|%|[KMGT])?$/.exec(raw);
  if (!m) return { value: NaN, unit: "", isInteger: false };
  const unit = (m[2] ?? "") as A.Unit;
  const base = Number(m[1]);
  const value = unit in SCALE ? Math.round(base * SCALE[unit] * 1e6) / 1e6 : base;
  const plain = /^\d+$/.test(m[1]);
  return { value, unit, isInteger: Number.isInteger(value) && (plain || unit in SCALE) };
}

const BaseVisitor = parser.getBaseCstVisitorConstructorWithDefaults();

/** Every rule has its visitor, typed by its CST children; call suffixes are read by `postfixExpr`. */
type RuleVisitor = Omit<ICstNodeVisitor<void, unknown>, "callSuffix" | "indexSuffix" | "memberSuffix">;

class AstBuilder extends BaseVisitor implements RuleVisitor {
  constructor(private readonly s: SpanMaker) {
    super();
  }

  private tok<C>(ctx: C, label: TokenLabel<C>, i = 0): IToken | undefined {
    const e = (ctx as Ctx)[label]?.[i];
    return e && isToken(e) ? e : undefined;
  }
  // Every label of the grammar holds only tokens or only nodes (see grammar/cst.d.ts), so no
  // filtering is needed; this runs for every CST node and allocations dominate the AST build.
  private toks<C>(ctx: C, label: TokenLabel<C>): IToken[] {
    return ((ctx as Ctx)[label] ?? NONE) as IToken[];
  }
  private nodes<C>(ctx: C, label: NodeLabel<C>): CstNode[] {
    return ((ctx as Ctx)[label] ?? NONE) as CstNode[];
  }
  /** The AST of the i-th node under `label`; the caller states what that rule's visitor returns. */
  private sub<C>(ctx: C, label: NodeLabel<C>, i = 0): unknown {
    const n = this.nodes(ctx, label)[i];
    return n ? this.visit(n) : undefined;
  }
  private ident(t: IToken | undefined): A.Ident {
    return { name: t && !Number.isNaN(t.startOffset) ? t.image : "", span: this.s.token(t) };
  }
  private expr<C>(ctx: C, label: NodeLabel<C>, i = 0): A.Expr {
    return (this.sub(ctx, label, i) as A.Expr | undefined) ?? { kind: "name", name: "", span: this.s.token(undefined) };
  }
  private stmts<C>(ctx: C, label: NodeLabel<C>, i = 0): A.Stmt[] {
    return (this.sub(ctx, label, i) as A.Stmt[] | undefined) ?? [];
  }
  private spanOf(node: { location?: CstNode["location"] } | CstNode): Span {
    return this.s.node(node as CstNode);
  }

  program(ctx: ProgramCstChildren): Omit<A.Program, "file"> {
    return {
      imports: this.nodes(ctx, "importDecl").map((n) => this.visit(n)),
      blocks: this.nodes(ctx, "blockDecl").map((n) => this.visit(n)),
      models: this.nodes(ctx, "modelDecl").map((n) => this.visit(n)),
    };
  }

  importDecl(ctx: ImportDeclCstChildren): A.ImportDecl {
    const str = this.tok(ctx, "StringLiteral");
    return {
      kind: "import",
      specs: this.nodes(ctx, "importSpec").map((n) => this.visit(n)),
      path: str && !Number.isNaN(str.startOffset) ? unquote(str.image) : "",
      pathSpan: this.s.token(str),
      span: this.spanHere(ctx, "Import"),
    };
  }

  importSpec(ctx: ImportSpecCstChildren): A.ImportSpec {
    const alias = this.tok(ctx, "alias");
    return { name: this.ident(this.tok(ctx, "name")), alias: alias ? this.ident(alias) : null };
  }

  blockDecl(ctx: BlockDeclCstChildren): A.BlockDecl {
    return {
      kind: "block",
      name: this.ident(this.tok(ctx, "name")),
      params: this.nodes(ctx, "paramDecl").map((n) => this.visit(n)),
      returns: (this.sub(ctx, "returns") as A.TypeRef | undefined) ?? null,
      body: this.stmts(ctx, "body"),
      span: this.spanHere(ctx, "Block"),
    };
  }

  paramDecl(ctx: ParamDeclCstChildren): A.ParamDecl {
    const name = this.ident(this.tok(ctx, "name"));
    const def = this.nodes(ctx, "default").length ? this.expr(ctx, "default") : null;
    return {
      name,
      type: (this.sub(ctx, "typeRef") as A.TypeRef | undefined) ?? null,
      default: def,
      span: def ? this.s.cover(name.span, def.span) : name.span,
    };
  }

  typeRef(ctx: TypeRefCstChildren): A.TypeRef {
    const name = this.ident(this.tok(ctx, "name"));
    const closes = this.toks(ctx, "RBracket");
    const last = closes[closes.length - 1];
    return { name, listDepth: closes.length, span: last ? this.s.cover(name.span, this.s.token(last)) : name.span };
  }

  body(ctx: BodyCstChildren): A.Stmt[] {
    return this.nodes(ctx, "statement").map((n) => this.visit(n));
  }

  statement(ctx: StatementCstChildren): A.Stmt {
    const [child] = Object.values(ctx).flat() as CstNode[];
    return this.visit(child);
  }

  assignStmt(ctx: AssignStmtCstChildren): A.AssignStmt {
    const t = (this.sub(ctx, "target") as { targets: A.Ident[]; destructure: boolean; span: Span } | undefined)!;
    const value = this.expr(ctx, "value");
    return {
      kind: "assign",
      targets: t.targets,
      destructure: t.destructure,
      value,
      span: this.s.cover(t.span, value.span),
    };
  }

  target(ctx: TargetCstChildren): { targets: A.Ident[]; destructure: boolean; span: Span } {
    const name = this.tok(ctx, "name");
    if (name) return { targets: [this.ident(name)], destructure: false, span: this.s.token(name) };
    const targets = this.toks(ctx, "names").map((t) => this.ident(t));
    return {
      targets,
      destructure: true,
      span: this.s.cover(this.s.token(this.tok(ctx, "LBracket")), this.s.token(this.tok(ctx, "RBracket"))),
    };
  }

  returnStmt(ctx: ReturnStmtCstChildren): A.ReturnStmt {
    const value = this.expr(ctx, "value");
    return { kind: "return", value, span: this.s.cover(this.s.token(this.tok(ctx, "Return")), value.span) };
  }

  forStmt(ctx: ForStmtCstChildren): A.ForStmt {
    return {
      kind: "for",
      variable: this.ident(this.tok(ctx, "variable")),
      iterable: this.expr(ctx, "iterable"),
      body: this.stmts(ctx, "body"),
      span: this.spanHere(ctx, "For"),
    };
  }

  repeatStmt(ctx: RepeatStmtCstChildren): A.RepeatStmt {
    return {
      kind: "repeat",
      count: this.expr(ctx, "count"),
      body: this.stmts(ctx, "body"),
      span: this.spanHere(ctx, "Repeat"),
    };
  }

  ifStmt(ctx: IfStmtCstChildren): A.IfStmt {
    const elseIf = this.sub(ctx, "elseIf") as A.IfStmt | undefined;
    const elseBody = this.nodes(ctx, "else").length ? this.stmts(ctx, "else") : null;
    return {
      kind: "if",
      condition: this.expr(ctx, "condition"),
      then: this.stmts(ctx, "then"),
      else: elseIf ? [elseIf] : elseBody,
      span: this.spanHere(ctx, "If"),
    };
  }

  groupStmt(ctx: GroupStmtCstChildren): A.GroupStmt {
    return {
      kind: "group",
      name: this.ident(this.tok(ctx, "name")),
      body: this.stmts(ctx, "body"),
      span: this.spanHere(ctx, "Group"),
    };
  }

  modelDecl(ctx: ModelDeclCstChildren): A.ModelDecl {
    const items: { item: A.ModelItem; offset: number }[] = [];
    const kinds: NodeLabel<ModelDeclCstChildren>[] = [
      "inputDecl",
      "widthsDecl",
      "divisorDecl",
      "encoderDecl",
      "taskDecl",
      "budgetDecl",
      "preferDecl",
      "trainDecl",
      "assignStmt",
    ];
    for (const key of kinds) {
      for (const n of this.nodes(ctx, key)) items.push({ item: this.visit(n), offset: n.location?.startOffset ?? 0 });
    }
    items.sort((a, b) => a.offset - b.offset);
    return {
      kind: "model",
      name: this.ident(this.tok(ctx, "name")),
      items: items.map((i) => i.item),
      span: this.spanHere(ctx, "Model"),
    };
  }

  inputDecl(ctx: InputDeclCstChildren): A.InputDecl {
    const dims = this.toks(ctx, "dims")
      .sort((a, b) => a.startOffset - b.startOffset)
      .map((t): A.Ident | A.NumberLit => (t.tokenType.name === "NumberLiteral" ? this.numberLit(t) : this.ident(t)));
    const preprocess = this.nodes(ctx, "preprocess").length ? this.expr(ctx, "preprocess") : null;
    return {
      kind: "input",
      name: this.ident(this.tok(ctx, "name")),
      dtype: this.ident(this.tok(ctx, "dtype")),
      dims,
      preprocess,
      span: this.spanHere(ctx, "Input"),
    };
  }

  widthsDecl(ctx: WidthsDeclCstChildren): A.WidthsDecl {
    return {
      kind: "widths",
      values: this.toks(ctx, "values").map((t) => this.numberLit(t)),
      span: this.spanHere(ctx, "Widths"),
    };
  }

  divisorDecl(ctx: DivisorDeclCstChildren): A.DivisorDecl {
    return { kind: "divisor", value: this.numberLit(this.tok(ctx, "value")), span: this.spanHere(ctx, "Divisor") };
  }

  encoderDecl(ctx: EncoderDeclCstChildren): A.EncoderDecl {
    const t = (this.sub(ctx, "target") as { targets: A.Ident[]; destructure: boolean } | undefined) ?? {
      targets: [],
      destructure: false,
    };
    return {
      kind: "encoder",
      targets: t.targets,
      destructure: t.destructure,
      value: this.expr(ctx, "value"),
      span: this.spanHere(ctx, "Encoder"),
    };
  }

  taskDecl(ctx: TaskDeclCstChildren): A.TaskDecl {
    const clauses = <T>(key: NodeLabel<TaskDeclCstChildren>) =>
      this.nodes(ctx, key).map((n) => this.visit(n) as A.TaskClause<T>);
    return {
      kind: "task",
      name: this.ident(this.tok(ctx, "name")),
      heads: clauses<A.Expr>("headClause"),
      decodes: clauses<A.Expr>("decodeClause"),
      losses: clauses<A.LossRef>("lossClause"),
      metrics: clauses<A.Ident>("metricClause"),
      span: this.spanHere(ctx, "Task"),
    };
  }

  headClause(ctx: HeadClauseCstChildren): A.TaskClause<A.Expr> {
    const value = this.expr(ctx, "value");
    return { value, span: this.s.cover(this.s.token(this.tok(ctx, "Head")), value.span) };
  }
  decodeClause(ctx: DecodeClauseCstChildren): A.TaskClause<A.Expr> {
    const value = this.expr(ctx, "value");
    return { value, span: this.s.cover(this.s.token(this.tok(ctx, "Decode")), value.span) };
  }
  lossClause(ctx: LossClauseCstChildren): A.TaskClause<A.LossRef> {
    const name = this.ident(this.tok(ctx, "name"));
    const call = this.nodes(ctx, "args")[0];
    const args = call
      ? this.nodes(call.children as CallSuffixCstChildren, "argument").map((a) => this.visit(a) as A.Argument)
      : null;
    const span = call ? this.s.cover(name.span, this.s.node(call)) : name.span;
    return { value: { name, args, span }, span: this.s.cover(this.s.token(this.tok(ctx, "Loss")), span) };
  }
  metricClause(ctx: MetricClauseCstChildren): A.TaskClause<A.Ident> {
    const value = this.ident(this.tok(ctx, "name"));
    return { value, span: this.s.cover(this.s.token(this.tok(ctx, "Metric")), value.span) };
  }

  budgetDecl(ctx: BudgetDeclCstChildren): A.BudgetDecl {
    const value = this.expr(ctx, "value");
    return {
      kind: "budget",
      metric: this.ident(this.tok(ctx, "metric")),
      value,
      span: this.s.cover(this.s.token(this.tok(ctx, "Budget")), value.span),
    };
  }

  preferDecl(ctx: PreferDeclCstChildren): A.PreferDecl {
    const entries = this.nodes(ctx, "preferEntry").map((n) => this.visit(n) as A.PreferEntry);
    const start = this.s.token(this.tok(ctx, "Prefer"));
    return {
      kind: "prefer",
      entries,
      span: entries.length ? this.s.cover(start, entries[entries.length - 1].span) : start,
    };
  }

  preferEntry(ctx: PreferEntryCstChildren): A.PreferEntry {
    const task = this.ident(this.tok(ctx, "task"));
    const value = this.expr(ctx, "value");
    return { task, value, span: this.s.cover(task.span, value.span) };
  }

  trainDecl(ctx: TrainDeclCstChildren): A.TrainDecl {
    const settings = this.nodes(ctx, "trainSetting").map((n) => this.visit(n) as A.TrainSetting);
    return { kind: "train", settings, span: this.spanHere(ctx, "Train") };
  }

  trainSetting(ctx: TrainSettingCstChildren): A.TrainSetting {
    const name = this.ident(this.tok(ctx, "name"));
    const args = this.nodes(ctx, "argument").map((n) => this.visit(n) as A.Argument);
    return { name, args, span: args.length ? this.s.cover(name.span, args[args.length - 1].span) : name.span };
  }

  // Expressions

  expression(ctx: ExpressionCstChildren): A.Expr {
    const condition = this.expr(ctx, "condition");
    if (!this.nodes(ctx, "then").length) return condition;
    const otherwise = this.expr(ctx, "else");
    return {
      kind: "ternary",
      condition,
      then: this.expr(ctx, "then"),
      else: otherwise,
      span: this.s.cover(condition.span, otherwise.span),
    };
  }

  pipeExpr(ctx: PipeExprCstChildren): A.Expr {
    const stages = this.nodes(ctx, "operands").map((n) => this.visit(n) as A.Expr);
    if (stages.length === 1) return stages[0];
    return { kind: "pipe", stages, span: this.s.cover(stages[0].span, stages[stages.length - 1].span) };
  }

  /** Precedence climbing over the flat operand/operator list of `binaryExpr`. */
  binaryExpr(ctx: BinaryExprCstChildren): A.Expr {
    const only = ctx.operands;
    if (!ctx.operators && only?.length === 1) return this.visit(only[0] as CstNode) as A.Expr;
    const operands = this.nodes(ctx, "operands").map((n) => this.visit(n) as A.Expr);
    const operators = this.toks(ctx, "operators");
    if (!operands.length) return this.expr(ctx, "operands"); // recovery left nothing: an empty name
    return climbFlat(operands, operators, (l, op, r) => ({
      kind: "binary",
      op: op.image as A.BinaryOp,
      left: l,
      right: r,
      opSpan: this.s.token(op),
      span: this.s.cover(l.span, r.span),
    }));
  }

  unaryExpr(ctx: UnaryExprCstChildren): A.Expr {
    const operand = this.expr(ctx, "operand");
    const op = this.tok(ctx, "operator");
    if (!op) return operand;
    return { kind: "unary", op: op.image as A.UnaryOp, operand, span: this.s.cover(this.s.token(op), operand.span) };
  }

  postfixExpr(ctx: PostfixExprCstChildren): A.Expr {
    let e = this.expr(ctx, "primary");
    for (const n of this.nodes(ctx, "suffixes")) {
      const span = this.s.cover(e.span, this.s.node(n));
      const c = n.children as CallSuffixCstChildren & IndexSuffixCstChildren & MemberSuffixCstChildren;
      if (n.name === "callSuffix")
        e = { kind: "call", callee: e, args: this.nodes(c, "argument").map((a) => this.visit(a)), span };
      else if (n.name === "indexSuffix") e = { kind: "index", target: e, index: this.expr(c, "index"), span };
      else e = { kind: "member", target: e, name: this.ident(this.tok(c, "name")), span };
    }
    const label = this.sub(ctx, "labelPath") as A.LabelPart[] | undefined;
    if (label)
      e = { kind: "labeled", expr: e, label, span: this.s.cover(e.span, this.s.node(this.nodes(ctx, "labelPath")[0])) };
    return e;
  }

  argument(ctx: ArgumentCstChildren): A.Argument {
    const name = this.tok(ctx, "name");
    const value = this.expr(ctx, "value");
    return {
      name: name ? this.ident(name) : null,
      value,
      span: name ? this.s.cover(this.s.token(name), value.span) : value.span,
    };
  }

  labelPath(ctx: LabelPathCstChildren): A.LabelPart[] {
    return this.nodes(ctx, "parts").flatMap((n) => this.visit(n) as A.LabelPart[]);
  }

  /** One part, or several: `as blocks.1.10` lexes `1.10` as one number, which is two path parts. */
  labelPart(ctx: LabelPartCstChildren): A.LabelPart[] {
    const name = this.tok(ctx, "name");
    if (name) return [{ kind: "name", name: name.image, span: this.s.token(name) }];
    const index = this.tok(ctx, "index");
    if (index) {
      const span = this.s.token(index);
      return index.image.split(".").map((digits) => ({ kind: "index" as const, value: Number(digits), span }));
    }
    const expr = this.expr(ctx, "computed");
    return [{ kind: "computed", expr, span: expr.span }];
  }

  primary(ctx: PrimaryCstChildren): A.Expr {
    const num = this.tok(ctx, "number");
    if (num) return this.numberLit(num);
    const str = this.tok(ctx, "string");
    if (str) return { kind: "string", value: unquote(str.image), span: this.s.token(str) };
    const b = this.tok(ctx, "bool");
    if (b) return { kind: "bool", value: b.image === "true", span: this.s.token(b) };
    const name = this.tok(ctx, "name");
    if (name) return { kind: "name", name: name.image, span: this.s.token(name) };
    if (this.tok(ctx, "list")) {
      return {
        kind: "list",
        items: this.nodes(ctx, "items").map((n) => this.visit(n)),
        span: this.s.cover(
          this.s.token(this.tok(ctx, "list")),
          this.s.token(this.tok(ctx, "RBracket") ?? this.tok(ctx, "list")),
        ),
      };
    }
    const inner = this.expr(ctx, "inner");
    return inner;
  }

  private numberLit(t: IToken | undefined): A.NumberLit {
    const raw = t && !Number.isNaN(t.startOffset) ? t.image : "0";
    return { kind: "number", raw, ...parseNumber(raw), span: this.s.token(t) };
  }

  /** The span of a construct: from its keyword token through the end of the CST node being visited. */
  private spanHere<C>(ctx: C, keyword: TokenLabel<C>): Span {
    const first = this.tok(ctx, keyword);
    const all = Object.values(ctx as Ctx).flat() as CstElement[];
    let end = this.s.token(first).end;
    for (const e of all) {
      const s = isToken(e) ? this.s.token(e) : this.s.node(e);
      if (s.end > end && s !== undefined) end = s.end;
    }
    return { ...this.s.token(first), end };
  }
}

function unquote(image: string): string {
  try {
    return JSON.parse(image);
  } catch {
    return image.slice(1, -1);
  }
}

/** `text` gives CST-node spans their line and column (without it they read 1:1; offsets are exact). */
export function cstToAst(cst: CstNode, file: string, text = ""): A.Program {
  const spans = new SpanMaker(file, { file, start: 0, end: 0, line: 1, col: 1 }, text);
  const body = new AstBuilder(spans).visit(cst) as Omit<A.Program, "file">;
  return { file, ...body };
}
