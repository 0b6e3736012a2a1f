// Pure helper functions available in every scope (compile-time arithmetic on channel counts etc.).
import { type Val, float, int } from "./elaborate/values";
import { makeDivisible } from "./ir/width";

/** Prefix of the error `divisible` returns, which the evaluator reports as MTL4020 at the user's call. */
export const DIVISIBILITY = "divisibility: ";

export interface FunctionDef {
  readonly name: string;
  readonly doc: string;
  readonly arity: [number, number];
  apply(args: readonly Val[]): Val | string; // a string is an error message
}

const nums = (args: readonly Val[]): number[] | undefined =>
  args.every((a) => a.kind === "int" || a.kind === "float")
    ? args.map((a) => (a as { value: number }).value)
    : undefined;
const numeric = (args: readonly Val[], f: (xs: number[]) => number, asInt: boolean): Val | string => {
  const xs = nums(args);
  if (!xs) return "expects numbers";
  const r = f(xs);
  return asInt || (Number.isInteger(r) && args.every((a) => a.kind === "int")) ? int(r) : float(r);
};

export const functions: ReadonlyMap<string, FunctionDef> = new Map(
  (
    [
      {
        name: "min",
        doc: "The smallest of its arguments.",
        arity: [1, 16],
        apply: (a) => numeric(a, (xs) => Math.min(...xs), false),
      },
      {
        name: "max",
        doc: "The largest of its arguments.",
        arity: [1, 16],
        apply: (a) => numeric(a, (xs) => Math.max(...xs), false),
      },
      {
        name: "floor",
        doc: "Rounds down to an int.",
        arity: [1, 1],
        apply: (a) => numeric(a, (xs) => Math.floor(xs[0]), true),
      },
      {
        name: "ceil",
        doc: "Rounds up to an int.",
        arity: [1, 1],
        apply: (a) => numeric(a, (xs) => Math.ceil(xs[0]), true),
      },
      {
        name: "round",
        doc: "Rounds to the nearest int.",
        arity: [1, 1],
        apply: (a) => numeric(a, (xs) => Math.round(xs[0]), true),
      },
      {
        name: "make_divisible",
        doc: "Rounds `v` to a multiple of `d`, never more than 10% down (MobileNet's rule).",
        arity: [2, 2],
        apply: (a) => numeric(a, ([v, d]) => makeDivisible(v, d), true),
      },
      {
        // Returns `value`; fails (MTL4020) when it is not a multiple of `by`. Symbolic sizes pass.
        name: "divisible",
        doc: "Requires an int (e.g. an input's height) to be a multiple of `by`; `what` names it in the error.",
        arity: [3, 3],
        apply: ([v, by, what]) => {
          if (v.kind === "dim") return v;
          if (v.kind !== "int" || by.kind !== "int" || by.value < 1 || what.kind !== "string")
            return "expects an int, a positive int and a description";
          return v.value % by.value === 0
            ? v
            : `${DIVISIBILITY}${what.value} is ${v.value}, which is not a multiple of ${by.value}`;
        },
      },
      {
        name: "len",
        doc: "The length of a list.",
        arity: [1, 1],
        apply: ([x]) => (x.kind === "list" ? int(x.items.length) : "expects a list"),
      },
    ] as FunctionDef[]
  ).map((f) => [f.name, f]),
);
