// Values of the .mtl evaluator. Elaboration runs the program the way a hardware description is
// elaborated: blocks are called with concrete arguments, loops unroll, and every layer call adds
// nodes to the IR graph. `error` values poison silently so one mistake yields one diagnostic.
import type { BlockDecl } from "../ast";
import type { FunctionDef } from "./functions";
import type { LayerDef } from "./layers";

export type Val =
  | { readonly k: "int"; readonly v: number }
  | { readonly k: "float"; readonly v: number }
  | { readonly k: "bool"; readonly v: boolean }
  | { readonly k: "string"; readonly v: string }
  | { readonly k: "dim"; readonly name: string } // a symbolic dimension such as N
  | { readonly k: "list"; readonly items: readonly Val[] }
  | { readonly k: "tensor"; readonly id: string }
  | { readonly k: "layer"; readonly def: LayerDef }
  | { readonly k: "block"; readonly decl: BlockDecl; readonly file: string }
  | { readonly k: "fn"; readonly def: FunctionDef }
  | { readonly k: "error" };

export const ERROR: Val = { k: "error" };
export const int = (v: number): Val => ({ k: "int", v });
export const float = (v: number): Val => ({ k: "float", v });
export const bool = (v: boolean): Val => ({ k: "bool", v });
export const str = (v: string): Val => ({ k: "string", v });
export const list = (items: readonly Val[]): Val => ({ k: "list", items });

/** How a value's type reads in messages. */
export function typeName(v: Val): string {
  switch (v.k) {
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
      return v.k;
  }
}

export function show(v: Val): string {
  switch (v.k) {
    case "int":
    case "float":
      return String(v.v);
    case "bool":
      return String(v.v);
    case "string":
      return JSON.stringify(v.v);
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
  if (v.k === "error" || t === "any") return v;
  switch (t) {
    case "int":
      if (v.k === "int") return v;
      if (v.k === "float" && Number.isInteger(v.v)) return int(v.v);
      return undefined;
    case "float":
      return v.k === "int" || v.k === "float" ? float(v.v) : undefined;
    case "bool":
    case "string":
    case "tensor":
      return v.k === t ? v : undefined;
    case "int|int[]":
      return coerce(v, "int") ?? coerce(v, "int[]");
    default: {
      if (v.k !== "list") return undefined;
      const inner = t.slice(0, -2) as ParamType;
      const items = v.items.map((x) => coerce(x, inner));
      return items.every((x) => x !== undefined) ? list(items as Val[]) : undefined;
    }
  }
}
