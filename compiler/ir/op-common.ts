// Shared pieces of the per-op shape rules: what a rule receives, what it returns, and the checks
// most rules start with.

import { formatShape, isPositiveInt } from "./dims";
import { fail } from "./shape-errors";
import type { AttrValue, InitKind, Param, Segment, ValueType } from "./types";

/** What a shape rule knows about the layer being built. */
export interface OpCtx {
  readonly name: string; // PyTorch module path: parameters are `${name}.weight` etc.
  readonly group: string | null; // width group of the output channels
  readonly divisor: number; // channel rounding of slimming segments
  /** Width choices of a declared group, for rules that must hold at every width. */
  readonly choicesOf: (group: string) => readonly number[];
}

export interface OpResult {
  readonly type: ValueType;
  readonly attrs?: Record<string, AttrValue>;
  /** Parameters by role (the node's `params` key). */
  readonly params?: Record<string, Param>;
}

export function param(
  name: string,
  shape: readonly number[],
  axes: readonly (readonly Segment[] | null)[],
  init: InitKind,
  perWidth: readonly string[] | null = null,
): Param {
  return { name, shape, axes, perWidth, init };
}

export const zero: InitKind = { kind: "const", value: 0 };
export const one: InitKind = { kind: "const", value: 1 };

export function expectRank(t: ValueType, rank: number, what: string, layout = ""): void {
  if (t.shape.length !== rank)
    fail(
      "Rank",
      `${what} expects a rank-${rank} input${layout ? ` ${layout}` : ""}, got rank ${t.shape.length} ${formatShape(t.shape)}`,
      "reshape the input, or use a layer meant for this rank",
    );
}

export function expectMinRank(t: ValueType, rank: number, what: string): void {
  if (t.shape.length < rank)
    fail("Rank", `${what} expects an input of rank ${rank} or more, got ${formatShape(t.shape)}`);
}

export function expectFloat(t: ValueType, what: string): void {
  if (t.dtype !== "f32") fail("DType", `${what} expects f32 values, got ${t.dtype}`);
}

export function expectPositive(values: readonly number[], what: string): void {
  for (const v of values) if (!isPositiveInt(v)) fail("BadOption", `${what} must be a positive integer, got ${v}`);
}

export function expectNonNegative(values: readonly number[], what: string): void {
  for (const v of values)
    if (!Number.isInteger(v) || v < 0) fail("BadOption", `${what} must be a non-negative integer, got ${v}`);
}

/** Normalises a possibly negative axis, or fails naming the rank. */
export function normaliseAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank)
    fail("AxisRange", `${what}: axis ${axis} is out of range for a rank-${rank} value`);
  return a;
}
