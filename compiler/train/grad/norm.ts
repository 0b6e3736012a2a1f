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

/** The training-mode forward of a BatchNorm node; saves `mean` and `centred` = x - mean, and `var` (biased, kept dims). */
export function forwardBatchnormTrain(c: NodeCtx, save: (key: string, value: string) => void): BatchStats {
  const { emit: e, lowerer: lw } = c;
  const rank = c.inType(0).shape.length;
  const axes = [attr.ints("axes", bnAxes(rank)), attr.int("keepdims", 1)];
  const x = c.in(0);
  const mean = e.op1("ReduceMean", [x], axes);
  const centred = e.op1("Sub", [x, mean]);
  // ReduceSum of the squares: onnxruntime's ReduceSumSquare is measurably less accurate here.
  const squares = e.op1(
    "ReduceSum",
    [e.op1("Mul", [centred, centred]), lw.i64(bnAxes(rank))],
    [attr.int("keepdims", 1)],
  );
  const flat = (v: string): string => e.op1("Reshape", [v, lw.i64([-1])]);
  const meanC = flat(mean);
  // M = elements per channel (N H W), known at run time.
  const count = e.op1("Div", [
    e.op1("Cast", [e.op1("Size", [x])], [attr.int("to", 1)]),
    e.op1("Cast", [e.op1("Size", [meanC])], [attr.int("to", 1)]),
  ]);
  const variance = e.op1("Div", [squares, count]);
  save("mean", mean);
  save("centred", centred);
  save("var", variance);
  const inputs = [x, c.param("weight"), c.param("bias"), meanC, flat(variance)];
  e.op("BatchNormalization", inputs, [attr.float("epsilon", c.num("eps", 1e-5))], [c.out()]);
  const unbiased = flat(e.op1("Div", [squares, e.op1("Sub", [count, lw.f32([1])])]));
  return { mean: meanC, var: unbiased };
}

/** Per-channel [C] tensor as [1, C, 1, ...] for broadcasting against [N, C, ...]. */
const perChannel = (c: GradCtx, v: string, rank: number): string =>
  op1(c, "Reshape", [v, i64(c, [1, -1, ...new Array(rank - 2).fill(1)])]);

/**
 * With c = x - mean, invstd = 1 / sqrt(var + eps), k = gamma invstd and M elements per channel:
 * dbeta = sum dy, dgamma = invstd sum(dy c), and
 * dx = k (dy - dbeta / M - xhat dgamma / M) = k dy - (k invstd^2 sum(dy c) / M) c - k dbeta / M,
 * three passes over the activation (two products and one Sum) after the two reductions.
 */
