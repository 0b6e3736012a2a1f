// Multiple-choice knapsack, solved exactly by branch and bound: pick one item from every class,
// maximise total value, total cost within capacity. Costs stay real numbers (MACs reach 1e10 and
// latencies are fractional ms), so a DP over discretised cost would be approximate; branch and bound
// with the LP-relaxation bound is exact and, on these problems (a few items per class, values that
// grow with cost), explores few nodes.
//
// Bound: the LP relaxation of a multiple-choice knapsack is solved greedily (Sinha & Zoltners 1979):
// start every class at its cheapest item and take the increments along each class's upper convex
// hull, best value-per-cost first, the last one fractionally. It never underestimates the optimum of
// the remaining classes, so pruning on it loses no better solution.

export interface Item {
  readonly cost: number;
  readonly value: number;
}

export interface MckpSolution {
  readonly value: number;
  readonly cost: number;
  readonly pick: Int32Array; // per class, the index of the chosen item in that class's input list
}

interface Inc {
  readonly dc: number;
  readonly dv: number;
}

/** Objective differences below this are ties: the first solution found is kept. */
const EPS = 1e-12;

/** Items not dominated by a cheaper-or-equal item of at least the same value, by ascending cost. */
function undominated(items: readonly Item[]): number[] {
  const order = items
    .map((_, i) => i)
    .sort((a, b) => items[a].cost - items[b].cost || items[b].value - items[a].value || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length === 0 || items[i].value > items[kept[kept.length - 1]].value) kept.push(i);
  }
  return kept;
}

/** Increments along the upper convex hull (slopes decreasing), from the cheapest item. */
function hullIncrements(items: readonly Item[], kept: readonly number[]): Inc[] {
  const hull: Item[] = [];
  for (const i of kept) {
    const p = items[i];
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // drop b when it lies on or below the segment a -> p
      if ((b.value - a.value) * (p.cost - a.cost) <= (p.value - a.value) * (b.cost - a.cost)) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull.slice(1).map((p, i) => ({ dc: p.cost - hull[i].cost, dv: p.value - hull[i].value }));
}

export function solveMckp(classes: readonly (readonly Item[])[], capacity: number): MckpSolution | null {
  const n = classes.length;
  const kept = classes.map(undominated);
  if (kept.some((k) => k.length === 0)) return null;
  // Decide the classes with the widest value spread first: their choice moves the bound most.
  const spread = (c: number) => classes[c][kept[c][kept[c].length - 1]].value - classes[c][kept[c][0]].value;
  const order = classes.map((_, c) => c).sort((a, b) => spread(b) - spread(a) || a - b);

  // Suffix data: for classes order[k..], the cheapest total and its value, and the merged hull increments.
  const baseC = new Float64Array(n + 1);
  const baseV = new Float64Array(n + 1);
  const incs: Inc[][] = Array.from({ length: n + 1 }, () => []);
  for (let k = n - 1; k >= 0; k--) {
    const c = order[k];
    const first = classes[c][kept[c][0]];
    baseC[k] = baseC[k + 1] + first.cost;
    baseV[k] = baseV[k + 1] + first.value;
    incs[k] = [...incs[k + 1], ...hullIncrements(classes[c], kept[c])].sort((a, b) => b.dv / b.dc - a.dv / a.dc);
  }
  if (baseC[0] > capacity) return null;

  const bound = (k: number, cap: number): number => {
    let room = cap - baseC[k];
    if (room < 0) return -Infinity;
    let v = baseV[k];
    for (const inc of incs[k]) {
      if (inc.dc <= room) {
        room -= inc.dc;
        v += inc.dv;
      } else {
        v += (inc.dv * room) / inc.dc;
        break;
      }
    }
    return v;
  };

  const pick = new Int32Array(n);
  const bestPick = new Int32Array(n);
  let bestValue = -Infinity;
  let bestCost = Infinity;
  const dfs = (k: number, cap: number, value: number, cost: number): void => {
    if (k === n) {
      if (value > bestValue + EPS) {
        bestValue = value;
        bestCost = cost;
        bestPick.set(pick);
      }
      return;
    }
    if (value + bound(k, cap) <= bestValue + EPS) return;
    const c = order[k];
    const ks = kept[c];
    // Most valuable first: finds a strong incumbent early, which makes the bound prune more.
    for (let j = ks.length - 1; j >= 0; j--) {
      const it = classes[c][ks[j]];
      if (it.cost > cap - baseC[k + 1]) continue;
      pick[c] = ks[j];
      dfs(k + 1, cap - it.cost, value + it.value, cost + it.cost);
    }
  };
  dfs(0, capacity, 0, 0);
  return bestValue === -Infinity ? null : { value: bestValue, cost: bestCost, pick: bestPick };
}
