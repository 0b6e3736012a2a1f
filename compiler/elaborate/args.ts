// Binds call arguments to a signature: positional then named, defaults, type checks.

import type { Diagnostic, Span } from "../diagnostics";
import { diag, didYouMean } from "../messages";
import { type ParamType, type Val, ERROR, coerce, show, typeName } from "./values";

export interface Sig {
  readonly name: string;
  readonly type: ParamType;
  readonly hasDefault: boolean;
}

export interface ArgValue {
  readonly name: string | null;
  readonly value: Val;
  readonly span: Span;
}

/**
 * Binds evaluated arguments to parameters. Defaults are left out of the result for the caller to
 * fill (block defaults are expressions evaluated in the callee's scope). Returns undefined when a
 * diagnostic was reported.
 */
export function bindArgs(
  what: string, // "layer `conv`" / "block `basic`"
  params: readonly Sig[],
  args: readonly ArgValue[],
  callSpan: Span,
  diags: Diagnostic[],
): { values: Map<string, Val>; spans: Map<string, Span> } | undefined {
  const values = new Map<string, Val>();
  const spans = new Map<string, Span>();
  let ok = true;
  let misplaced = false; // unknown or out-of-place arguments: "missing" errors would only repeat them
  let positional = 0;
  let seenNamed = false;
  for (const a of args) {
    let p: Sig | undefined;
    if (a.name === null) {
      if (seenNamed) {
        diags.push(
          diag(
            "MTL2010",
            a.span,
            `a positional argument after named ones in the call of ${what}`,
            "put positional arguments first",
          ),
        );
        ok = false;
        misplaced = true;
        continue;
      }
      p = params[positional++];
      if (!p) {
        diags.push(
          diag(
            "MTL2010",
            a.span,
            `${what} takes ${params.length} argument${params.length === 1 ? "" : "s"}, but more were given`,
            params.length ? `its parameters are ${params.map((x) => x.name).join(", ")}` : undefined,
          ),
        );
        ok = false;
        continue;
      }
    } else {
      seenNamed = true;
      p = params.find((x) => x.name === a.name);
      if (!p) {
        const unset = params.filter((x) => !x.hasDefault && !args.some((b) => b.name === x.name)).map((x) => x.name);
        diags.push(
          diag(
            "MTL2008",
            a.span,
            `${what} has no parameter \`${a.name}\``,
            didYouMean(a.name, unset.length ? unset : params.map((x) => x.name)) ??
              (params.length ? `its parameters are ${params.map((x) => x.name).join(", ")}` : undefined),
          ),
        );
        ok = false;
        misplaced = true;
        continue;
      }
    }
    if (values.has(p.name)) {
      diags.push(diag("MTL2011", a.span, `\`${p.name}\` is given twice in the call of ${what}`));
      ok = false;
      continue;
    }
    const v = coerce(a.value, p.type);
    if (!v) {
      diags.push(
        diag(
          "MTL4001",
          a.span,
          (
            `\`${p.name}\` of ${what} takes ${p.type}, but got ` +
            `${typeName(a.value)} ${a.value.kind === "tensor" ? "" : show(a.value)}`
          ).trimEnd(),
          p.type === "int" && a.value.kind === "float"
            ? "channel counts and sizes must be whole numbers: use round(x) or make_divisible(x, 8)"
            : undefined,
        ),
      );
      values.set(p.name, ERROR);
      ok = false;
      continue;
    }
    values.set(p.name, v);
    spans.set(p.name, a.span);
  }
  for (const p of params) {
    if (!values.has(p.name) && !p.hasDefault && !misplaced) {
      diags.push(diag("MTL2009", callSpan, `${what} needs \`${p.name}\``, `add \`${p.name}: ...\` to the call`));
      ok = false;
    }
  }
  return ok ? { values, spans } : undefined;
}
