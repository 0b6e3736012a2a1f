// The IR: one flat, immutable graph per model, free of protobuf. Channel axes are described by
// segments over width groups instead of plain numbers, so one graph stands for every width
// configuration. Shapes hold full-width sizes; `channelsAt` gives the size at a configuration.

import type { LossSpec, TrainSpec } from "../train/spec";

export type Dim = number | string; // string: a symbolic dimension such as "N"
export type DType = "f32" | "i64" | "bool";

/**
 * One stretch of a channel axis. At a configuration its length is
 * `channelsAt(max, width[group], divisor) * scale`; `group: null` means it never slims.
 * A plain conv output is one segment; a concat of two slim tensors is two; a flatten of
 * [N, C, 7, 7] is one segment with scale 49; attention's stacked q/k/v weight is three.
 */
export interface Segment {
  readonly max: number;
  readonly group: string | null;
  readonly scale: number;
  readonly divisor: number;
}

export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly Dim[]; // full-width sizes; the channel axis holds sum(max * scale)
  readonly channelAxis: number | null;
  readonly channels: readonly Segment[]; // layout of channelAxis; empty when channelAxis is null
}

export interface Value {
  readonly id: string;
  readonly type: ValueType;
}

export type InitKind =
  | { readonly kind: "he"; readonly fanIn: number } // normal(0, sqrt(2 / fanIn)), for conv / linear before ReLU
  | { readonly kind: "xavier"; readonly fanIn: number; readonly fanOut: number } // uniform(+-sqrt(6 / (in + out)))
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "const"; readonly value: number };

export interface Param {
  readonly name: string; // PyTorch-style, e.g. "layer1.0.conv1.weight"
  readonly shape: readonly number[]; // full-width shape (without the per-width axis)
  /** Per axis: the segments the axis slims by, or null when the axis never slims. */
  readonly axes: readonly (readonly Segment[] | null)[];
  /**
   * Switchable parameters (BatchNorm) keep one row per combination of the widths of these groups (the
   * groups upstream of the layer, see ir/switchable.ts), stored [K, ...shape]; null when not switchable.
   */
  readonly perWidth: readonly string[] | null;
  readonly init: InitKind;
}

/** Where a node came from, for error messages and ONNX doc_strings. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type AttrValue = number | string | boolean | readonly number[] | readonly string[] | readonly Dim[];

/**
 * Attributes of each IR op kind. The keys are the op kinds: adding an op means adding its entry
 * here and its spec under compiler/ops/ (the registry is a `Record<OpKind, OpSpec>`, so a missing
 * spec is a type error). Types, not interfaces, so that each is assignable to `Node["attrs"]`.
 */
export type OpAttrMap = {
  conv: ConvAttrs; // groups counts full-width channels; depthwise convs slim with their input
  linear: NoAttrs; // over the last axis
  batchnorm: { readonly eps: number };
  layernorm: { readonly eps: number }; // over the last axis
  groupnorm: { readonly groups: number; readonly eps: number }; // over axis 1, groups divide every slim width
  relu: NoAttrs;
  relu6: NoAttrs;
  gelu: NoAttrs;
  sigmoid: NoAttrs;
  tanh: NoAttrs;
  silu: NoAttrs;
  identity: NoAttrs;
  softmax: { readonly axis: number };
  maxpool: WindowAttrs;
  avgpool: WindowAttrs;
  globalavgpool: NoAttrs; // keeps rank: [N, C, 1, 1]
  resize: {
    readonly scales?: readonly number[];
    readonly size?: readonly number[];
    readonly mode: "nearest" | "linear";
  };
  concat: { readonly axis: number };
  add: NoAttrs; // elementwise with broadcasting
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  reshape: { readonly shape: readonly Dim[] }; // -1 allowed
  flatten: { readonly axis: number }; // ONNX semantics: the result is 2-D
  transpose: { readonly perm: readonly number[] };
  select: { readonly axis: number; readonly index: number }; // drops the axis, e.g. the class token
  mean: { readonly axes: readonly number[]; readonly keepdims: boolean };
  attention: { readonly heads: number; readonly headDim: number }; // multi-head self-attention, batch first [N, T, D]
  embedding: { readonly vocab: number }; // int64 indices -> vectors
  param: NoAttrs; // outputs a parameter as a value (class token, positional embedding)
  const: { readonly value: number }; // scalar f32
};

export type NoAttrs = Readonly<Record<never, never>>;
export type WindowAttrs = {
  readonly kernel: readonly number[]; // [kh, kw]
  readonly stride: readonly number[]; // [sh, sw]
  readonly pads: readonly number[]; // [top, left, bottom, right]
};
export type ConvAttrs = WindowAttrs & {
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly depthwise: boolean;
};

