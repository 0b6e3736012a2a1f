// The typed syntax tree of one .mtl file. Facts found later (symbols, types, shapes) live in side
// tables, never on these nodes.
import type { Span } from "./diagnostics";

export interface Ident {
  readonly name: string;
  readonly span: Span;
}

export interface Program {
  readonly file: string;
  readonly imports: readonly ImportDecl[];
  readonly blocks: readonly BlockDecl[];
  readonly models: readonly ModelDecl[];
}

export interface ImportSpec {
  readonly name: Ident;
  readonly alias: Ident | null;
}

export interface ImportDecl {
  readonly kind: "import";
  readonly specs: readonly ImportSpec[];
  readonly path: string;
  readonly pathSpan: Span;
  readonly span: Span;
}

export interface TypeRef {
  readonly name: Ident;
  readonly listDepth: number; // int[] -> 1
  readonly span: Span;
}

export interface ParamDecl {
  readonly name: Ident;
  readonly type: TypeRef | null;
  readonly default: Expr | null;
  readonly span: Span;
}

export interface BlockDecl {
  readonly kind: "block";
  readonly name: Ident;
  readonly params: readonly ParamDecl[];
  readonly returns: TypeRef | null;
  readonly body: readonly Stmt[];
  readonly span: Span;
}

export type Stmt = AssignStmt | ReturnStmt | ForStmt | RepeatStmt | IfStmt | GroupStmt;

export interface AssignStmt {
  readonly kind: "assign";
  readonly targets: readonly Ident[];
  readonly destructure: boolean; // [a, b] = ...
  readonly value: Expr;
  readonly span: Span;
}
export interface ReturnStmt {
  readonly kind: "return";
  readonly value: Expr;
  readonly span: Span;
}
export interface ForStmt {
  readonly kind: "for";
  readonly variable: Ident;
  readonly iterable: Expr;
  readonly body: readonly Stmt[];
  readonly span: Span;
}
export interface RepeatStmt {
  readonly kind: "repeat";
  readonly count: Expr;
  readonly body: readonly Stmt[];
  readonly span: Span;
}
export interface IfStmt {
  readonly kind: "if";
  readonly condition: Expr;
  readonly then: readonly Stmt[];
  readonly else: readonly Stmt[] | null; // `else if` is an else holding one IfStmt
  readonly span: Span;
}
export interface GroupStmt {
  readonly kind: "group";
  readonly name: Ident;
  readonly body: readonly Stmt[];
  readonly span: Span;
}

export interface ModelDecl {
  readonly kind: "model";
  readonly name: Ident;
  readonly items: readonly ModelItem[];
  readonly span: Span;
}

export type ModelItem =
  InputDecl | WidthsDecl | DivisorDecl | EncoderDecl | TaskDecl | BudgetDecl | PreferDecl | TrainDecl | AssignStmt;

export interface InputDecl {
  readonly kind: "input";
  readonly name: Ident;
  readonly dtype: Ident;
  readonly dims: readonly (Ident | NumberLit)[];
  /** `as image(mean: ..., std: ...)`: how the runtime turns image files into this input. */
  readonly preprocess: Expr | null;
  readonly span: Span;
}
export interface WidthsDecl {
  readonly kind: "widths";
  readonly values: readonly NumberLit[];
  readonly span: Span;
}
export interface DivisorDecl {
  readonly kind: "divisor";
  readonly value: NumberLit;
  readonly span: Span;
}
export interface EncoderDecl {
  readonly kind: "encoder";
  readonly targets: readonly Ident[];
  readonly destructure: boolean;
  readonly value: Expr;
  readonly span: Span;
}
export interface TaskClause<T> {
  readonly value: T;
  readonly span: Span;
}
export interface TaskDecl {
  readonly kind: "task";
  readonly name: Ident;
  readonly heads: readonly TaskClause<Expr>[];
  readonly decodes: readonly TaskClause<Expr>[];
  readonly losses: readonly TaskClause<LossRef>[];
  readonly metrics: readonly TaskClause<Ident>[];
  readonly span: Span;
}
/** `loss cross_entropy` (args null) or `loss cross_entropy(ignore: 255)`. */
export interface LossRef {
  readonly name: Ident;
  readonly args: readonly Argument[] | null;
  readonly span: Span;
}
export interface BudgetDecl {
  readonly kind: "budget";
  readonly metric: Ident;
  readonly value: Expr;
  readonly span: Span;
}
export interface PreferEntry {
  readonly task: Ident;
  readonly value: Expr;
  readonly span: Span;
}
export interface PreferDecl {
  readonly kind: "prefer";
  readonly entries: readonly PreferEntry[];
  readonly span: Span;
}

