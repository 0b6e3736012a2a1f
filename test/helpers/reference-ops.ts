// Slow, obviously correct tensor ops for the reference interpreter: plain loops over row-major
// float data, accumulating in double precision. No cleverness on purpose.

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array; // int and bool results are stored as their numeric values
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const tensor = (shape: readonly number[], data?: ArrayLike<number>): Tensor => ({
  shape: [...shape],
  data: data ? Float32Array.from(data) : new Float32Array(size(shape)),
});

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Multi-index of a flat position. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return idx;
}

export const map = (x: Tensor, f: (v: number) => number): Tensor => tensor(x.shape, Array.from(x.data, f));

/** Numpy-style broadcasting of two tensors. */
export function broadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [sa, sb] = [pad(a.shape), pad(b.shape)];
  const shape = sa.map((d, i) => Math.max(d, sb[i]));
  const [ta, tb] = [strides(sa), strides(sb)];
  const out = tensor(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    let ia = 0;
    let ib = 0;
    idx.forEach((v, ax) => {
      ia += (sa[ax] === 1 ? 0 : v) * ta[ax];
      ib += (sb[ax] === 1 ? 0 : v) * tb[ax];
    });
    out.data[i] = f(a.data[ia], b.data[ib]);
  }
  return out;
}

/** Keeps `indices` along `axis`, in that order. */
export function gatherAxis(x: Tensor, axis: number, indices: readonly number[]): Tensor {
  const shape = [...x.shape];
  shape[axis] = indices.length;
  const out = tensor(shape);
  const st = strides(x.shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    idx[axis] = indices[idx[axis]];
    out.data[i] = x.data[idx.reduce((s, v, a) => s + v * st[a], 0)];
  }
  return out;
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const st = strides(x.shape);
  const out = tensor(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = x.data[idx.reduce((s, v, a) => s + v * st[perm[a]], 0)];
  }
  return out;
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
  const out = tensor(shape);
  const outer = size(shape.slice(0, axis));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const chunk = size(x.shape.slice(axis));
      out.data.set(x.data.subarray(o * chunk, (o + 1) * chunk), at);
      at += chunk;
    }
  }
  return out;
}

/** Reduces `axes` with f over the values, keeping them as size-1 axes. */
export function reduce(x: Tensor, axes: readonly number[], f: (values: number[]) => number): Tensor {
  const shape = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const groups = new Map<number, number[]>();
  const st = strides(shape);
  for (let i = 0; i < x.data.length; i++) {
    const key = unravel(i, x.shape).reduce((s, v, a) => s + (axes.includes(a) ? 0 : v) * st[a], 0);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(x.data[i]);
  }
  const out = tensor(shape);
  for (const [k, vs] of groups) out.data[k] = f(vs);
  return out;
}

export function softmax(x: Tensor, axis: number): Tensor {
  const max = reduce(x, [axis], (v) => Math.max(...v));
  const e = broadcast(x, max, (a, m) => Math.exp(a - m));
  return broadcast(
    e,
    reduce(e, [axis], (v) => v.reduce((s, y) => s + y, 0)),
    (a, s) => a / s,
  );
}

/** y[..., o] = sum_i x[..., i] w[o, i] + b[o] */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [O, I] = w.shape;
  const rows = x.data.length / I;
  const out = tensor([...x.shape.slice(0, -1), O]);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < O; o++) {
      let s = b ? b.data[o] : 0;
      for (let i = 0; i < I; i++) s += x.data[r * I + i] * w.data[o * I + i];
      out.data[r * O + o] = s;
    }
  return out;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const batch = a.data.length / (M * K);
  const out = tensor([...a.shape.slice(0, -2), M, N]);
  for (let z = 0; z < batch; z++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[z * M * K + m * K + k] * b.data[z * K * N + k * N + n];
        out.data[z * M * N + m * N + n] = s;
      }
  return out;
}

