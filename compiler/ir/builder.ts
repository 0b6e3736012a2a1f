// Builds an IR graph one layer at a time, for the front end evaluating a .mtl program. Each method
// checks its inputs with the op's shape rule (compiler/ops/), names the node and its parameters, and
// returns the output value id. Mistakes in the model surface as ShapeErrors.

import { OPS, type OpOptions } from "../ops";
import { formatShape, isPositiveInt } from "./dims";
import { outLayout } from "./layout";
import type { OpCtx, OpResult } from "./op-common";
import type { ConvOptions, PoolOptions, ResizeOptions } from "./ops-spatial";
import { assignGroupParts, assignNodeParts } from "./parts";
import { fail } from "./shape-errors";
import { keySwitchableRows, switchRows } from "./switchable";
import { DEFAULT_TRAIN, type TrainSpec } from "../train/spec";
import type { LimitCounter } from "../limits";
import type {
  Budget,
  Dim,
  DType,
  Graph,
  GraphInput,
  InitKind,
  Node,
  OpKind,
  Param,
  SourceRef,
  Task,
  Value,
  ValueType,
  WidthGroup,
} from "./types";

export { ShapeError } from "./shape-errors";

export interface LayerCtx {
  readonly name: string; // PyTorch module path; parameters are `${name}.weight` etc.
  readonly group: string | null; // width group of the output channels (null: fixed)
  readonly source: SourceRef;
}

export type UnaryOp = "relu" | "relu6" | "gelu" | "sigmoid" | "tanh" | "silu" | "identity";
export type BinaryOp = "add" | "sub" | "mul" | "div";

const sameParam = (a: Param, b: Param): boolean => JSON.stringify(a) === JSON.stringify(b);

export class GraphBuilder {
  private readonly ids = new Set<string>(); // node and value ids share one namespace
  private readonly values = new Map<string, Value>();
  private readonly nodes: Node[] = [];
  private readonly params = new Map<string, Param>();
  private readonly groups: WidthGroup[] = [];
  private readonly inputs: GraphInput[] = [];
  private readonly tasks: Task[] = [];
  private budgets: Budget[] = [];
  private prefer: Record<string, number> = {};
  private sourceHash = "";
  private train: TrainSpec = DEFAULT_TRAIN;

  constructor(
    private readonly name: string,
    private readonly widths: number[],
    private readonly divisor = 8,
    /** Size limits (compiler/limits.ts), checked where values and parameters are created. */
    private readonly limits?: LimitCounter,
  ) {}

  addGroup(name: string, choices: number[] = this.widths): void {
    if (this.groups.some((g) => g.name === name)) fail("BadGroup", `width group '${name}' is declared twice`);
    const ascending = choices.every((w, i) => w > 0 && w <= 1 && (i === 0 || w > choices[i - 1]));
    if (choices.length === 0 || !ascending || choices[choices.length - 1] !== 1)
      fail(
        "BadGroup",
        `width group '${name}' has choices [${choices.join(", ")}]`,
        "width choices must ascend within (0, 1] and end with 1.0 (the full width)",
      );
    this.groups.push({ name, part: "shared", choices: [...choices] });
  }

  input(name: string, dtype: DType, shape: Dim[], channelAxis: number | null): string {
    for (const d of shape)
      if (typeof d === "number" && !isPositiveInt(d))
        fail("NonPositiveSize", `input '${name}' has shape ${formatShape(shape)}`);
    let channels: ValueType["channels"] = [];
    if (channelAxis !== null) {
      const d = shape[channelAxis];
      if (d === undefined)
        fail("AxisRange", `input '${name}': channel axis ${channelAxis} is out of range for ${formatShape(shape)}`);
      if (typeof d !== "number")
        fail("SymbolicSize", `input '${name}': its channel count must be a number, got '${d}'`);
      channels = outLayout(d, null, 1);
    }
    this.limits?.tensor(shape);
    const id = this.unique(name || "input");
    this.values.set(id, { id, type: { dtype, shape: [...shape], channelAxis, channels } });
    this.inputs.push({ name, value: id });
    return id;
  }

  /** Adds one node of `kind`, checked by the kind's shape rule (compiler/ops/). */
  op<K extends OpKind>(ctx: LayerCtx, kind: K, inputs: string[], options: OpOptions<K>): string {
    const rule = OPS[kind].shape as (c: OpCtx, xs: readonly ValueType[], o: OpOptions<K>) => OpResult;
    return this.add(
      ctx,
      kind,
      inputs,
      rule(
        this.opCtx(ctx),
        inputs.map((x) => this.type(x)),
        options,
      ),
    );
  }

  conv(ctx: LayerCtx, x: string, o: ConvOptions): string {
    return this.op(ctx, "conv", [x], o);
  }

  linear(ctx: LayerCtx, x: string, o: { out: number; bias: boolean }): string {
    return this.op(ctx, "linear", [x], o);
  }

  batchnorm(ctx: LayerCtx, x: string, o: { eps: number }): string {
    return this.op(ctx, "batchnorm", [x], o);
  }

  layernorm(ctx: LayerCtx, x: string, o: { eps: number }): string {
    return this.op(ctx, "layernorm", [x], o);
  }

  unary(ctx: LayerCtx, op: UnaryOp, x: string): string {
    return this.op(ctx, op, [x], undefined);
  }

  softmax(ctx: LayerCtx, x: string, axis: number): string {
    return this.op(ctx, "softmax", [x], { axis });
  }

  pool(ctx: LayerCtx, op: "maxpool" | "avgpool", x: string, o: PoolOptions): string {
    return this.op(ctx, op, [x], o);
  }