/** `train { ... }`: one setting per line, each a name and its arguments. */
export interface TrainDecl {
  readonly kind: "train";
  readonly settings: readonly TrainSetting[];
  readonly span: Span;
}
/** `optimizer sgd(lr: 0.1)`, `epochs 10`, `distill outputs: 1.0, features: 0.5`, `augment crop(padding: 2), hflip` */
export interface TrainSetting {
  readonly name: Ident;
  readonly args: readonly Argument[];
  readonly span: Span;
}

export type Unit = "" | "K" | "M" | "G" | "T" | "%" | "ms";

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameExpr
  | ListExpr
  | UnaryExpr
  | BinaryExpr
  | TernaryExpr
  | PipeExpr
  | CallExpr
  | IndexExpr
  | MemberExpr
  | LabeledExpr;

export interface NumberLit {
  readonly kind: "number";
  readonly value: number; // with K/M/G/T applied; 60% stays 60 with unit "%"
  readonly unit: Unit;
  readonly raw: string;
  readonly isInteger: boolean; // written without a fraction or exponent (before the unit)
  readonly span: Span;
}
export interface StringLit {
  readonly kind: "string";
  readonly value: string;
  readonly span: Span;
}
export interface BoolLit {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}
export interface NameExpr {
  readonly kind: "name";
  readonly name: string;
  readonly span: Span;
}
export interface ListExpr {
  readonly kind: "list";
  readonly items: readonly Expr[];
  readonly span: Span;
}
export type UnaryOp = "-" | "!" | "fixed";
export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly span: Span;
}
export type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | ".." | "+" | "-" | "*" | "/";
export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly opSpan: Span;
  readonly span: Span;
}
export interface TernaryExpr {
  readonly kind: "ternary";
  readonly condition: Expr;
  readonly then: Expr;
  readonly else: Expr;
  readonly span: Span;
}
/** `a |> f(b) |> g`: each stage after the first receives the previous value as its first argument. */
export interface PipeExpr {
  readonly kind: "pipe";
  readonly stages: readonly Expr[];
  readonly span: Span;
}
export interface Argument {
  readonly name: Ident | null;
  readonly value: Expr;
  readonly span: Span;
}
export interface CallExpr {
  readonly kind: "call";
  readonly callee: Expr;
  readonly args: readonly Argument[];
  readonly span: Span;
}
export interface IndexExpr {
  readonly kind: "index";
  readonly target: Expr;
  readonly index: Expr;
  readonly span: Span;
}
export interface MemberExpr {
  readonly kind: "member";
  readonly target: Expr;
  readonly name: Ident;
  readonly span: Span;
}
export type LabelPart =
  | { readonly kind: "name"; readonly name: string; readonly span: Span }
  | { readonly kind: "index"; readonly value: number; readonly span: Span }
  | { readonly kind: "computed"; readonly expr: Expr; readonly span: Span };
/** `conv(x, 64) as conv1`: names the layer (and its parameters) in the PyTorch-style module path. */
export interface LabeledExpr {
  readonly kind: "labeled";
  readonly expr: Expr;
  readonly label: readonly LabelPart[];
  readonly span: Span;
}