export function gradBatchnorm(c: GradCtx): void {
  const rank = c.inType(0).shape.length;
  const axes = bnAxes(rank);
  const x = c.x(0);
  const mean = c.saved("mean") ?? op1(c, "ReduceMean", [x], [attr.ints("axes", axes), attr.int("keepdims", 1)]);
  const centred = c.saved("centred") ?? op1(c, "Sub", [x, mean]);
  const variance =
    c.saved("var") ??
    op1(c, "ReduceMean", [op1(c, "Mul", [centred, centred])], [attr.ints("axes", axes), attr.int("keepdims", 1)]);
  const invstd = op1(c, "Reciprocal", [op1(c, "Sqrt", [op1(c, "Add", [variance, f32(c, num(c, "eps", 1e-5))])])]);
  const dy = c.dy();
  const sum = (v: string): string => op1(c, "ReduceSum", [v, i64(c, axes)], [attr.int("keepdims", 1)]);
  const dbeta = sum(dy);
  const dotc = sum(op1(c, "Mul", [dy, centred]));
  const flat = (v: string): string => op1(c, "Reshape", [v, i64(c, [-1])]);
  if (c.needsParam("weight")) c.paramGrad("weight", flat(op1(c, "Mul", [dotc, invstd])));
  if (c.needsParam("bias")) c.paramGrad("bias", flat(dbeta));
  if (!c.needs(0)) return;
  const count = op1(c, "Div", [runtimeCount(c, x), runtimeCount(c, mean)]);
  const k = op1(c, "Mul", [perChannel(c, c.param("weight"), rank), invstd]);
  const slope = op1(c, "Neg", [
    op1(c, "Div", [op1(c, "Mul", [op1(c, "Mul", [k, op1(c, "Mul", [invstd, invstd])]), dotc]), count]),
  ]);
  const shift = op1(c, "Neg", [op1(c, "Div", [op1(c, "Mul", [k, dbeta]), count])]);
  c.grad(0, op1(c, "Sum", [op1(c, "Mul", [dy, k]), op1(c, "Mul", [centred, slope]), shift]));
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
  const leading = i64(
    c,
    Array.from({ length: rank - 1 }, (_, i) => i),
  );
  if (c.needsParam("weight"))
    c.paramGrad("weight", op1(c, "ReduceSum", [op1(c, "Mul", [dy, xhat]), leading], [attr.int("keepdims", 0)]));
  if (c.hasParam("bias") && c.needsParam("bias"))
    c.paramGrad("bias", op1(c, "ReduceSum", [dy, leading], [attr.int("keepdims", 0)]));
  if (!c.needs(0)) return;
  const g = op1(c, "Mul", [dy, c.param("weight")]);
  const meanG = op1(c, "ReduceMean", [g], last);
  const meanGX = op1(c, "ReduceMean", [op1(c, "Mul", [g, xhat])], last);
  const inner = op1(c, "Sub", [op1(c, "Sub", [g, meanG]), op1(c, "Mul", [xhat, meanGX])]);
  c.grad(0, op1(c, "Mul", [invstd, inner]));
}

/**
 * GroupNorm over axis 1 in `groups` groups (statistics recomputed here, per sample and group over
 * [N, G, rest] as lowered): with g = dy gamma per channel, dx = invstd (g - mean(g) -
 * xhat mean(g xhat)) within each group; dgamma = sum dy xhat, dbeta = sum dy over all but axis 1.
 */
export function gradGroupnorm(c: GradCtx): void {
  const rank = c.inType(0).shape.length;
  const x = c.x(0);
  const groups = num(c, "groups");
  const inGroups = (v: string): string => op1(c, "Reshape", [v, i64(c, [0, groups, -1])]);
  const last = [attr.ints("axes", [2]), attr.int("keepdims", 1)];
  const grouped = inGroups(x);
  const centred = op1(c, "Sub", [grouped, op1(c, "ReduceMean", [grouped], last)]);
  const variance = op1(c, "ReduceMean", [op1(c, "Mul", [centred, centred])], last);
  const invstd = op1(c, "Reciprocal", [op1(c, "Sqrt", [op1(c, "Add", [variance, f32(c, num(c, "eps", 1e-5))])])]);
  const xhat = op1(c, "Mul", [centred, invstd]); // [N, G, rest]
  const dy = c.dy();
  const shape = op1(c, "Shape", [x]);
  const others = i64(c, bnAxes(rank));
  if (c.needsParam("weight")) {
    const dgamma = op1(
      c,
      "ReduceSum",
      [op1(c, "Mul", [dy, op1(c, "Reshape", [xhat, shape])]), others],
      [attr.int("keepdims", 0)],
    );
    c.paramGrad("weight", dgamma);
  }
  if (c.needsParam("bias")) c.paramGrad("bias", op1(c, "ReduceSum", [dy, others], [attr.int("keepdims", 0)]));
  if (!c.needs(0)) return;
  const g = inGroups(op1(c, "Mul", [dy, perChannel(c, c.param("weight"), rank)]));
  const meanG = op1(c, "ReduceMean", [g], last);
  const meanGX = op1(c, "ReduceMean", [op1(c, "Mul", [g, xhat])], last);
  const inner = op1(c, "Sub", [op1(c, "Sub", [g, meanG]), op1(c, "Mul", [xhat, meanGX])]);
  c.grad(0, op1(c, "Reshape", [op1(c, "Mul", [invstd, inner]), shape]));
}
