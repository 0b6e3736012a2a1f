// Gradient of cross-attention as compiler/lower/ops-attention.ts computes it: queries from x
// [N, T, D], keys and values from the memory [N, S, D], one stacked in_proj weight [3D', D]. Like
// the self-attention rule it recomputes the forward from the inputs.
import { attentionWeights, mergeHeads, project, projectionPart, splitHeads } from "../../lower/attention-parts";
import { attr } from "../../lower/scope";
import { i64, num, op1, reduceSum, type GradCtx } from "./ctx";

const T = [0, 1, 3, 2]; // swaps the last two axes of [N, H, T, hd]

export function gradCrossAttention(c: GradCtx): void {
  const e = c.emit;
  const headDim = num(c, "headDim");
  const scale = c.lowerer.f32([1 / Math.sqrt(headDim)]);
  const [x, m] = [c.x(0), c.x(1)];
  const win = c.param("in_proj_weight");
  const bin = c.hasParam("in_proj_bias") ? c.param("in_proj_bias") : null;
  const wout = c.param("out_proj.weight");
  const mm = (a: string, b: string): string => op1(c, "MatMul", [a, b]);
  const tr = (v: string, perm: number[]): string => op1(c, "Transpose", [v], [attr.ints("perm", perm)]);
  /** [..., F] -> [rows, F] with F read at run time (slim widths). */
  const rows = (v: string): string =>
    op1(c, "Reshape", [
      v,
      op1(c, "Concat", [i64(c, [-1]), op1(c, "Shape", [v], [attr.int("start", -1)])], [attr.int("axis", 0)]),
    ]);
  const wGrad = (dOut: string, input: string): string =>
    op1(c, "Gemm", [rows(dOut), rows(input)], [attr.int("transA", 1)]);

  // Forward, recomputed.
  const parts = [0, 1, 2].map((i) => projectionPart(e, win, bin, i));
  const q = splitHeads(e, project(e, x, ...parts[0]), headDim); // [N, H, T, hd]
  const k = splitHeads(e, project(e, m, ...parts[1]), headDim); // [N, H, S, hd]
  const v = splitHeads(e, project(e, m, ...parts[2]), headDim);
  const p = attentionWeights(e, q, k, headDim, false); // [N, H, T, S]
  const merged = mergeHeads(e, mm(p, v)); // [N, T, D']

  // Output projection.
  const dy = c.dy();
  if (c.needsParam("out_proj.weight")) c.paramGrad("out_proj.weight", wGrad(dy, merged));
  if (c.hasParam("out_proj.bias") && c.needsParam("out_proj.bias"))
    c.paramGrad("out_proj.bias", reduceSum(c, dy, [0, 1], false));
  const wantsIn = c.needsParam("in_proj_weight") || (bin !== null && c.needsParam("in_proj_bias"));
  if (!c.needs(0) && !c.needs(1) && !wantsIn) return;

  // Attention.
  const dO = splitHeads(e, mm(dy, wout), headDim); // [N, H, T, hd]
  const dP = mm(dO, tr(v, T));
  const dv = mergeHeads(e, mm(tr(p, T), dO)); // [N, S, D']
  const dS = op1(c, "Mul", [
    op1(c, "Mul", [p, op1(c, "Sub", [dP, reduceSum(c, op1(c, "Mul", [dP, p]), [3], true)])]),
    scale,
  ]);
  const dq = mergeHeads(e, mm(dS, k)); // [N, T, D']
  const dk = mergeHeads(e, mm(tr(dS, T), q)); // [N, S, D']

  // Input projections: q reads x, k and v read the memory.
  if (c.needs(0)) c.grad(0, mm(dq, parts[0][0]));
  if (c.needs(1)) c.grad(1, op1(c, "Add", [mm(dk, parts[1][0]), mm(dv, parts[2][0])]));
  if (c.needsParam("in_proj_weight"))
    c.paramGrad("in_proj_weight", op1(c, "Concat", [wGrad(dq, x), wGrad(dk, m), wGrad(dv, m)], [attr.int("axis", 0)]));
  if (bin !== null && c.needsParam("in_proj_bias"))
    c.paramGrad(
      "in_proj_bias",
      op1(
        c,
        "Concat",
        [dq, dk, dv].map((g) => reduceSum(c, g, [0, 1], false)),
        [attr.int("axis", 0)],
      ),
    );
}