export type OpKind = keyof OpAttrMap;

export interface Node {
  readonly id: string; // deterministic, unique, maps back to source: "backbone.layer1.0.conv1"
  readonly op: OpKind;
  readonly inputs: readonly string[]; // value ids
  readonly outputs: readonly string[]; // value ids
  /** Untyped here so that passes can copy nodes; an op's own code reads them typed (`TypedNode`). */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** Parameter roles to parameter names, e.g. { weight: "layer1.0.conv1.weight" }. */
  readonly params: Readonly<Record<string, string>>;
  /** "shared", or the task whose head this node belongs to (run only when that task runs). */
  readonly part: string;
  readonly source: SourceRef;
}

/** A node of one op kind with its attributes typed (`OpAttrMap`); the builder guarantees the match. */
export type TypedNode<K extends OpKind> = Omit<Node, "op" | "attrs"> & { readonly op: K; readonly attrs: OpAttrMap[K] };

export interface WidthGroup {
  readonly name: string; // "backbone", "semseg", or finer groups such as "backbone.layer1"
  readonly part: string; // "shared" or a task name
  readonly choices: readonly number[]; // width multipliers, ascending, last is 1.0
}

export type DecodeSpec =
  | { readonly kind: "identity" }
  | { readonly kind: "argmax"; readonly axis: number }
  | { readonly kind: "softmax"; readonly axis: number }
  | { readonly kind: "topk"; readonly k: number; readonly axis: number }
  | { readonly kind: "threshold"; readonly value: number } // sigmoid, then > value
  | { readonly kind: "l2norm"; readonly axis: number }
  | { readonly kind: "greedy"; readonly maxLen: number; readonly bos: number; readonly eos: number }
  | {
      readonly kind: "beam";
      readonly beams: number;
      readonly maxLen: number;
      readonly bos: number;
      readonly eos: number;
      readonly lengthPenalty: number;
    }
  | {
      readonly kind: "diverse_beam";
      readonly beams: number;
      readonly groups: number;
      readonly diversity: number;
      readonly maxLen: number;
      readonly bos: number;
      readonly eos: number;
    }
  | {
      readonly kind: "sample";
      readonly temperature: number;
      readonly topK: number;
      readonly topP: number;
      readonly seed: number;
      readonly maxLen: number;
      readonly bos: number;
      readonly eos: number;
    };

export interface Task {
  readonly name: string;
  readonly output: string; // value id of the head's raw output (before decoding)
  readonly decode: DecodeSpec;
  /** The declared `loss`, checked against LOSS_KINDS (null: none declared). */
  readonly loss: LossSpec | null;
  /** The declared `metric`, checked against METRICS (null: none declared). */
  readonly metric: string | null;
}

export type BudgetMetric = "macs" | "params" | "latency";
export interface Budget {
  readonly metric: BudgetMetric;
  /** Absolute (MACs, parameter count, or milliseconds) or relative to the full model. */
  readonly value: number;
  readonly relative: boolean;
}

export interface GraphInput {
  readonly name: string;
  readonly value: string; // value id
}

/** How image files become an input: RGB (or grey) in [0, 1], resized to H x W, then (x - mean) / std. */
export interface ImagePreprocess {
  readonly kind: "image";
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface Graph {
  readonly name: string;
  /** Declared preprocessing per input name (absent: none declared). */
  readonly preprocess?: Readonly<Record<string, ImagePreprocess>>;
  readonly inputs: readonly GraphInput[];
  readonly values: ReadonlyMap<string, Value>;
  readonly nodes: readonly Node[]; // in topological order
  readonly params: ReadonlyMap<string, Param>;
  readonly widths: readonly number[];
  readonly groups: readonly WidthGroup[];
  readonly tasks: readonly Task[];
  readonly budgets: readonly Budget[];
  readonly prefer: Readonly<Record<string, number>>;
  readonly sourceHash: string;
  /** How the model trains: its `train { }` section with defaults filled in (DEFAULT_TRAIN without one). */
  readonly train: TrainSpec;
}

/** A width configuration: for each group, the index of its chosen width in `choices`. */
export type Config = Readonly<Record<string, number>>;

/**
 * Weights by parameter name, row-major float32. A parameter with `perWidth` set stores one row per
 * combination of its groups' widths, i.e. shape [K, ...param.shape] (ir/switchable.ts).
 */
export type WeightMap = ReadonlyMap<string, Float32Array>;