  globalAvgPool(ctx: LayerCtx, x: string): string {
    return this.op(ctx, "globalavgpool", [x], undefined);
  }

  resize(ctx: LayerCtx, x: string, o: ResizeOptions): string {
    return this.op(ctx, "resize", [x], o);
  }

  concat(ctx: LayerCtx, xs: string[], axis: number): string {
    return this.op(ctx, "concat", xs, { axis });
  }

  binary(ctx: LayerCtx, op: BinaryOp, a: string, b: string): string {
    return this.op(ctx, op, [a, b], undefined);
  }

  reshape(ctx: LayerCtx, x: string, shape: Dim[]): string {
    return this.op(ctx, "reshape", [x], shape);
  }

  flatten(ctx: LayerCtx, x: string, axis: number): string {
    return this.op(ctx, "flatten", [x], { axis });
  }

  transpose(ctx: LayerCtx, x: string, perm: number[]): string {
    return this.op(ctx, "transpose", [x], { perm });
  }

  select(ctx: LayerCtx, x: string, axis: number, index: number): string {
    return this.op(ctx, "select", [x], { axis, index });
  }

  mean(ctx: LayerCtx, x: string, axes: number[], keepdims: boolean): string {
    return this.op(ctx, "mean", [x], { axes, keepdims });
  }

  attention(ctx: LayerCtx, x: string, o: { heads: number }): string {
    return this.op(ctx, "attention", [x], o);
  }

  embedding(ctx: LayerCtx, idx: string, o: { vocab: number; dim: number }): string {
    return this.op(ctx, "embedding", [idx], o);
  }

  /** A learned tensor used as a value (class token, positional embedding), named `ctx.name`. */
  param(ctx: LayerCtx, shape: number[], init: InitKind, channelAxis: number | null): string {
    return this.op(ctx, "param", [], { shape, init, channelAxis });
  }

  constant(ctx: LayerCtx, value: number): string {
    return this.op(ctx, "const", [], { value });
  }

  type(id: string): ValueType {
    const v = this.values.get(id);
    if (!v) throw new Error(`internal: unknown value id '${id}'`);
    return v.type;
  }

  addTask(t: Task): void {
    if (this.tasks.some((x) => x.name === t.name)) fail("BadTask", `task '${t.name}' is declared twice`);
    if (t.name === "shared") fail("BadTask", "'shared' is reserved and cannot name a task");
    if (!this.values.has(t.output)) fail("BadTask", `task '${t.name}' outputs an unknown value '${t.output}'`);
    this.tasks.push(t);
  }

  setBudgets(b: Budget[]): void {
    this.budgets = [...b];
  }

  setPrefer(p: Record<string, number>): void {
    this.prefer = { ...p };
  }

  setTrain(t: TrainSpec): void {
    this.train = t;
  }

  setSourceHash(h: string): void {
    this.sourceHash = h;
  }

  finish(): Graph {
    const nodes = assignNodeParts(this.nodes, this.tasks);
    const params = keySwitchableRows(nodes, this.values, this.params, this.groups);
    return {
      name: this.name,
      inputs: [...this.inputs],
      values: new Map(this.values),
      nodes,
      params,
      widths: [...this.widths],
      groups: assignGroupParts(this.groups, nodes, this.values, params),
      tasks: [...this.tasks],
      budgets: [...this.budgets],
      prefer: { ...this.prefer },
      sourceHash: this.sourceHash,
      train: this.train,
    };
  }

  private opCtx(ctx: LayerCtx): OpCtx {
    if (ctx.group !== null && !this.groups.some((g) => g.name === ctx.group))
      fail("UnknownGroup", `layer '${ctx.name}' slims with width group '${ctx.group}', which is not declared`);
    const choicesOf = (group: string): readonly number[] => {
      const g = this.groups.find((x) => x.name === group);
      if (!g) throw new Error(`internal: unknown width group ${group}`);
      return g.choices;
    };
    return { name: ctx.name, group: ctx.group, divisor: this.divisor, choicesOf };
  }

  private unique(base: string): string {
    let id = base;
    for (let k = 1; this.ids.has(id); k++) id = `${base}_${k}`;
    this.ids.add(id);
    return id;
  }

  /** A parameter name used twice means shared weights, as in PyTorch, so both uses must agree. */
  private checkParam(p: Param): void {
    const old = this.params.get(p.name);
    if (old && !sameParam(old, p))
      fail(
        "ParamConflict",
        `parameter '${p.name}' is defined twice with different shapes or layouts: ${formatShape(old.shape)} and ${formatShape(p.shape)}`,
        "give each layer its own name; reusing a name shares its weights",
      );
  }

  private add(ctx: LayerCtx, op: OpKind, inputs: string[], r: OpResult): string {
    const params = Object.values(r.params ?? {});
    params.forEach((p) => this.checkParam(p));
    this.limits?.tensor(r.type.shape);
    for (const p of params) {
      this.limits?.param(p.name, p.shape, switchRows(this.groups, p));
    }
    params.forEach((p) => this.params.set(p.name, p));
    const id = this.unique(ctx.name || op);
    this.values.set(id, { id, type: r.type });
    this.nodes.push({
      id,
      op,
      inputs: [...inputs],
      outputs: [id],
      attrs: r.attrs ?? {},
      params: Object.fromEntries(Object.entries(r.params ?? {}).map(([role, p]) => [role, p.name])),
      part: "shared",
      source: ctx.source,
    });
    return id;
  }
}
