// Values of the .mtl evaluator. Elaboration runs the program the way a hardware description is
// elaborated: blocks are called with concrete arguments, loops unroll, and every layer call adds
// nodes to the IR graph. `error` values poison silently so one mistake yields one diagnostic.
import type { BlockDecl } from "../ast";
import type { FunctionDef } from "./functions";
import type { LayerDef } from "./layers";

export type Val =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "dim"; readonly name: string } // a symbolic dimension such as N
  | { readonly kind: "list"; readonly items: readonly Val[] }
  | { readonly kind: "tensor"; readonly id: string }
  | { readonly kind: "layer"; readonly def: LayerDef }
  | { readonly kind: "block"; readonly decl: BlockDecl; readonly file: string }
  | { readonly kind: "fn"; readonly def: FunctionDef }
  | { readonly kind: "error" };

export const ERROR: Val = { kind: "error" };
export const int = (v: number): Val => ({ kind: "int", value: v });
export const float = (v: number): Val => ({ kind: "float", value: v });
export const bool = (v: boolean): Val => ({ kind: "bool", value: v });
export const str = (v: string): Val => ({ kind: "string", value: v });
export const list = (items: readonly Val[]): Val => ({ kind: "list", items });

/** How a value's type reads in messages. */
export function typeName(v: Val): string {
  switch (v.kind) {
    case "list":
      return v.items.length ? `${typeName(v.items[0])}[]` : "list";
    case "layer":
      return "layer";
    case "fn":
      return "function";
    case "block":
      return "block";
    case "dim":
      return "symbolic dimension";
    default:
      return v.kind;
  }
}

export function show(v: Val): string {
  switch (v.kind) {
    case "int":
    case "float":
      return String(v.value);
    case "bool":
      return String(v.value);
    case "string":
      return JSON.stringify(v.value);
    case "dim":
      return v.name;
    case "list":
      return `[${v.items.map(show).join(", ")}]`;
    case "tensor":
      return "tensor";
    case "layer":
      return `layer ${v.def.name}`;
    case "block":
      return `block ${v.decl.name.name}`;
    case "fn":
      return `function ${v.def.name}`;
    case "error":
      return "<error>";
  }
}

/** Declared parameter types. `any` accepts everything (an untyped parameter with no default). */
export type ParamType =
  "int" | "float" | "bool" | "string" | "tensor" | "int[]" | "float[]" | "tensor[]" | "int|int[]" | "any";

/** Checks a value against a type, coercing int -> float and integral float -> int. Returns undefined on mismatch. */
export function coerce(v: Val, t: ParamType): Val | undefined {
  if (v.kind === "error" || t === "any") return v;
  switch (t) {
    case "int":
      if (v.kind === "int") return v;
      if (v.kind === "float" && Number.isInteger(v.value)) return int(v.value);
      return undefined;
    case "float":
      return v.kind === "int" || v.kind === "float" ? float(v.value) : undefined;
    case "bool":
    case "string":
    case "tensor":
      return v.kind === t ? v : undefined;
    case "int|int[]":
      return coerce(v, "int") ?? coerce(v, "int[]");
    default: {
      if (v.kind !== "list") return undefined;
      const inner = t.slice(0, -2) as ParamType;
      const items = v.items.map((x) => coerce(x, inner));
      return items.every((x) => x !== undefined) ? list(items as Val[]) : undefined;
    }
  }
}
