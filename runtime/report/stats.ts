// The controllability statistics of `mtl report` (docs/eval.md): rank correlations between a
// task's preference and its metric, DYMU's uniformity, the hypervolume of achieved error points,
// and the Pareto front of (cost, metric) points.

/** Ranks 1..n with ties given their average rank (as scipy.stats.rankdata). */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number | null {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

/** Spearman's rho (Pearson of average ranks); null when either side is constant. */
export const spearman = (a: readonly number[], b: readonly number[]): number | null =>
  a.length < 2 ? null : pearson(ranks(a), ranks(b));

/** Kendall's tau-b (ties in either variable corrected); null when either side is constant. */
export function kendall(a: readonly number[], b: readonly number[]): number | null {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const s = Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
      else if (a[i] === a[j] && b[i] !== b[j]) tiesA++;
      else if (b[i] === b[j] && a[i] !== a[j]) tiesB++;
    }
  const d = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return d > 0 ? (concordant - discordant) / d : null;
}

/**
 * DYMU's uniformity of one plan: 1 - KL(L_hat || uniform), L_hat_j = r_j L_j / sum_i r_i L_i, with
 * r the preference and L the task losses (here: errors relative to full width). 1 when every
 * task's preference-weighted loss is equal; null when every weighted loss is 0.
 */
export function uniformity(prefer: readonly number[], loss: readonly number[]): number | null {
  const w = prefer.map((r, j) => r * loss[j]);
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return null;
  const n = w.length;
  let kl = 0;
  for (const x of w) if (x > 0) kl += (x / sum) * Math.log((x / sum) * n);
  return 1 - kl;
}

/**
 * Hypervolume dominated by points (to be minimised) up to a reference point: exact, by
 * inclusion-exclusion over subsets of the non-dominated distinct points (2^n boxes; the report has
 * at most 20 points). Points not below the reference in every coordinate add nothing.
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const inside = points.filter((p) => p.every((v, j) => v < ref[j]));
  const distinct = [...new Map(inside.map((p) => [p.join(","), p])).values()];
  const front = distinct.filter((p) => !distinct.some((q) => q !== p && q.every((v, j) => v <= p[j])));
  if (front.length > 24) throw new Error(`hypervolume of ${front.length} points: at most 24 supported`);
  let total = 0;
  const visit = (start: number, depth: number, upper: readonly number[] | null) => {
    for (let i = start; i < front.length; i++) {
      const u = upper ? upper.map((v, j) => Math.max(v, front[i][j])) : front[i];
      let vol = 1;
      for (let j = 0; j < ref.length; j++) vol *= ref[j] - u[j];
      if (vol <= 0) continue;
      total += depth % 2 === 0 ? vol : -vol;
      visit(i + 1, depth + 1, u);
    }
  };
  visit(0, 0, null);
  return total;
}

/** Indices of the Pareto front of (cost, value) points: no other point is cheaper-or-equal and better-or-equal. */
export function paretoFront(cost: readonly number[], value: readonly number[], higherIsBetter: boolean): number[] {
  const better = (a: number, b: number) => (higherIsBetter ? a >= b : a <= b);
  const strictly = (a: number, b: number) => (higherIsBetter ? a > b : a < b);
  return cost
    .map((_, i) => i)
    .filter(
      (i) =>
        !cost.some(
          (c, j) =>
            j !== i && c <= cost[i] && better(value[j], value[i]) && (c < cost[i] || strictly(value[j], value[i])),
        ),
    )
    .sort((a, b) => cost[a] - cost[b]);
}

export const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};
