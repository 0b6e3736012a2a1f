// Emission state for lowering: one Lowerer per model (names, initializers, constants), Scopes for
// the main graph and each If branch, and an Emitter that writes nodes labelled after an IR node.
import type { Graph, Param, WeightMap } from "../ir/types";
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from "../onnx/model";
import { rowsOf } from "../weights/init";

/** Hands out unique names so that emitted graphs stay in SSA form and diff cleanly. */
export class Names {
  private readonly used = new Set<string>();
  has = (name: string): boolean => this.used.has(name);
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, kind: "int", value }),
  ints: (name: string, value: readonly number[]): OnnxAttribute => ({ name, kind: "ints", value }),
  float: (name: string, value: number): OnnxAttribute => ({ name, kind: "float", value }),
  string: (name: string, value: string): OnnxAttribute => ({ name, kind: "string", value }),
  tensor: (name: string, value: OnnxTensor): OnnxAttribute => ({ name, kind: "tensor", value }),
  graph: (name: string, value: OnnxGraph): OnnxAttribute => ({ name, kind: "graph", value }),
};

/** A node list: the main graph or an If branch. Values of enclosing scopes are visible inside. */
export class Scope {
  readonly nodes: OnnxNode[] = [];
  private readonly cache = new Map<string, string>();
  constructor(
    readonly lower: Lowerer,
    readonly parent: Scope | null,
  ) {}
  lookup(key: string): string | undefined {
    return this.cache.get(key) ?? this.parent?.lookup(key);
  }
  remember(key: string, value: string): string {
    this.cache.set(key, value);
    return value;
  }
  child = (): Scope => new Scope(this.lower, this);
}

/** Writes nodes into a scope, named `${label}/${op}` and documented with the IR node's source. */
export class Emitter {
  constructor(
    readonly scope: Scope,
    readonly label: string,
    readonly doc: string,
  ) {}
  get lower(): Lowerer {
    return this.scope.lower;
  }
  in = (scope: Scope): Emitter => new Emitter(scope, this.label, this.doc);

  /** Emits one node; outputs default to fresh names. Returns the output names. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: readonly OnnxAttribute[] = [],
    outputs: readonly string[] | number = 1,
    domain = "",
  ): string[] {
    const outs =
      typeof outputs === "number"
        ? Array.from({ length: outputs }, () => this.lower.values.fresh(`${this.label}/${opType}`))
        : outputs;
    this.scope.nodes.push({
      opType,
      inputs,
      outputs: outs,
      name: this.lower.nodeNames.fresh(outs[0]),
      domain,
      docString: this.doc,
      attributes,
    });
    return [...outs];
  }
  op1 = (
    opType: string,
    inputs: readonly string[],
    attributes: readonly OnnxAttribute[] = [],
    output?: string,
  ): string => this.op(opType, inputs, attributes, output === undefined ? 1 : [output])[0];
}

/** The past (input) and present (output) keys and values of one cached attention layer. */
export interface KvCacheNames {
  readonly pastKey: string;
  readonly pastValue: string;
  readonly presentKey: string;
  readonly presentValue: string;
}

/** Model-wide state: names, initializers (all at top level, visible in every branch), constants. */
export class Lowerer {
  readonly values = new Names();
  readonly nodeNames = new Names();
  readonly initializers: OnnxTensor[] = [];
  readonly top: Scope = new Scope(this, null);
  private readonly constants = new Map<string, string>();
  /** Step form only (compiler/lower/step.ts): per causal attention node, its cache's ONNX names. */
  kvCache?: ReadonlyMap<string, KvCacheNames>;
  /** Step form only: per cross_attention node, the ONNX names of its memory's keys and values. */
  crossCache?: ReadonlyMap<string, { readonly key: string; readonly value: string }>;
  private readonly valueNames = new Map<string, string>();

  constructor(
    readonly graph: Graph,
    readonly weights: WeightMap,
  ) {}

  /** Fixes the ONNX name of an IR value (done once, up front, for every value). */
  nameValue(id: string, name: string): void {
    this.valueNames.set(id, name);
  }
  valueName(id: string): string {
    const name = this.valueNames.get(id);
    if (name === undefined) throw new Error(`internal: IR value ${id} has no ONNX name`);
    return name;
  }

  param(name: string): Param {
    const p = this.graph.params.get(name);
    if (!p) throw new Error(`internal: unknown parameter ${name}`);
    return p;
  }

  /** The initializer holding a parameter as stored: [K, ...shape] when switchable. */
  paramInitializer(p: Param): string {
    const key = `init:${p.name}`;
    const known = this.constants.get(key);
    if (known) return known;
    const rows = rowsOf(this.graph, p);
    const dims = p.perWidth !== null ? [rows, ...p.shape] : [...p.shape];
    const data = this.weights.get(p.name);
    const size = dims.reduce((a, b) => a * b, 1);
    if (!data) throw new Error(`internal: no weights for parameter ${p.name}`);
    if (data.length !== size)
      throw new Error(`internal: weights for ${p.name} hold ${data.length} values, expected ${size} for [${dims}]`);
    if (this.sharedRows(p)) {
      this.initializers.push({ name: p.name, dtype: "float", dims: [...p.shape], data: data.slice(0, size / rows) });
    } else this.initializers.push({ name: p.name, dtype: "float", dims, data });
    this.constants.set(key, p.name);
    return p.name;
  }

  /**
   * Whether a switchable parameter has the same row at every width (seeded, or loaded from a
   * checkpoint without per-width statistics): then one row is stored and no Gather is needed.
   */
  sharedRows(p: Param): boolean {
    if (p.perWidth === null) return false;
    const data = this.weights.get(p.name);
    const rows = rowsOf(this.graph, p);
    if (!data || rows <= 1) return rows <= 1;
    const n = data.length / rows;
    for (let r = 1; r < rows; r++) for (let i = 0; i < n; i++) if (data[r * n + i] !== data[i]) return false;
    return true;
  }

  /** A shared int64 constant (scalar when dims is []). */
  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    return this.constant(`const.i64${dims.length === 0 ? "s" : ""}.${values.join("_")}`, {
      dtype: "int64",
      dims,
      data,
    });
  }

  /** A shared float constant (scalar when dims is []). */
  f32(values: readonly number[], dims: readonly number[] = []): string {
    return this.constant(`const.f32${dims.length === 0 ? "s" : ""}.${values.join("_")}`, {
      dtype: "float",
      dims,
      data: Float32Array.from(values),
    });
  }

  private constant(base: string, t: Omit<OnnxTensor, "name">): string {
    const key = `${base}:${t.dims.join("x")}`; // same values, other shape: another constant
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.values.fresh(base);
    this.initializers.push({ name, ...t });
    this.constants.set(key, name);
    return name;
  }
}