export interface Window {
  kernel: readonly number[];
  stride: readonly number[];
  pads: readonly number[]; // t, l, b, r
  dilation: readonly number[];
}

const outSize = (d: number, k: number, s: number, p: number, dil: number) =>
  Math.floor((d + p - dil * (k - 1) - 1) / s) + 1;

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, win: Window, groups: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [O, Cg, KH, KW] = w.shape;
  const OH = outSize(H, KH, win.stride[0], win.pads[0] + win.pads[2], win.dilation[0]);
  const OW = outSize(W, KW, win.stride[1], win.pads[1] + win.pads[3], win.dilation[1]);
  const out = tensor([N, O, OH, OW]);
  const og = O / groups;
  if (Cg * groups !== C) throw new Error(`reference conv: ${C} channels, weight ${w.shape}, groups ${groups}`);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = b ? b.data[o] : 0;
          for (let ci = 0; ci < Cg; ci++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * win.stride[0] - win.pads[0] + kh * win.dilation[0];
                const iw = ow * win.stride[1] - win.pads[1] + kw * win.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x.data[((n * C + g * Cg + ci) * H + ih) * W + iw] * w.data[((o * Cg + ci) * KH + kh) * KW + kw];
              }
          out.data[((n * O + o) * OH + oh) * OW + ow] = s;
        }
    }
  return out;
}

/** Max or average pooling; the average counts padding (PyTorch's count_include_pad=True). */
export function pool2d(x: Tensor, win: Window, kind: "max" | "avg"): Tensor {
  const [N, C, H, W] = x.shape;
  const [KH, KW] = win.kernel;
  const OH = outSize(H, KH, win.stride[0], win.pads[0] + win.pads[2], 1);
  const OW = outSize(W, KW, win.stride[1], win.pads[1] + win.pads[3], 1);
  const out = tensor([N, C, OH, OW]);
  for (let nc = 0; nc < N * C; nc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let acc = kind === "max" ? -Infinity : 0;
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * win.stride[0] - win.pads[0] + kh;
            const iw = ow * win.stride[1] - win.pads[1] + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const v = x.data[(nc * H + ih) * W + iw];
            acc = kind === "max" ? Math.max(acc, v) : acc + v;
          }
        out.data[(nc * OH + oh) * OW + ow] = kind === "max" ? acc : acc / (KH * KW);
      }
  return out;
}

/** Resize of the last two axes: nearest (floor, asymmetric) or bilinear (half-pixel), as PyTorch. */
export function resize2d(
  x: Tensor,
  oh: number,
  ow: number,
  sh: number,
  sw: number,
  mode: "nearest" | "linear",
): Tensor {
  const [N, C, H, W] = x.shape;
  const out = tensor([N, C, oh, ow]);
  const src = (d: number, s: number, n: number) => Math.min(Math.max((d + 0.5) / s - 0.5, 0), n - 1);
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let v: number;
        if (mode === "nearest")
          v = x.data[(nc * H + Math.min(Math.floor(i / sh), H - 1)) * W + Math.min(Math.floor(j / sw), W - 1)];
        else {
          const [y, xx] = [src(i, sh, H), src(j, sw, W)];
          const [y0, x0] = [Math.floor(y), Math.floor(xx)];
          const [y1, x1] = [Math.min(y0 + 1, H - 1), Math.min(x0 + 1, W - 1)];
          const [dy, dx] = [y - y0, xx - x0];
          const at = (r: number, c: number) => x.data[(nc * H + r) * W + c];
          v = (1 - dy) * ((1 - dx) * at(y0, x0) + dx * at(y0, x1)) + dy * ((1 - dx) * at(y1, x0) + dx * at(y1, x1));
        }
        out.data[(nc * oh + i) * ow + j] = v;
      }
  return out;
}

/** erf by Numerical Recipes' erfc Chebyshev fit (relative error below 1.2e-7). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}
