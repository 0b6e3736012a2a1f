// Human-readable amounts for messages and explanations, in the units users write budgets in.

import type { BudgetMetric } from "../ir/types";

/** 27900000 -> "27.9M": a count with K/M/G/T as budgets are written. */
export function formatCount(v: number): string {
  const a = Math.abs(v);
  for (const [s, u] of [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ] as const) {
    if (a >= s) return `${trim(v / s)}${u}`;
  }
  return trim(v);
}

// Zeros are trimmed only after a decimal point: 650 stays 650, 2.50 becomes 2.5.
const trim = (v: number): string =>
  Number.isInteger(v)
    ? String(v)
    : v
        .toPrecision(3)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "");

export function formatAmount(metric: BudgetMetric, v: number): string {
  if (!Number.isFinite(v)) return "unlimited";
  if (metric === "latency") return `${trim(v)}ms`;
  return formatCount(v);
}

export const formatPercent = (fraction: number): string => `${trim(fraction * 100)}%`;
