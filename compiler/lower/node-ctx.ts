// What an op lowering sees of its IR node: named inputs/outputs, types, cut parameters, attrs.
import type { AttrValue, Node, ValueType } from "../ir/types";
import type { Emitter, Lowerer } from "./scope";
import { cutParam } from "./slicing";

export class NodeCtx {
  constructor(
    readonly emit: Emitter,
    readonly node: Node,
  ) {}
  get lowerer(): Lowerer {
    return this.emit.lower;
  }
  /** @deprecated Use `emit`; kept so lowerings written before the rename still compile. */
  get e(): Emitter {
    return this.emit;
  }
  /** @deprecated Use `lowerer`. */
  get lw(): Lowerer {
    return this.lowerer;
  }
  in = (i: number): string => this.lowerer.valueName(this.node.inputs[i]);
  out = (i = 0): string => this.lowerer.valueName(this.node.outputs[i]);
  inType = (i: number): ValueType => this.type(this.node.inputs[i]);
  outType = (i = 0): ValueType => this.type(this.node.outputs[i]);
  private type(id: string): ValueType {
    const v = this.lowerer.graph.values.get(id);
    if (!v) throw new Error(`internal: node ${this.node.id} uses unknown value ${id}`);
    return v.type;
  }

  hasParam = (role: string): boolean => this.node.params[role] !== undefined;
  /** The parameter in `role`, cut to the current configuration. */
  param(role: string): string {
    const name = this.node.params[role];
    if (name === undefined)
      throw new Error(`internal: ${this.node.op} node ${this.node.id} has no "${role}" parameter`);
    return cutParam(this.emit, name);
  }

  attr(name: string): AttrValue {
    const v = this.node.attrs[name];
    if (v === undefined) throw new Error(`internal: ${this.node.op} node ${this.node.id} lacks attribute ${name}`);
    return v;
  }
  num = (name: string, fallback?: number): number => {
    const v = this.node.attrs[name] ?? fallback;
    if (typeof v !== "number") throw new Error(`internal: attribute ${name} of ${this.node.id} is not a number`);
    return v;
  };
  nums = (name: string, fallback?: readonly number[]): number[] => {
    const v = this.node.attrs[name] ?? fallback;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number"))
      throw new Error(`internal: attribute ${name} of ${this.node.id} is not a number list`);
    return v as number[];
  };
  flag = (name: string): boolean => this.node.attrs[name] === true;
  /** A negative axis counted from the end, as in PyTorch. */
  axis = (name: string, rank: number, fallback?: number): number => {
    const a = this.num(name, fallback);
    return a < 0 ? a + rank : a;
  };
}
