// Task losses and distillation terms, each emitted with its gradient with respect to the head's
// raw output (closed forms, so no loss op needs a gradient rule). Conventions follow PyTorch's
// defaults: means over every element (cross-entropy: over non-ignored targets). The class (or
// vector) axis is the output's channel axis: 1 for [N, C, ...] heads, the last for [N, T, V].
import type { LossKind, LossSpec } from "./spec";
import { LOSS_KINDS } from "./spec";
import { attr, type Emitter } from "../lower/scope";

export interface LossTerm {
  /** Scalar loss value (unweighted). */
  readonly value: string;
  /** d(scale * value) / d(output), same shape as the output. */
  readonly grad: string;
}

/** Accepts a task's `loss` in either form: a LossSpec, or the older bare kind name. */
export function lossSpecOf(loss: LossSpec | string | null | undefined): LossSpec | null {
  if (loss === null || loss === undefined) return null;
  if (typeof loss !== "string") return loss;
  const kind = loss.trim();
  if (!(LOSS_KINDS as readonly string[]).includes(kind)) return null;
  return { kind: kind as LossKind, ignoreIndex: null };
}

const toFloat = (e: Emitter, v: string): string => e.op1("Cast", [v], [attr.int("to", 1)]);
const count = (e: Emitter, v: string): string => toFloat(e, e.op1("Size", [v]));
/** Mean of every element, as a scalar. */
const meanAll = (e: Emitter, v: string): string => e.op1("ReduceMean", [v], [attr.int("keepdims", 0)]);
const sumAll = (e: Emitter, v: string): string => e.op1("ReduceSum", [v], [attr.int("keepdims", 0)]);
/** `g * scale / n` with n a run-time count. */
const scaled = (e: Emitter, g: string, scale: number, n: string): string =>
  e.op1("Mul", [g, e.op1("Div", [e.lower.f32([scale]), n])]);

/**
 * Cross-entropy of logits [N, C, ...] against int64 class indices [N, ...], mean over the targets
 * not equal to `ignoreIndex` (PyTorch's reduction "mean" with ignore_index).
 */
export function crossEntropy(
  e: Emitter,
  x: string,
  target: string,
  classes: number,
  ignoreIndex: number | null,
  scale: number,
  axis = 1,
): LossTerm {
  const lw = e.lower;
  const logp = e.op1("LogSoftmax", [x], [attr.int("axis", axis)]);
  let safe = target;
  let mask: string | null = null;
  if (ignoreIndex !== null) {
    const keep = e.op1("Not", [e.op1("Equal", [target, lw.i64([ignoreIndex], [])])]);
    safe = e.op1("Where", [keep, target, lw.i64([0], [])]); // OneHot would wrap negative indices
    mask = toFloat(e, keep);
  }
  const onehot = e.op1("OneHot", [safe, lw.i64([classes], []), lw.f32([0, 1], [2])], [attr.int("axis", axis)]);
  let picked = e.op1("ReduceSum", [e.op1("Mul", [onehot, logp]), lw.i64([axis])], [attr.int("keepdims", 0)]);
  if (mask !== null) picked = e.op1("Mul", [picked, mask]);
  const n = mask === null ? count(e, target) : sumAll(e, mask);
  const value = e.op1("Neg", [e.op1("Div", [sumAll(e, picked), n])]);
  let g = e.op1("Sub", [e.op1("Exp", [logp]), onehot]);
  if (mask !== null) g = e.op1("Mul", [g, e.op1("Unsqueeze", [mask, lw.i64([axis])])]);
  return { value, grad: scaled(e, g, scale, n) };
}

/**
 * Soft cross-entropy -sum softmax(teacher) log_softmax(x) over the class axis, mean over the
 * positions. With a temperature T (Hinton et al. 2015) both sides are divided by T and the value
 * is multiplied by T^2: T^2 mean(-sum softmax(teacher/T) log_softmax(x/T)), whose gradient is
 * T (softmax(x/T) - softmax(teacher/T)) / positions. T = 1 emits no extra ops.
 */
export function softCrossEntropy(
  e: Emitter,
  x: string,
  teacher: string,
  scale: number,
  axis = 1,
  temperature = 1,
): LossTerm {
  const tempered = temperature !== 1;
  const cool = (v: string): string => (tempered ? e.op1("Div", [v, e.lower.f32([temperature])]) : v);
  const logp = e.op1("LogSoftmax", [cool(x)], [attr.int("axis", axis)]);
  const pt = e.op1("Softmax", [cool(teacher)], [attr.int("axis", axis)]);
  const classes = e.op1("Gather", [e.op1("Shape", [x]), e.lower.i64([axis], [])], [attr.int("axis", 0)]); // a scalar
  const positions = e.op1("Div", [count(e, x), toFloat(e, classes)]);
  let value = e.op1("Neg", [e.op1("Div", [sumAll(e, e.op1("Mul", [pt, logp])), positions])]);
  if (tempered) value = e.op1("Mul", [value, e.lower.f32([temperature * temperature])]);
  return { value, grad: scaled(e, e.op1("Sub", [e.op1("Exp", [logp]), pt]), scale * temperature, positions) };
}

