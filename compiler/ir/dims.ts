// Arithmetic on dimensions that may be symbolic ("N", "H"). Products are kept exact as a number
// times a multiset of symbols so that reshapes and flattens can be checked; other expressions
// become readable opaque symbols (e.g. "floor((H-1)/2)+1") that compare equal when derived alike.

import type { Dim } from "./types";

/** A product of dims: `coef` times every symbol in `syms` (sorted). */
export interface Prod {
  readonly coef: number;
  readonly syms: readonly string[];
}

const PRODUCT = /^[\w.]+(\*[\w.]+)*$/;
const SIMPLE = /^[A-Za-z_][\w.]*$|^\d+$/;

/** Splits a dim into numeric and symbolic factors ("7*H" is 7 times H). */
function factors(d: Dim): Prod {
  if (typeof d === "number") return { coef: d, syms: [] };
  if (!PRODUCT.test(d)) return { coef: 1, syms: [d] };
  let coef = 1;
  const syms: string[] = [];
  for (const f of d.split("*")) {
    if (/^\d+$/.test(f)) coef *= Number(f);
    else syms.push(f);
  }
  return { coef, syms };
}

export function prodOf(dims: readonly Dim[]): Prod {
  let coef = 1;
  const syms: string[] = [];
  for (const d of dims) {
    const f = factors(d);
    coef *= f.coef;
    syms.push(...f.syms);
  }
  return { coef, syms: syms.sort() };
}

export const prodEq = (a: Prod, b: Prod): boolean =>
  a.coef === b.coef && a.syms.length === b.syms.length && a.syms.every((s, i) => s === b.syms[i]);

/** a / b when it is exact (b's symbols all in a, coefficients divide), else null. */
export function prodDiv(a: Prod, b: Prod): Prod | null {
  if (b.coef === 0 || a.coef % b.coef !== 0) return null;
  const rest = [...a.syms];
  for (const s of b.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  return { coef: a.coef / b.coef, syms: rest };
}

export function prodToDim(p: Prod): Dim {
  if (p.syms.length === 0) return p.coef;
  if (p.coef === 1 && p.syms.length === 1) return p.syms[0];
  return [...(p.coef === 1 ? [] : [String(p.coef)]), ...p.syms].join("*");
}

/** Parenthesises a symbolic expression so it can be embedded in a larger one. */
export const wrap = (d: Dim): string => (typeof d === "number" || SIMPLE.test(d) ? String(d) : `(${d})`);

const signed = (n: number): string => (n === 0 ? "" : n > 0 ? `+${n}` : `${n}`);

/**
 * Output size of a convolution or pooling window along one axis (ONNX formula):
 * floor((d + pads - dilation*(k-1) - 1) / stride) + 1. The caller checks the kernel fits.
 */
export function windowOut(d: Dim, k: number, stride: number, padTotal: number, dilation: number): Dim {
  const c = padTotal - dilation * (k - 1) - 1;
  if (typeof d === "number") return Math.floor((d + c) / stride) + 1;
  if (stride === 1) return c + 1 === 0 ? d : `${d}${signed(c + 1)}`;
  return `floor((${d}${signed(c)})/${stride})+1`;
}

/** Sum of dims along a concatenation axis. */
export function sumDims(ds: readonly Dim[]): Dim {
  if (ds.every((d) => typeof d === "number")) return (ds as number[]).reduce((a, b) => a + b, 0);
  return ds.map(String).join("+");
}

/** A dim scaled by a resize factor (ONNX Resize floors the product). */
export function scaleDim(d: Dim, s: number): Dim {
  if (typeof d === "number") return Math.floor(d * s);
  return Number.isInteger(s) ? `${wrap(d)}*${s}` : `floor(${wrap(d)}*${s})`;
}

/**
 * Broadcast of two dims, or null when they clash. Two different symbols are accepted (they may
 * be equal at run time); a number and a symbol give the number.
 */
export function broadcastDim(a: Dim, b: Dim): Dim | null {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === "number" && typeof b === "number") return null;
  return typeof a === "number" ? a : b;
}

/** Dims that agree for concatenation and the like: equal numbers, or anything symbolic. */
export const dimsAgree = (a: Dim, b: Dim): boolean => a === b || typeof a !== "number" || typeof b !== "number";

export const formatShape = (shape: readonly Dim[]): string => `[${shape.join(", ")}]`;

export const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;
