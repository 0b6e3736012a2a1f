// Resize gradients. Both modes are linear maps separable over height and width, so the adjoint is
// dx = A_h^T dy A_w with the interpolation matrices built as constants from onnxruntime's own
// coordinate rules (nearest: asymmetric + floor; linear: half_pixel, clamped to the edge). An
// integer-scale nearest upsample is a sum over each s_h x s_w block instead (Reshape + ReduceSum).
import { attr } from "../../lower/scope";
import { i64, nums, op1, type GradCtx } from "./ctx";

/** Interpolation matrix [out, in] of one axis, as onnxruntime's Resize computes it in float32. */
export function interpolationMatrix(
  mode: "nearest" | "linear",
  inSize: number,
  outSize: number,
  scale: number,
): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const s = Math.fround(scale);
  for (let o = 0; o < outSize; o++) {
    if (mode === "nearest") {
      const i = Math.min(Math.max(Math.floor(Math.fround(o / s)), 0), inSize - 1);
      m[o * inSize + i] = 1;
      continue;
    }
    const x = Math.min(Math.max(Math.fround(Math.fround(o + 0.5) / s) - 0.5, 0), inSize - 1);
    const i0 = Math.floor(x);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = Math.fround(x - i0);
    m[o * inSize + i0] += 1 - t;
    m[o * inSize + i1] += t;
  }
  return m;
}

export function gradResize(c: GradCtx): void {
  if (!c.needs(0)) return;
  const [hin, win] = c.inType(0).shape.slice(2);
  const [hout, wout] = c.outType().shape.slice(2);
  if (![hin, win, hout, wout].every((d) => typeof d === "number"))
    return c.fail(
      `the gradient of resize ${c.node.id} needs fixed spatial sizes; give the input fixed height and width`,
    );
  const mode = c.node.attrs.mode === "linear" ? "linear" : "nearest";
  const dims = [hin, win, hout, wout] as number[];
  const scales = c.node.attrs.scales !== undefined ? nums(c, "scales") : [dims[2] / dims[0], dims[3] / dims[1]];
  const integer = scales.every((s, i) => Number.isInteger(s) && dims[2 + i] === dims[i] * s);
  if (mode === "nearest" && integer) {
    const blocks = op1(c, "Reshape", [c.dy(), i64(c, [0, 0, dims[0], scales[0], dims[1], scales[1]])]);
    c.grad(0, op1(c, "ReduceSum", [blocks, i64(c, [3, 5])], [attr.int("keepdims", 0)]));
    return;
  }
  const matrix = (axis: number, transposed: boolean): string => {
    const m = interpolationMatrix(mode, dims[axis], dims[2 + axis], scales[axis]);
    const [rows, cols] = [dims[2 + axis], dims[axis]];
    const data = transposed ? transpose(m, rows, cols) : m;
    const name = c.lowerer.values.fresh(`${c.node.id}/interp${axis === 0 ? "H" : "W"}`);
    c.lowerer.initializers.push({ name, dtype: "float", dims: transposed ? [cols, rows] : [rows, cols], data });
    return name;
  };
  const alongW = op1(c, "MatMul", [c.dy(), matrix(1, false)]); // [N, C, Ho, Wi]
  c.grad(0, op1(c, "MatMul", [matrix(0, true), alongW])); // [Hi, Ho] x [N, C, Ho, Wi]
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) t[k * rows + r] = m[r * cols + k];
  return t;
}
