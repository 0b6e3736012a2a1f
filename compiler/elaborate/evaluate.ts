// The evaluator: expressions and statements of blocks and models, run with concrete arguments.
// Every layer call becomes IR nodes through the GraphBuilder; every mistake becomes a diagnostic
// at the span of the expression at fault, and evaluation goes on with a poisoned value.
import type * as A from "../ast";
import type { Diagnostic, Span } from "../diagnostics";
import { type GraphBuilder, ShapeError } from "../ir/builder";
import { layoutMax } from "../ir/width";
import { type Code, diag, didYouMean } from "../messages";
import { type ArgValue, bindArgs, type Sig } from "./args";
import { DIVISIBILITY, functions } from "./functions";
import { ArgError, layers } from "./layers";
import { DEFAULT_LIMITS, LimitCounter, LimitExceeded, locate } from "../limits";
import { type ParamType, type Val, ERROR, bool, coerce, float, int, list, show, str, typeName } from "./values";
import { isTypeName } from "../names";

/** Where layers being created go: their module-path prefix and width group. */
export interface Frame {
  readonly file: string;
  readonly vars: Map<string, Val>;
  readonly prefix: string; // "", "layer1.0.", "semseg."
  readonly group: string | null; // null: layers are fixed
  readonly depth: number;
}

interface CallMods {
  pipeIn?: { value: Val; span: Span };
  label?: string;
  fixed?: boolean;
}

export class Evaluator {
  private readonly names = new Map<string, Span>(); // parameterised layer names in use
  private readonly autoCount = new Map<string, number>();
  private readonly groupsSeen = new Set<string>();
  private suggestions = 0;
  /** The user's call of the standard-library block being evaluated, if one is. */
  private libraryCall: Span | undefined;

  constructor(
    readonly b: GraphBuilder,
    readonly diags: Diagnostic[],
    /** For each file, the blocks it can call: its own and those it imports. */
    readonly scopes: ReadonlyMap<string, ReadonlyMap<string, Val>>,
    /** Work and size limits; exceeding one throws LimitExceeded, which ends this model's elaboration. */
    readonly limits: LimitCounter = new LimitCounter({ ...DEFAULT_LIMITS }),
  ) {}

  private get maxLoop(): number {
    return this.limits.limits.loop;
  }

  /** Runs a limit check, pinning a LimitExceeded to `span`. */
  private within(span: Span, check: () => void): void {
    try {
      check();
    } catch (err) {
      locate(err, span);
    }
  }

  private report(code: Code, span: Span, message: string, hint?: string): Val {
    this.diags.push(diag(code, span, message, hint));
    return ERROR;
  }

  ensureGroup(name: string): void {
    if (this.groupsSeen.has(name)) return;
    this.groupsSeen.add(name);
    this.b.addGroup(name);
  }

  // ---- names -------------------------------------------------------------------------------

  lookup(name: string, f: Frame, span: Span): Val {
    const local = f.vars.get(name);
    if (local) return local;
    const scoped = this.scopes.get(f.file)?.get(name);
    if (scoped) return scoped;
    const layer = layers.get(name);
    if (layer) return { kind: "layer", def: layer };
    const fn = functions.get(name);
    if (fn) return { kind: "fn", def: fn };
    // Suggestions scan every name in scope: offer them for the first 100 undefined names only.
    if (this.suggestions++ >= 100) return this.report("MTL2003", span, `\`${name}\` is not defined`);
    // Names bound to an error (a failed import) are the misspelling itself: never suggest them.
    const inScope = [...(this.scopes.get(f.file) ?? new Map<string, Val>())]
      .filter(([, v]) => v.kind !== "error")
      .map(([k]) => k);
    const candidates = [...f.vars.keys(), ...inScope, ...layers.keys(), ...functions.keys()];
    return this.report("MTL2003", span, `\`${name}\` is not defined`, didYouMean(name, candidates));
  }

