// What the compiler knows about one IR op kind, in one place: its language layers (signature and
// docs), shape rule, invariants, cost, lowering, specialisation, dump format, gradient rule and
// PyTorch mapping. The registry (index.ts) is checked to hold a spec for every `OpKind`, so adding
// an op cannot leave a stage silently falling back to a default. Reference kernels for tests live
// in test/helpers.
import type { TorchOp } from "../export/torch/ops";
import type { OpCtx, OpResult } from "../ir/op-common";
import type { Config, Graph, Node, OpKind, TypedNode, Value, ValueType } from "../ir/types";
import type { NodeCtx } from "../lower/node-ctx";
import type { GradRule } from "../train/grad/ctx";
import type { LayerDef } from "./layer-def";

/** Where the docs describe an op: its layers' rows in docs/language.md, or a phrase there. */
export type OpDocs = { readonly layers: readonly LayerDef[] } | { readonly mention: string };

/** The types around a node, for invariant checks. */
export interface NodeTypes {
  readonly inputs: readonly ValueType[];
  readonly output: ValueType;
  readonly params: ReadonlyMap<string, readonly number[]>; // role -> full-width shape
}

export interface SpecialiseCtx {
  readonly graph: Graph; // before specialisation
  readonly values: ReadonlyMap<string, Value>; // after: channel sizes fixed
  readonly config: Config;
}

export interface OpSpec<K extends OpKind, O = unknown> {
  readonly kind: K;
  /** One line: what the op computes. */
  readonly summary: string;
  /** The layers of the language that add this op (empty for ops made by operators or literals). */
  readonly docs: OpDocs;
  /** The shape and segment rule: input types and layer options to the output type, attrs, params. */
  shape(c: OpCtx, inputs: readonly ValueType[], options: O): OpResult;
  readonly arity: number | "variadic";
  /** Parameter roles every node of this kind has, and those it may have. */
  readonly params: readonly string[];
  readonly optionalParams?: readonly string[];
  /** Parameter roles that are statistics, not learnable (not counted as parameters). */
  readonly buffers?: readonly string[];
  /** Op-specific invariants beyond arity and parameters; reports problems through `say`. */
  verify?(n: TypedNode<K>, t: NodeTypes, say: (problem: string) => void): void;
  /** Multiply-accumulates per sample at a configuration (0 for ops that the convention does not count). */
  macs(graph: Graph, n: TypedNode<K>, config: Config): number;
  /** Emits the op's ONNX nodes (the node is `c.node`, passed typed). */
  lower(c: NodeCtx, n: TypedNode<K>): void;
  /** The node at a fixed configuration (attributes that count channels or heads follow it). */
  specialise(n: TypedNode<K>, s: SpecialiseCtx): Node;
  /** Attribute words for `dump`, e.g. ["k=3x3", "s=2"]. */
  dump(n: TypedNode<K>): string[];
  /** Reverse-mode rule for training graphs (implementations in compiler/train/grad/). */
  readonly gradient: GradRule;
  /** The PyTorch expression for export (implementations in compiler/export/torch/ops.ts). */
  readonly pytorch: TorchOp;
}

export const keepNode = <K extends OpKind>(n: TypedNode<K>): Node => n as Node;
export const noMacs = (): number => 0;

const word = (v: unknown): string => (Array.isArray(v) ? `[${v.join(",")}]` : String(v));
/** Every attribute as `key=value`, sorted by key. */
export const sortedAttrs = <K extends OpKind>(n: TypedNode<K>): string[] =>
  Object.keys(n.attrs)
    .sort()
    .map((k) => `${k}=${word((n.attrs as Record<string, unknown>)[k])}`);

/** Typed view of a node whose kind the caller has checked. */
export const typed = <K extends OpKind>(n: Node, kind: K): TypedNode<K> => {
  if (n.op !== kind) throw new Error(`internal: node ${n.id} is ${n.op}, not ${kind}`);
  return n as unknown as TypedNode<K>;
};