/** Binary cross-entropy with logits against targets in [0, 1], mean over elements. */
export function bceWithLogits(e: Emitter, x: string, target: string, scale: number): LossTerm {
  const zero = e.lower.f32([0]);
  const perElement = e.op1("Add", [
    e.op1("Sub", [e.op1("Max", [x, zero]), e.op1("Mul", [x, target])]),
    e.op1("Softplus", [e.op1("Neg", [e.op1("Abs", [x])])]),
  ]);
  const g = e.op1("Sub", [e.op1("Sigmoid", [x]), target]);
  return { value: meanAll(e, perElement), grad: scaled(e, g, scale, count(e, x)) };
}

export function l1(e: Emitter, x: string, target: string, scale: number): LossTerm {
  const d = e.op1("Sub", [x, target]);
  return { value: meanAll(e, e.op1("Abs", [d])), grad: scaled(e, e.op1("Sign", [d]), scale, count(e, x)) };
}

export function l2(e: Emitter, x: string, target: string, scale: number): LossTerm {
  const d = e.op1("Sub", [x, target]);
  return { value: meanAll(e, e.op1("Mul", [d, d])), grad: scaled(e, d, 2 * scale, count(e, x)) };
}

/**
 * 1 - cosine similarity along the axis, mean over the other axes. As PyTorch 1.13's
 * cosine_similarity: x.t / sqrt(max(|x|^2 |t|^2, eps^2)), eps = 1e-8.
 */
export function cosine(e: Emitter, x: string, target: string, scale: number, axis = 1): LossTerm {
  const lw = e.lower;
  const sum1 = (v: string): string => e.op1("ReduceSum", [v, lw.i64([axis])], [attr.int("keepdims", 1)]);
  const dot = sum1(e.op1("Mul", [x, target]));
  const xx = sum1(e.op1("Mul", [x, x]));
  const tt = sum1(e.op1("Mul", [target, target]));
  const prod = e.op1("Mul", [xx, tt]);
  const norm = e.op1("Sqrt", [e.op1("Max", [prod, lw.f32([1e-16])])]);
  const cos = e.op1("Div", [dot, norm]);
  const value = e.op1("Sub", [lw.f32([1]), meanAll(e, cos)]);
  // d cos / dx = t / norm - x dot |t|^2 / norm^3 (the second term vanishes where the clamp holds).
  const unclamped = toFloat(e, e.op1("Greater", [prod, lw.f32([1e-16])]));
  const coef = e.op1("Mul", [
    e.op1("Div", [e.op1("Mul", [dot, tt]), e.op1("Mul", [norm, e.op1("Mul", [norm, norm])])]),
    unclamped,
  ]);
  const dcos = e.op1("Sub", [e.op1("Div", [target, norm]), e.op1("Mul", [x, coef])]);
  return { value, grad: scaled(e, dcos, -scale, count(e, cos)) };
}

/** A task's declared loss against its label. */
export function labelLoss(
  e: Emitter,
  spec: LossSpec,
  x: string,
  target: string,
  classes: number,
  scale: number,
  axis = 1,
): LossTerm {
  switch (spec.kind) {
    case "cross_entropy":
      return crossEntropy(e, x, target, classes, spec.ignoreIndex, scale, axis);
    case "bce":
      return bceWithLogits(e, x, target, scale);
    case "l1":
      return l1(e, x, target, scale);
    case "l2":
      return l2(e, x, target, scale);
    case "cosine":
      return cosine(e, x, target, scale, axis);
  }
}

/**
 * In-place distillation toward the teacher's raw output, by the task's loss kind. The temperature
 * applies to cross-entropy tasks only (soft targets of a softmax); bce, l1, l2 and cosine ignore it.
 */
export function distillLoss(
  e: Emitter,
  kind: LossKind,
  x: string,
  teacher: string,
  scale: number,
  axis = 1,
  temperature = 1,
): LossTerm {
  switch (kind) {
    case "cross_entropy":
      return softCrossEntropy(e, x, teacher, scale, axis, temperature);
    case "bce":
      return bceWithLogits(e, x, e.op1("Sigmoid", [teacher]), scale);
    case "l1":
      return l1(e, x, teacher, scale);
    case "l2":
      return l2(e, x, teacher, scale);
    case "cosine":
      return cosine(e, x, teacher, scale, axis);
  }
}

/** Mean squared difference, for feature distillation. */
export const featureLoss = (e: Emitter, x: string, teacher: string, scale: number): LossTerm =>
  l2(e, x, teacher, scale);