  /** A unique module path for a layer: the label when given (must be unique), else op + counter. */
  private layerName(
    f: Frame,
    op: string,
    label: string | undefined,
    span: Span,
    hasParams: boolean,
  ): string | undefined {
    if (label !== undefined) {
      const full = f.prefix + label;
      const prior = this.names.get(full);
      if (prior && hasParams) {
        this.diags.push(
          diag(
            "MTL2015",
            span,
            `two layers are named \`${full}\``,
            "give each its own label; in a loop use a computed one such as `as (i)`",
            [{ message: "first named here", span: prior }],
          ),
        );
        return undefined;
      }
      this.names.set(full, span);
      return full;
    }
    const base = f.prefix + op;
    let n = this.autoCount.get(base) ?? 0;
    let name = n === 0 ? base : `${base}_${n}`;
    while (this.names.has(name)) name = `${base}_${++n}`;
    this.autoCount.set(base, n + 1);
    this.names.set(name, span);
    return name;
  }

  // ---- statements --------------------------------------------------------------------------

  /** Runs statements; returns the value of a `return`, if one ran. */
  exec(stmts: readonly A.Stmt[], f: Frame): Val | undefined {
    for (const s of stmts) {
      const r = this.execOne(s, f);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  private execOne(s: A.Stmt, f: Frame): Val | undefined {
    switch (s.kind) {
      case "assign":
        this.assign(s.targets, s.destructure, this.eval(s.value, f), s.value.span, f);
        return undefined;
      case "return":
        return this.eval(s.value, f);
      case "for": {
        const it = this.eval(s.iterable, f);
        if (it.kind === "error") return undefined;
        if (it.kind !== "list") {
          this.report(
            "MTL4001",
            s.iterable.span,
            `\`for\` iterates over a list or a range such as \`0..n\`, not ${typeName(it)}`,
          );
          return undefined;
        }
        if (it.items.length > this.maxLoop) {
          this.report(
            "MTL4008",
            s.iterable.span,
            `this loop would run ${it.items.length} times (at most ${this.maxLoop})`,
          );
          return undefined;
        }
        for (const item of it.items) {
          this.within(s.iterable.span, () => this.limits.step());
          f.vars.set(s.variable.name, item);
          const r = this.exec(s.body, f);
          if (r !== undefined) return r;
        }
        return undefined;
      }
      case "repeat": {
        const n = this.eval(s.count, f);
        if (n.kind === "error") return undefined;
        if (n.kind !== "int" || n.value < 0) {
          this.report("MTL4001", s.count.span, `\`repeat\` takes a count of 0 or more, not ${show(n)}`);
          return undefined;
        }
        if (n.value > this.maxLoop) {
          this.report("MTL4008", s.count.span, `this loop would run ${n.value} times (at most ${this.maxLoop})`);
          return undefined;
        }
        for (let i = 0; i < n.value; i++) {
          this.within(s.count.span, () => this.limits.step());
          const r = this.exec(s.body, f);
          if (r !== undefined) return r;
        }
        return undefined;
      }
      case "if": {
        const c = this.eval(s.condition, f);
        if (c.kind === "error") return undefined;
        if (c.kind !== "bool") {
          this.report("MTL4001", s.condition.span, `an \`if\` condition must be true or false, not ${typeName(c)}`);
          return undefined;
        }
        return c.value ? this.exec(s.then, f) : s.else ? this.exec(s.else, f) : undefined;
      }
      case "group": {
        const group = f.group === null ? null : `${f.group}.${s.name.name}`;
        if (group) this.ensureGroup(group);
        return this.exec(s.body, { ...f, group });
      }
    }
  }

  assign(targets: readonly A.Ident[], destructure: boolean, v: Val, span: Span, f: Frame): void {
    if (!destructure) {
      f.vars.set(targets[0].name, v);
      return;
    }
    if (v.kind === "error") {
      for (const t of targets) f.vars.set(t.name, ERROR);
      return;
    }
    if (v.kind !== "list" || v.items.length !== targets.length) {
      this.report(
        "MTL4011",
        span,
        `${targets.length} names but ${v.kind === "list" ? `${v.items.length} values` : `one ${typeName(v)}`}`,
        v.kind === "list" ? `write ${v.items.length} names in the brackets` : undefined,
      );
      for (const t of targets) f.vars.set(t.name, ERROR);
      return;
    }
    targets.forEach((t, i) => f.vars.set(t.name, v.items[i]));
  }

  // ---- expressions -------------------------------------------------------------------------

  eval(e: A.Expr, f: Frame): Val {
    try {
      this.limits.step();
      return this.evalExpr(e, f);
    } catch (err) {
      return locate(err, e.span);
    }
  }

  private evalExpr(e: A.Expr, f: Frame): Val {
    switch (e.kind) {
      case "number":
        if (e.unit === "%" || e.unit === "ms")
          return this.report(
            "MTL4001",
            e.span,
            `\`${e.raw}\` has a unit that only budgets take`,
            "write a plain number here",
          );
        return e.isInteger ? int(e.value) : float(e.value);
      case "string":
        this.limits.stringLength(e.value.length);
        return str(e.value);
      case "bool":
        return bool(e.value);
      case "name":
        return e.name === "" ? ERROR : this.lookup(e.name, f, e.span);
      case "list":
        this.limits.listLength(e.items.length);
        return list(e.items.map((x) => this.eval(x, f)));
      case "unary":
        return this.unary(e, f);
      case "binary":
        return this.binary(e, f);
      case "ternary": {
        const c = this.eval(e.condition, f);
        if (c.kind === "error") return ERROR;
        if (c.kind !== "bool")
          return this.report("MTL4001", e.condition.span, `a condition must be true or false, not ${typeName(c)}`);
        return this.eval(c.value ? e.then : e.else, f);
      }
      case "pipe": {
        let v = this.eval(e.stages[0], f);
        let span = e.stages[0].span;
        for (const stage of e.stages.slice(1)) {
          v = this.applyStage(stage, { value: v, span }, f, {});
          span = { ...span, end: stage.span.end };
        }
        return v;
      }
      case "call":
        return this.call(e, f, {});
      case "labeled":
        return this.labeled(e, f, {});
      case "index": {
        const t = this.eval(e.target, f);
        const i = this.eval(e.index, f);
        if (t.kind === "error" || i.kind === "error") return ERROR;
        if (t.kind !== "list")
          return this.report("MTL4001", e.target.span, `only lists can be indexed, not ${typeName(t)}`);
        if (i.kind !== "int")
          return this.report("MTL4001", e.index.span, `a list index must be an int, not ${typeName(i)}`);
        const at = i.value < 0 ? t.items.length + i.value : i.value;
        if (at < 0 || at >= t.items.length)
          return this.report("MTL4004", e.index.span, `index ${i.value} is outside a list of ${t.items.length}`);
        return t.items[at];
      }
      case "member":
        return this.member(e, f);
    }
  }

  private member(e: A.MemberExpr, f: Frame): Val {
    const t = this.eval(e.target, f);
    if (t.kind === "error") return ERROR;
    const name = e.name.name;
    if (t.kind === "tensor") {
      const ty = this.b.type(t.id);
      if (name === "channels") {
        if (ty.channelAxis === null) return this.report("MTL4010", e.name.span, "this tensor has no channel axis");
        return int(layoutMax(ty.channels));
      }
      if (name === "shape")
        return list(ty.shape.map((d) => (typeof d === "number" ? int(d) : { kind: "dim", name: d })));
      if (name === "rank") return int(ty.shape.length);
      return this.report(
        "MTL4010",
        e.name.span,
        `a tensor has no member \`${name}\``,
        didYouMean(name, ["channels", "shape", "rank"]) ?? "tensors have `channels`, `shape` and `rank`",
      );
    }
    return this.report(
      "MTL4010",
      e.name.span,
      `${typeName(t)} has no member \`${name}\``,
      t.kind === "list" ? "use `len(xs)` for a list's length" : undefined,
    );
  }

  private unary(e: A.UnaryExpr, f: Frame): Val {
    if (e.op === "fixed") return this.withMods(e.operand, f, { fixed: true }, e.span);
    const v = this.eval(e.operand, f);
    if (v.kind === "error") return ERROR;
    if (e.op === "!")
      return v.kind === "bool"
        ? bool(!v.value)
        : this.report("MTL4002", e.span, `\`!\` takes true or false, not ${typeName(v)}`);
    if (v.kind === "int") return int(-v.value);
    if (v.kind === "float") return float(-v.value);
    if (v.kind === "tensor") return this.tensorOp("mul", v, float(-1), e.span, f);
    return this.report("MTL4002", e.span, `\`-\` takes a number or tensor, not ${typeName(v)}`);
  }

  /**
   * A chain `a + b + c ...` is a left-leaning tree as deep as it is long: evaluate its left spine
   * with a loop, so a sum of thousands of terms does not exhaust the stack.
   */
  private binary(e: A.BinaryExpr, f: Frame): Val {
    if (e.op === "&&" || e.op === "||") return this.logical(e, f);
    const spine: A.BinaryExpr[] = [];
    let leftmost: A.Expr = e;
    while (leftmost.kind === "binary" && leftmost.op !== "&&" && leftmost.op !== "||") {
      spine.push(leftmost);
      leftmost = leftmost.left;
    }
    let l = this.eval(leftmost, f);
    for (let i = spine.length - 1; i >= 0; i--) {
      const node = spine[i];
      if (i > 0) this.within(node.span, () => this.limits.step());
      l = this.arith(node, l, this.eval(node.right, f), f);
    }
    return l;
  }

  private logical(e: A.BinaryExpr, f: Frame): Val {
    const l = this.eval(e.left, f);
    if (l.kind === "error") return ERROR;
    if (l.kind !== "bool")
      return this.report("MTL4002", e.left.span, `\`${e.op}\` takes true or false, not ${typeName(l)}`);
    if (e.op === "&&" ? !l.value : l.value) return l; // short-circuit
    const r = this.eval(e.right, f);
    if (r.kind === "error") return ERROR;
    return r.kind === "bool"
      ? r
      : this.report("MTL4002", e.right.span, `\`${e.op}\` takes true or false, not ${typeName(r)}`);
  }

  /** A non-logical binary operator applied to evaluated operands. */
  private arith(e: A.BinaryExpr, l: Val, r: Val, f: Frame): Val {
    if (l.kind === "error" || r.kind === "error") return ERROR;
    const bad = (): Val =>
      this.report("MTL4002", e.opSpan, `\`${e.op}\` does not take ${typeName(l)} and ${typeName(r)}`);
    const isNum = (v: Val): v is { kind: "int" | "float"; value: number } => v.kind === "int" || v.kind === "float";
    switch (e.op) {
      case "==":
      case "!=": {
        const same = show(l) === show(r) && (l.kind === r.kind || (isNum(l) && isNum(r)));
        if (l.kind === "tensor" || r.kind === "tensor") return bad();
        return bool(e.op === "==" ? same : !same);
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        if (!isNum(l) || !isNum(r)) return bad();
        const res =
          e.op === "<"
            ? l.value < r.value
            : e.op === "<="
              ? l.value <= r.value
              : e.op === ">"
                ? l.value > r.value
                : l.value >= r.value;
        return bool(res);
      }
      case "..": {
        if (l.kind !== "int" || r.kind !== "int")
          return this.report("MTL4002", e.opSpan, "a range `a..b` takes two ints");
        if (r.value - l.value > this.maxLoop)
          return this.report("MTL4008", e.span, `the range ${l.value}..${r.value} is longer than ${this.maxLoop}`);
        return list(Array.from({ length: Math.max(0, r.value - l.value) }, (_, i) => int(l.value + i)));
      }
      default: {
        const op = e.op as "+" | "-" | "*" | "/";
        if (l.kind === "tensor" || r.kind === "tensor") {
          if (!(l.kind === "tensor" || isNum(l)) || !(r.kind === "tensor" || isNum(r))) return bad();
          const name = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[op];
          return this.tensorOp(name, l, r, e.span, f);
        }
        if (op === "+" && l.kind === "string" && r.kind === "string") {
          this.within(e.span, () => this.limits.stringLength(l.value.length + r.value.length));
          return str(l.value + r.value);
        }
        if (op === "+" && l.kind === "list" && r.kind === "list") {
          this.within(e.span, () => this.limits.listLength(l.items.length + r.items.length));
          return list([...l.items, ...r.items]);
        }
        if (!isNum(l) || !isNum(r)) return bad();
        if (op === "/") {
          if (r.value === 0) return this.report("MTL4003", e.right.span, "division by zero");
          return float(l.value / r.value);
        }
        const v = op === "+" ? l.value + r.value : op === "-" ? l.value - r.value : l.value * r.value;
        return l.kind === "int" && r.kind === "int" ? int(v) : float(v);
      }
    }
  }

  /** Elementwise arithmetic on tensors; numbers become constants. */
  private tensorOp(op: "add" | "sub" | "mul" | "div", l: Val, r: Val, span: Span, f: Frame): Val {
    return this.guard(span, () => {
      const source = { file: span.file, line: span.line, col: span.col };
      const asTensor = (v: Val): string =>
        v.kind === "tensor"
          ? v.id
          : this.b.constant(
              { name: this.layerName(f, "const", undefined, span, false)!, group: null, source },
              (v as { value: number }).value,
            );
      const name = this.layerName(f, op, undefined, span, false)!;
      return { kind: "tensor", id: this.b.binary({ name, group: f.group, source }, op, asTensor(l), asTensor(r)) };
    });
  }

  /** Turns builder shape errors into diagnostics at `span`. */
  private guard(span: Span, fn: () => Val, argSpans?: ReadonlyMap<string, Span>): Val {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ShapeError) return this.report(err.code as Code, span, err.message, err.hint);
      if (err instanceof ArgError) return this.report("MTL4015", argSpans?.get(err.arg) ?? span, err.message, err.hint);
      if (err instanceof LimitExceeded) locate(err, span);
      throw err;
    }
  }

