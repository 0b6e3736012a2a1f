// Shared by the `train` section and task losses: settings written as `name` or `name(args)`, whose
// arguments bind like a layer's (MTL2008 / MTL4001 from bindArgs) and come back as plain values.
import type * as A from "../ast";
import type { Diagnostic, Span } from "../diagnostics";
import type { Code } from "../messages";
import { type ArgValue, type Sig, bindArgs } from "./args";
import type { ParamType, Val } from "./values";

export type Report = (code: Code, span: Span, message: string, hint?: string) => void;
export type EvalExpr = (e: A.Expr) => Val;

/** Bound call arguments as plain numbers and booleans. */
export type Args = Map<string, { value: number | boolean; span: Span }>;

export interface Call {
  readonly name: string;
  readonly nameSpan: Span;
  readonly args: readonly A.Argument[];
  readonly span: Span;
}

/** `name` or `name(args)` as a call; undefined for anything else. */
export function asCall(e: A.Expr): Call | undefined {
  if (e.kind === "name") return { name: e.name, nameSpan: e.span, args: [], span: e.span };
  if (e.kind === "call" && e.callee.kind === "name")
    return { name: e.callee.name, nameSpan: e.callee.span, args: e.args, span: e.span };
  return undefined;
}

/** Binds a call's arguments to `params` (all optional) and returns them as plain values. */
export function bindPlain(
  what: string,
  params: readonly { name: string; type: ParamType }[],
  args: readonly A.Argument[],
  span: Span,
  evalExpr: EvalExpr,
  diags: Diagnostic[],
): Args | undefined {
  const values: ArgValue[] = args.map((a) => ({ name: a.name?.name ?? null, value: evalExpr(a.value), span: a.span }));
  if (values.some((v) => v.value.kind === "error")) return undefined;
  const sig: Sig[] = params.map((p) => ({ name: p.name, type: p.type, hasDefault: true }));
  const bound = bindArgs(what, sig, values, span, diags);
  if (!bound) return undefined;
  const out: Args = new Map();
  for (const [name, v] of bound.values)
    if (v.kind === "int" || v.kind === "float" || v.kind === "bool")
      out.set(name, { value: v.value, span: bound.spans.get(name) ?? span });
  return out;
}
