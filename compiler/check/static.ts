// Checks that need no elaboration, run on every block (used or not) so that library files such
// as the stdlib get name and signature errors even when no model calls them.
import type * as A from "../ast";
import type { Diagnostic } from "../diagnostics";
import { isTypeName, TYPE_NAMES } from "../names";
import { functions } from "../functions";
import { layers } from "../ops/layers";
import { diag, didYouMean } from "../messages";

/** Every name a statement list may define (Python-like: a block has one scope). */
function definedNames(stmts: readonly A.Stmt[], into: Set<string>): Set<string> {
  for (const s of stmts) {
    if (s.kind === "assign") for (const t of s.targets) into.add(t.name);
    else if (s.kind === "for") {
      into.add(s.variable.name);
      definedNames(s.body, into);
    } else if (s.kind === "repeat" || s.kind === "group") definedNames(s.body, into);
    else if (s.kind === "if") {
      definedNames(s.then, into);
      if (s.else) definedNames(s.else, into);
    }
  }
  return into;
}

/** Visits every sub-expression with a loop, not recursion: a sum of thousands of terms is that deep. */
function walk(root: A.Expr, visit: (e: A.Expr) => void): void {
  const stack: A.Expr[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    visit(e);
    const children: A.Expr[] = [];
    forEachChild(e, (x) => children.push(x));
    if (e.kind === "labeled") for (const p of e.label) if (p.kind === "computed") children.push(p.expr);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

function namesIn(e: A.Expr, visit: (n: A.NameExpr) => void): void {
  walk(e, (x) => {
    if (x.kind === "name") visit(x);
  });
}

function exprsIn(stmts: readonly A.Stmt[], visit: (e: A.Expr) => void): void {
  for (const s of stmts) {
    switch (s.kind) {
      case "assign":
      case "return":
        visit(s.value);
        break;
      case "for":
        visit(s.iterable);
        exprsIn(s.body, visit);
        break;
      case "repeat":
        visit(s.count);
        exprsIn(s.body, visit);
        break;
      case "if":
        visit(s.condition);
        exprsIn(s.then, visit);
        if (s.else) exprsIn(s.else, visit);
        break;
      case "group":
        exprsIn(s.body, visit);
        break;
    }
  }
}

const returns = (stmts: readonly A.Stmt[]): boolean =>
  stmts.some(
    (s) =>
      s.kind === "return" ||
      (s.kind === "if" && s.else !== null && returns(s.then) && returns(s.else)) ||
      (s.kind === "group" && returns(s.body)),
  );

/** Named arguments of calls to built-in layers, checked without running the block. */
function checkLayerCalls(e: A.Expr, shadowed: (n: string) => boolean, diags: Diagnostic[]): void {
  walk(e, (x) => {
    if (x.kind === "call" && x.callee.kind === "name" && !shadowed(x.callee.name)) {
      const def = layers.get(x.callee.name);
      if (def) {
        const names = def.params.map((p) => p.name);
        for (const a of x.args)
          if (a.name && !names.includes(a.name.name))
            diags.push(
              diag(
                "MTL2008",
                a.span,
                `\`${def.name}\` has no parameter \`${a.name.name}\``,
                didYouMean(a.name.name, names) ?? `its parameters are ${names.join(", ")}`,
              ),
            );
      }
    }
  });
}

function forEachChild(e: A.Expr, f: (x: A.Expr) => void): void {
  switch (e.kind) {
    case "list":
      e.items.forEach(f);
      return;
    case "unary":
      f(e.operand);
      return;
    case "binary":
      f(e.left);
      f(e.right);
      return;
    case "ternary":
      f(e.condition);
      f(e.then);
      f(e.else);
      return;
    case "pipe":
      e.stages.forEach(f);
      return;
    case "call":
      f(e.callee);
      e.args.forEach((a) => f(a.value));
      return;
    case "index":
      f(e.target);
      f(e.index);
      return;
    case "member":
      f(e.target);
      return;
    case "labeled":
      f(e.expr);
      return;
    default:
      return;
  }
}

const MAX_SUGGESTIONS = 100;

/**
 * `unsuggestable`: module names bound to an error (an import that failed, usually a misspelling):
 * visible, so using them is not reported twice, but never offered as "did you mean".
 */
export function checkBlock(
  block: A.BlockDecl,
  moduleNames: ReadonlySet<string>,
  diags: Diagnostic[],
  unsuggestable: ReadonlySet<string> = new Set(),
): void {
  const params = new Map<string, A.ParamDecl>();
  for (const p of block.params) {
    const prior = params.get(p.name.name);
    if (prior)
      diags.push(
        diag(
          "MTL2006",
          p.name.span,
          `block \`${block.name.name}\` has two parameters named \`${p.name.name}\``,
          "rename one",
          [{ message: "first declared here", span: prior.name.span }],
        ),
      );
    params.set(p.name.name, p);
    if (p.type && !isTypeName(p.type.name.name))
      diags.push(
        diag(
          "MTL2012",
          p.type.name.span,
          `unknown type \`${p.type.name.name}\``,
          didYouMean(p.type.name.name, TYPE_NAMES) ?? `types are ${TYPE_NAMES.join(", ")}, and lists such as int[]`,
        ),
      );
  }
  if (block.returns && !isTypeName(block.returns.name.name))
    diags.push(
      diag(
        "MTL2012",
        block.returns.name.span,
        `unknown type \`${block.returns.name.name}\``,
        `types are ${TYPE_NAMES.join(", ")}`,
      ),
    );
  if (!returns(block.body))
    diags.push(
      diag(
        "MTL4006",
        block.name.span,
        `block \`${block.name.name}\` does not end with \`return\``,
        "end it with `return y`",
      ),
    );

  const known = definedNames(block.body, new Set(params.keys()));
  const visible = (n: string) => known.has(n) || moduleNames.has(n) || layers.has(n) || functions.has(n);
  // Suggestions cost a pass over every name in scope: offer them for the first undefined names only,
  // so a block with 100k undefined names is not quadratic.
  let suggestions = 0;
  const check = (e: A.Expr) =>
    namesIn(e, (n) => {
      if (n.name && !visible(n.name)) {
        const offered = () => [
          ...known,
          ...[...moduleNames].filter((m) => !unsuggestable.has(m)),
          ...layers.keys(),
          ...functions.keys(),
        ];
        const hint = suggestions++ < MAX_SUGGESTIONS ? didYouMean(n.name, offered()) : undefined;
        diags.push(diag("MTL2003", n.span, `\`${n.name}\` is not defined`, hint));
      }
    });
  for (const p of block.params) if (p.default) check(p.default);
  exprsIn(block.body, check);
  const shadowed = (n: string) => known.has(n) || moduleNames.has(n);
  exprsIn(block.body, (e) => checkLayerCalls(e, shadowed, diags));
}

/** Every name a file's blocks and models refer to, for the unused-import warning. */
export function referencedNames(p: A.Program): Set<string> {
  const used = new Set<string>();
  const add = (e: A.Expr) => namesIn(e, (n) => used.add(n.name));
  for (const b of p.blocks) {
    for (const prm of b.params) if (prm.default) add(prm.default);
    exprsIn(b.body, add);
  }
  for (const m of p.models) {
    for (const item of m.items) {
      if (item.kind === "encoder" || item.kind === "assign" || item.kind === "budget") add(item.value);
      else if (item.kind === "task") for (const h of item.heads) add(h.value);
    }
  }
  return used;
}