  // ---- calls -------------------------------------------------------------------------------

  /** `fixed` and `as` wrap a call; they pass down to it as modifiers. */
  withMods(e: A.Expr, f: Frame, mods: CallMods, outer: Span): Val {
    if (e.kind === "call") return this.call(e, f, mods);
    if (e.kind === "labeled") return this.labeled(e, f, mods);
    if (e.kind === "unary" && e.op === "fixed") return this.withMods(e.operand, f, { ...mods, fixed: true }, outer);
    if (mods.pipeIn && (e.kind === "name" || e.kind === "member")) {
      return this.callValue(this.eval(e, f), [], e.span, f, mods, e.span);
    }
    if (mods.pipeIn)
      return this.report(
        "MTL4012",
        e.span,
        "the right side of `|>` must be a layer or block, such as `relu` or `conv(64, k: 3)`",
      );
    if (mods.label !== undefined)
      return this.report("MTL4014", outer, "`as` names a layer or block call, such as `conv(x, 64, k: 3) as conv1`");
    return this.report(
      "MTL4013",
      outer,
      "`fixed` applies to a layer or block call, such as `fixed conv(x, classes, k: 1)`",
    );
  }

  applyStage(stage: A.Expr, input: { value: Val; span: Span }, f: Frame, mods: CallMods): Val {
    return this.withMods(stage, f, { ...mods, pipeIn: input }, stage.span);
  }

