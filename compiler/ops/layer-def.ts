// Layers of the language: their signatures (for checking calls, completion and hover docs) and how
// each adds nodes through the IR builder. Each op's file under compiler/ops/ holds its layers.
import type { GraphBuilder, LayerCtx } from "../ir/builder";
import type { ParamType, Val } from "../elaborate/values";

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly default?: Val; // absent: required
  readonly doc?: string;
}

/** Thrown by `apply` for an argument value out of range; the evaluator reports it at the argument. */
export class ArgError extends Error {
  constructor(
    readonly arg: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface LayerCall {
  readonly b: GraphBuilder;
  readonly ctx: LayerCtx;
  readonly args: Readonly<Record<string, Val>>;
}

export interface LayerDef {
  readonly name: string;
  readonly doc: string;
  readonly params: readonly ParamSpec[];
  /** Whether the layer has parameters of its own (and so a name in the module path). */
  readonly hasParams: boolean;
  apply(call: LayerCall): string;
}

type Args = Readonly<Record<string, Val>>;

export const tensorArg = (a: Args, name: string): string => (a[name] as { id: string }).id;
export const numArg = (a: Args, name: string): number => (a[name] as { value: number }).value;
export const flagArg = (a: Args, name: string): boolean => (a[name] as { value: boolean }).value;
export const textArg = (a: Args, name: string): string => (a[name] as { value: string }).value;
export const itemsOf = (v: Val): readonly Val[] => (v.kind === "list" ? v.items : []);
export const intsArg = (a: Args, name: string): number[] => itemsOf(a[name]).map((x) => (x as { value: number }).value);

/** An int or a list of two ints: `k: 3` or `k: [1, 7]`. */
export function pairArg(a: Args, name: string): [number, number] {
  const v = a[name];
  if (v.kind === "int") return [v.value, v.value];
  const xs = intsArg(a, name);
  if (xs.length !== 2) throw new ArgError(name, `\`${name}\` takes one number or a list of two, got ${xs.length}`);
  return [xs[0], xs[1]];
}

export function expectAtLeast(a: Args, name: string, min = 1): void {
  const v = a[name];
  const xs = v.kind === "list" ? intsArg(a, name) : [(v as { value: number }).value];
  for (const x of xs) if (x < min) throw new ArgError(name, `\`${name}\` must be at least ${min}, got ${x}`);
}

/** The usual first parameter: the input tensor. */
export const X: ParamSpec = { name: "x", type: "tensor" };
