// Gradients of dense ops over the last axis: linear, embedding, parameters used as values.
import { attr } from "../../lower/scope";
import { i64, op1, reduceSum, type GradCtx } from "./ctx";

/** Rows of a [..., d] tensor as a matrix [-1, d]. */
const rows = (c: GradCtx, x: string, rank: number, d: number): string =>
  rank === 2 ? x : op1(c, "Reshape", [x, i64(c, [-1, d])]);

/** y = x W^T + b, W [out, in]: dx = dy W, dW = dy^T x (over every leading axis), db = sum dy. */
export function gradLinear(c: GradCtx): void {
  const rank = c.inType(0).shape.length;
  const w = c.param("weight");
  if (c.needs(0)) c.grad(0, op1(c, "MatMul", [c.dy(), w]));
  if (c.needsParam("weight")) {
    const [outF, inF] = [c.outType().shape[rank - 1], c.inType(0).shape[rank - 1]] as number[];
    const dy2 = rows(c, c.dy(), rank, outF);
    const x2 = rows(c, c.x(0), rank, inF);
    c.paramGrad("weight", op1(c, "Gemm", [dy2, x2], [attr.int("transA", 1)]));
  }
  if (c.hasParam("bias") && c.needsParam("bias")) {
    c.paramGrad(
      "bias",
      reduceSum(
        c,
        c.dy(),
        Array.from({ length: rank - 1 }, (_, i) => i),
        false,
      ),
    );
  }
}

/** Rows gathered by index: their gradients added back into a zero table (ScatterND, add). */
export function gradEmbedding(c: GradCtx): void {
  if (!c.needsParam("weight")) return;
  const shape = c.outType().shape;
  const dim = shape[shape.length - 1] as number;
  const vocab = c.node.attrs.vocab as number;
  const zeros = op1(c, "ConstantOfShape", [i64(c, [vocab, dim])]);
  const index = op1(c, "Unsqueeze", [c.x(0), i64(c, [-1])]);
  c.paramGrad("weight", c.emit.op1("ScatterND", [zeros, index, c.dy()], [attr.string("reduction", "add")]));
}

/** A parameter used as a value: its gradient is the output's. */
export function gradParam(c: GradCtx): void {
  const role = Object.keys(c.node.params)[0];
  if (c.needsParam(role)) c.paramGrad(role, c.dy());
}