  private labeled(e: A.LabeledExpr, f: Frame, mods: CallMods): Val {
    const parts: string[] = [];
    for (const p of e.label) {
      if (p.kind === "name") parts.push(p.name);
      else if (p.kind === "index") parts.push(String(p.value));
      else {
        const v = this.eval(p.expr, f);
        if (v.kind === "error") return ERROR;
        if (v.kind !== "int" && v.kind !== "string")
          return this.report("MTL4001", p.span, `a computed label must be an int or string, not ${typeName(v)}`);
        parts.push(String(v.value));
      }
    }
    return this.withMods(e.expr, f, { ...mods, label: parts.join(".") }, e.span);
  }

  call(e: A.CallExpr, f: Frame, mods: CallMods): Val {
    const callee = this.eval(e.callee, f);
    const args: ArgValue[] = e.args.map((a) => ({
      name: a.name?.name ?? null,
      value: this.eval(a.value, f),
      span: a.span,
    }));
    return this.callValue(callee, args, e.callee.span, f, mods, e.span);
  }

  callValue(callee: Val, args: ArgValue[], calleeSpan: Span, f: Frame, mods: CallMods, span: Span): Val {
    if (callee.kind === "error") return ERROR;
    const all: ArgValue[] = mods.pipeIn
      ? [{ name: null, value: mods.pipeIn.value, span: mods.pipeIn.span }, ...args]
      : args;
    if (all.some((a) => poisoned(a.value))) return ERROR;
    if (callee.kind === "fn") {
      if (mods.label !== undefined || mods.fixed)
        return this.report(
          "MTL4014",
          span,
          `\`${callee.def.name}\` is a function, not a layer: it takes no \`as\` or \`fixed\``,
        );
      const [lo, hi] = callee.def.arity;
      if (all.length < lo || all.length > hi || all.some((a) => a.name !== null))
        return this.report(
          "MTL2010",
          span,
          `\`${callee.def.name}\` takes ${lo === hi ? lo : `${lo} to ${hi}`} positional argument${hi === 1 ? "" : "s"}`,
        );
      const r = callee.def.apply(all.map((a) => a.value));
      if (typeof r === "string" && r.startsWith(DIVISIBILITY)) {
        // A standard-library block's requirement on its input: point at the user's call of it.
        const at = this.libraryCall ?? span;
        const hint = "resize the input: the block's stride requires it (docs/stdlib.md, Input sizes)";
        this.diags.push(
          diag(
            "MTL4020",
            at,
            r.slice(DIVISIBILITY.length),
            hint,
            at === span ? undefined : [{ message: "required here", span }],
          ),
        );
        return ERROR;
      }
      return typeof r === "string" ? this.report("MTL4001", span, `\`${callee.def.name}\` ${r}`) : r;
    }
    if (callee.kind === "layer") return this.callLayer(callee.def, all, f, mods, span);
    if (callee.kind === "block") return this.callBlock(callee.decl, callee.file, all, f, mods, span);
    if (mods.pipeIn)
      return this.report(
        "MTL4012",
        calleeSpan,
        "the right side of `|>` must be a layer or block, such as `relu` or `conv(64, k: 3)`",
      );
    return this.report(
      "MTL4009",
      calleeSpan,
      `${typeName(callee)} ${callee.kind === "tensor" ? "" : show(callee) + " "}is not a layer or block and cannot be called`,
    );
  }

