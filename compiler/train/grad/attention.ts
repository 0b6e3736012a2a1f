// Gradient of multi-head self-attention (causal or not) as compiler/lower/ops-attention.ts computes it. The rule
// recomputes q, k, v and the attention weights from the input (one more forward of the layer)
// rather than reaching into the forward lowering's intermediate values.
import { causalMask } from "../../lower/attention-parts";
import { attr } from "../../lower/scope";
import { f32, i64, num, op1, reduceSum, type GradCtx } from "./ctx";

const T = [0, 1, 3, 2]; // swaps the last two axes of [N, H, T, hd]

export function gradAttention(c: GradCtx): void {
  const headDim = num(c, "headDim");
  const scale = f32(c, 1 / Math.sqrt(headDim));
  const x = c.x(0);
  const win = c.param("in_proj_weight");
  const wout = c.param("out_proj.weight");
  const model = c.inType(0).shape[2] as number;
  const mm = (a: string, b: string): string => op1(c, "MatMul", [a, b]);
  const tr = (v: string, perm: number[]): string => op1(c, "Transpose", [v], [attr.ints("perm", perm)]);
  const rows = (v: string, d: number): string => op1(c, "Reshape", [v, i64(c, [-1, d])]);

  // Forward, recomputed.
  let qkv = mm(x, tr(win, [1, 0]));
  if (c.hasParam("in_proj_bias")) qkv = op1(c, "Add", [qkv, c.param("in_proj_bias")]);
  const heads = tr(op1(c, "Reshape", [qkv, i64(c, [0, 0, 3, -1, headDim])]), [2, 0, 3, 1, 4]); // [3, N, H, T, hd]
  const [q, k, v] = [0, 1, 2].map((i) => op1(c, "Gather", [heads, c.lowerer.i64([i], [])], [attr.int("axis", 0)]));
  let scores = op1(c, "Mul", [mm(q, tr(k, T)), scale]);
  // Masked weights are 0, so the backward below (through p) gives masked positions no gradient.
  if (c.node.attrs.causal === true) scores = op1(c, "Add", [scores, causalMask(c.emit, q, k)]);
  const p = op1(c, "Softmax", [scores], [attr.int("axis", -1)]); // [N, H, T, T]
  const merged = op1(c, "Reshape", [tr(mm(p, v), [0, 2, 1, 3]), i64(c, [0, 0, -1])]); // [N, T, D']

  // Output projection.
  const dy = c.dy();
  const width = op1(c, "Shape", [merged], [attr.int("start", 2), attr.int("end", 3)]);
  if (c.needsParam("out_proj.weight")) {
    const flatMerged = op1(c, "Reshape", [merged, op1(c, "Concat", [i64(c, [-1]), width], [attr.int("axis", 0)])]);
    c.paramGrad("out_proj.weight", op1(c, "Gemm", [rows(dy, model), flatMerged], [attr.int("transA", 1)]));
  }
  if (c.hasParam("out_proj.bias") && c.needsParam("out_proj.bias"))
    c.paramGrad("out_proj.bias", reduceSum(c, dy, [0, 1], false));
  if (!c.needs(0) && !c.needsParam("in_proj_weight") && !c.needsParam("in_proj_bias")) return;

  // Attention.
  const dO = tr(op1(c, "Reshape", [mm(dy, wout), i64(c, [0, 0, -1, headDim])]), [0, 2, 1, 3]); // [N, H, T, hd]
  const dP = mm(dO, tr(v, T));
  const dv = mm(tr(p, T), dO);
  const dS = op1(c, "Mul", [
    op1(c, "Mul", [p, op1(c, "Sub", [dP, reduceSum(c, op1(c, "Mul", [dP, p]), [3], true)])]),
    scale,
  ]);
  const dq = mm(dS, k);
  const dk = mm(tr(dS, T), q);
  const stacked = op1(
    c,
    "Concat",
    [dq, dk, dv].map((g) => op1(c, "Unsqueeze", [g, i64(c, [0])])),
    [attr.int("axis", 0)],
  );
  const dqkv = op1(c, "Reshape", [tr(stacked, [1, 3, 0, 2, 4]), i64(c, [0, 0, -1])]); // [N, T, 3D']

  // Input projection.
  if (c.needs(0)) c.grad(0, mm(dqkv, win));
  if (c.needsParam("in_proj_weight")) {
    const flat = op1(c, "Reshape", [
      dqkv,
      op1(
        c,
        "Concat",
        [i64(c, [-1]), op1(c, "Shape", [qkv], [attr.int("start", 2), attr.int("end", 3)])],
        [attr.int("axis", 0)],
      ),
    ]);
    c.paramGrad("in_proj_weight", op1(c, "Gemm", [flat, rows(x, model)], [attr.int("transA", 1)]));
  }
  if (c.hasParam("in_proj_bias") && c.needsParam("in_proj_bias"))
    c.paramGrad("in_proj_bias", reduceSum(c, dqkv, [0, 1], false));
}
