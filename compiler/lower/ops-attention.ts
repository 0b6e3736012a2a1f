// Multi-head self-attention, batch first [N, T, D], with PyTorch nn.MultiheadAttention's
// parameters (roles in_proj_weight [3D, D], in_proj_bias [3D], out_proj.weight [D, D],
// out_proj.bias [D]). A slim layer keeps headDim and drops heads: the stacked q/k/v weight is cut
// piecewise, and reshapes use -1 for the head count so that it follows the width at run time.
import type { NodeCtx } from "./node-ctx";
import { attr } from "./scope";

export function lowerAttention(c: NodeCtx): void {
  const { emit: e, lowerer: lw } = c;
  const headDim = c.num("headDim");
  const linear = (x: string, weight: string, bias: string, out?: string): string => {
    const wt = e.op1("Transpose", [c.param(weight)], [attr.ints("perm", [1, 0])]);
    if (!c.hasParam(bias)) return e.op1("MatMul", [x, wt], [], out);
    return e.op1("Add", [e.op1("MatMul", [x, wt]), c.param(bias)], [], out);
  };
  const qkv = linear(c.in(0), "in_proj_weight", "in_proj_bias"); // [N, T, 3D]
  const split = e.op1("Reshape", [qkv, lw.i64([0, 0, 3, -1, headDim])]); // [N, T, 3, H, hd]
  const heads = e.op1("Transpose", [split], [attr.ints("perm", [2, 0, 3, 1, 4])]); // [3, N, H, T, hd]
  const [q, k, v] = [0, 1, 2].map((i) => e.op1("Gather", [heads, lw.i64([i], [])], [attr.int("axis", 0)]));
  const kt = e.op1("Transpose", [k], [attr.ints("perm", [0, 1, 3, 2])]);
  const scores = e.op1("Mul", [e.op1("MatMul", [q, kt]), lw.f32([1 / Math.sqrt(headDim)])]);
  const mixed = e.op1("MatMul", [e.op1("Softmax", [scores], [attr.int("axis", -1)]), v]); // [N, H, T, hd]
  const merged = e.op1("Reshape", [e.op1("Transpose", [mixed], [attr.ints("perm", [0, 2, 1, 3])]), lw.i64([0, 0, -1])]);
  linear(merged, "out_proj.weight", "out_proj.bias", c.out());
}