  private callLayer(def: import("./layers").LayerDef, args: ArgValue[], f: Frame, mods: CallMods, span: Span): Val {
    const sig: Sig[] = def.params.map((p) => ({ name: p.name, type: p.type, hasDefault: p.default !== undefined }));
    const bound = bindArgs(`\`${def.name}\``, sig, args, span, this.diags);
    if (!bound) return ERROR;
    for (const p of def.params) if (!bound.values.has(p.name)) bound.values.set(p.name, p.default!);
    const name = this.layerName(f, def.name, mods.label, span, def.hasParams);
    if (name === undefined) return ERROR;
    const ctx = {
      name,
      group: mods.fixed ? null : f.group,
      source: { file: span.file, line: span.line, col: span.col },
    };
    const values = Object.fromEntries(bound.values);
    return this.guard(span, () => ({ kind: "tensor", id: def.apply({ b: this.b, ctx, args: values }) }), bound.spans);
  }

  blockSig(decl: A.BlockDecl): Sig[] {
    return decl.params.map((p) => ({ name: p.name.name, type: paramType(p), hasDefault: p.default !== null }));
  }

  private callBlock(decl: A.BlockDecl, file: string, args: ArgValue[], f: Frame, mods: CallMods, span: Span): Val {
    const maxDepth = this.limits.limits.callDepth;
    if (f.depth >= maxDepth)
      return this.report(
        "MTL4007",
        span,
        `blocks nest deeper than ${maxDepth} calls: \`${decl.name.name}\` probably calls itself without end`,
      );
    const bound = bindArgs(`block \`${decl.name.name}\``, this.blockSig(decl), args, span, this.diags);
    if (!bound) return ERROR;
    // A labelled call is a namespace (`as layer1` -> layer1.conv1); an unlabelled one adds nothing.
    const prefix = mods.label !== undefined ? `${f.prefix}${mods.label}.` : f.prefix;
    const frame: Frame = { file, vars: new Map(), prefix, group: mods.fixed ? null : f.group, depth: f.depth + 1 };
    for (const p of decl.params) {
      let v = bound.values.get(p.name.name);
      if (v === undefined && p.default) {
        const d = this.eval(p.default, frame);
        v =
          coerce(d, paramType(p)) ??
          this.report(
            "MTL4001",
            p.default.span,
            `the default of \`${p.name.name}\` is ${typeName(d)}, not ${paramType(p)}`,
          );
      }
      frame.vars.set(p.name.name, v ?? ERROR);
    }
    const entersLibrary = this.libraryCall === undefined && file.startsWith("std/") && !f.file.startsWith("std/");
    if (entersLibrary) this.libraryCall = span;
    let r: Val | undefined;
    try {
      r = this.exec(decl.body, frame);
    } finally {
      if (entersLibrary) this.libraryCall = undefined;
    }
    if (r === undefined)
      return this.report(
        "MTL4006",
        decl.name.span,
        `block \`${decl.name.name}\` ends without \`return\``,
        "end it with `return y`",
      );
    if (decl.returns) {
      const declared = paramType({ name: decl.name, type: decl.returns, default: null, span: decl.returns.span });
      if (!coerce(r, declared))
        return this.report(
          "MTL4001",
          decl.returns.span,
          `block \`${decl.name.name}\` is declared to return ${declared} but returned ${typeName(r)}`,
          "fix the `->` type or the `return`",
        );
    }
    return r;
  }
}

const poisoned = (v: Val): boolean => v.kind === "error" || (v.kind === "list" && v.items.some(poisoned));

/** A parameter's declared type; untyped parameters take their default's type, else anything. */
export function paramType(p: A.ParamDecl): ParamType {
  if (p.type) {
    const base = p.type.name.name;
    if (!isTypeName(base)) return "any";
    if (p.type.listDepth === 0) return base as ParamType;
    if (p.type.listDepth === 1 && (base === "int" || base === "float" || base === "tensor"))
      return `${base}[]` as ParamType;
    return "any";
  }
  if (p.default?.kind === "number") return p.default.isInteger ? "int" : "float";
  if (p.default?.kind === "bool") return "bool";
  if (p.default?.kind === "string") return "string";
  return "any";
}

export { isTypeName } from "../names";
