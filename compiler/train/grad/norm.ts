// Normalisation in training mode. BatchNorm normalises with the batch's own statistics, computed
// with explicit ReduceMean ops (ONNX's training-mode BatchNormalization keeps the biased variance
// and the inverse momentum convention, PyTorch the unbiased one): the training forward emits the
// statistics, then an inference-mode BatchNormalization fed with them (one fused kernel), and
// returns the batch mean and the UNBIASED batch variance so that the loop updates running
// statistics as PyTorch does (new = 0.9 old + 0.1 batch). Running statistics are not inputs.
import type { NodeCtx } from "../../lower/node-ctx";
import { attr } from "../../lower/scope";
import { f32, i64, num, op1, runtimeCount, type GradCtx } from "./ctx";

export interface BatchStats {
  readonly mean: string; // [C]
  readonly var: string; // [C], unbiased
}

/** Axes a BatchNorm reduces over: all but the channel axis 1. */
const bnAxes = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);

/** The training-mode forward of a BatchNorm node; saves `mean`, `var` (biased, kept dims). */
export function forwardBatchnormTrain(c: NodeCtx, save: (key: string, value: string) => void): BatchStats {
  const { e, lw } = c;
  const rank = c.inType(0).shape.length;
  const axes = [attr.ints("axes", bnAxes(rank)), attr.int("keepdims", 1)];
  const x = c.in(0);
  const mean = e.op1("ReduceMean", [x], axes);
  const centred = e.op1("Sub", [x, mean]);
  const variance = e.op1("ReduceMean", [e.op1("Mul", [centred, centred])], axes);
  save("mean", mean);
  save("var", variance);
  save("centred", centred);
  const flat = (v: string): string => e.op1("Reshape", [v, lw.i64([-1])]);
  const [meanC, varC] = [flat(mean), flat(variance)];
  const inputs = [x, c.param("weight"), c.param("bias"), meanC, varC];
  e.op("BatchNormalization", inputs, [attr.float("epsilon", c.num("eps", 1e-5))], [c.out()]);
  // Unbiased variance: times M / (M - 1), M = elements per channel (N H W, known at run time).
  const count = e.op1("Div", [e.op1("Cast", [e.op1("Size", [x])], [attr.int("to", 1)]), e.op1("Cast", [e.op1("Size", [meanC])], [attr.int("to", 1)])]);
  const unbiased = e.op1("Mul", [varC, e.op1("Div", [count, e.op1("Sub", [count, lw.f32([1])])])]);
  return { mean: meanC, var: unbiased };
}

/** Per-channel [C] tensor as [1, C, 1, ...] for broadcasting against [N, C, ...]. */
const perChannel = (c: GradCtx, v: string, rank: number): string => op1(c, "Reshape", [v, i64(c, [1, -1, ...new Array(rank - 2).fill(1)])]);

/**
 * With xhat = (x - mean) * invstd: dbeta = sum dy, dgamma = sum dy xhat (over N and space),
 * dx = gamma invstd (dy - dbeta / M - xhat dgamma / M).
 */
export function gradBatchnorm(c: GradCtx): void {
  const rank = c.inType(0).shape.length;
  const axes = bnAxes(rank);
  const x = c.x(0);
  const mean = c.saved("mean") ?? op1(c, "ReduceMean", [x], [attr.ints("axes", axes), attr.int("keepdims", 1)]);
  const centred = c.saved("centred") ?? op1(c, "Sub", [x, mean]);
  const variance = c.saved("var") ?? op1(c, "ReduceMean", [op1(c, "Mul", [centred, centred])], [attr.ints("axes", axes), attr.int("keepdims", 1)]);
  const invstd = op1(c, "Reciprocal", [op1(c, "Sqrt", [op1(c, "Add", [variance, f32(c, num(c, "eps", 1e-5))])])]);
  const xhat = op1(c, "Mul", [centred, invstd]);
  const dy = c.dy();
  const sum = (v: string): string => op1(c, "ReduceSum", [v, i64(c, axes)], [attr.int("keepdims", 1)]);
  const dbeta = sum(dy);
  const dgamma = sum(op1(c, "Mul", [dy, xhat]));
  const flat = (v: string): string => op1(c, "Reshape", [v, i64(c, [-1])]);
  if (c.needsParam("weight")) c.paramGrad("weight", flat(dgamma));
  if (c.needsParam("bias")) c.paramGrad("bias", flat(dbeta));
  if (!c.needs(0)) return;
  const count = op1(c, "Div", [runtimeCount(c, x), runtimeCount(c, mean)]);
  const k = op1(c, "Mul", [perChannel(c, c.param("weight"), rank), invstd]);
  const shift = op1(c, "Div", [op1(c, "Mul", [k, dbeta]), count]);
  const slope = op1(c, "Div", [op1(c, "Mul", [k, dgamma]), count]);
  c.grad(0, op1(c, "Sub", [op1(c, "Sub", [op1(c, "Mul", [dy, k]), shift]), op1(c, "Mul", [xhat, slope])]));
}

/**
 * LayerNorm over the last axis (statistics recomputed here): with g = dy gamma,
 * dx = invstd (g - mean(g) - xhat mean(g xhat)); dgamma = sum dy xhat, dbeta = sum dy over the rest.
 */
export function gradLayernorm(c: GradCtx): void {
  const rank = c.inType(0).shape.length;
  const last = [attr.ints("axes", [rank - 1]), attr.int("keepdims", 1)];
  const x = c.x(0);
  const centred = op1(c, "Sub", [x, op1(c, "ReduceMean", [x], last)]);
  const variance = op1(c, "ReduceMean", [op1(c, "Mul", [centred, centred])], last);
  const invstd = op1(c, "Reciprocal", [op1(c, "Sqrt", [op1(c, "Add", [variance, f32(c, num(c, "eps", 1e-5))])])]);
  const xhat = op1(c, "Mul", [centred, invstd]);
  const dy = c.dy();
  const leading = i64(c, Array.from({ length: rank - 1 }, (_, i) => i));
  if (c.needsParam("weight")) c.paramGrad("weight", op1(c, "ReduceSum", [op1(c, "Mul", [dy, xhat]), leading], [attr.int("keepdims", 0)]));
  if (c.hasParam("bias") && c.needsParam("bias")) c.paramGrad("bias", op1(c, "ReduceSum", [dy, leading], [attr.int("keepdims", 0)]));
  if (!c.needs(0)) return;
  const g = op1(c, "Mul", [dy, c.param("weight")]);
  const meanG = op1(c, "ReduceMean", [g], last);
  const meanGX = op1(c, "ReduceMean", [op1(c, "Mul", [g, xhat])], last);
  const inner = op1(c, "Sub", [op1(c, "Sub", [g, meanG]), op1(c, "Mul", [xhat, meanGX])]);
  c.grad(0, op1(c, "Mul", [invstd, inner]));
}
