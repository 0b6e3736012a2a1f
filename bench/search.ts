// Time per plan for each search strategy on three spaces: the paper's setting (4 widths, encoder +
// 3 tasks: 256 configurations), 20 tasks (CIFAR100-MTL-like: 4^21 configurations) and a per-layer
// space (8 encoder stages + 4 tasks x 2 head groups = 16 groups, 4^16 configurations). Prints
// figures only; the target is under 1 ms per plan for a few hundred configurations.
// Run: npx tsx bench/search.ts

import type { CostTable } from "../compiler/cost/types";
import { isSearchError, plan, type Plan } from "../runtime/search/index";
import { makeTable, WIDTHS4 } from "../runtime/search/test-tables";
import { STRATEGY_OPTIONS } from "../runtime/search/types";

interface Space {
  readonly name: string;
  readonly table: CostTable;
  readonly prefer: Record<string, number>;
}

const spaces: Space[] = [
  {
    name: "encoder + 3 tasks (256 configs)",
    table: makeTable({ choices: [...WIDTHS4], tasks: 3, names: ["semseg", "depth", "normals"] }),
    prefer: { semseg: 5, depth: 3, normals: 2 },
  },
  {
    name: "20 tasks (4^21 configs)",
    table: makeTable({ choices: [...WIDTHS4], tasks: 20, headShare: [0.03, 0.05, 0.02] }),
    prefer: {},
  },
  {
    name: "per-layer, 16 groups (4^16 configs)",
    table: makeTable({ choices: [...WIDTHS4], tasks: 4, stages: 8, headGroups: 2 }),
    prefer: { t0: 4, t1: 3, t2: 2, t3: 1 },
  },
];
for (const s of spaces)
  if (Object.keys(s.prefer).length === 0) s.table.tasks.forEach((t, i) => (s.prefer[t] = 1 + (i % 5)));

const strategies = STRATEGY_OPTIONS;
const budgets = ["40%", "60%", "80%"];

function time(fn: () => Plan, budgetMs: number): { ms: number; runs: number; last: Plan } {
  const t0 = performance.now();
  let last = fn(); // warm-up (JIT); a slow first run is the figure itself
  if (performance.now() - t0 > 100) return { ms: performance.now() - t0, runs: 1, last };
  const start = performance.now();
  let runs = 0;
  do {
    last = fn();
    runs++;
  } while (performance.now() - start < budgetMs && runs < 2000);
  return { ms: (performance.now() - start) / runs, runs, last };
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  [
    pad("space", 38),
    pad("budget", 8),
    pad("strategy", 14),
    pad("ms/plan", 10),
    pad("objective", 11),
    pad("vs exact", 10),
  ]
    .concat("strategy run")
    .join(""),
);
for (const s of spaces) {
  for (const budget of budgets) {
    const results = new Map<string, Plan>();
    for (const strategy of strategies) {
      const run = () => {
        const r = plan(s.table, { budget, prefer: s.prefer }, { strategy });
        if (isSearchError(r)) throw new Error(`${s.name} ${strategy}: ${r.message}`);
        return r;
      };
      const { ms, last } = time(run, 300);
      results.set(strategy, last);
      const ex = results.get("exact");
      const vs = ex ? `${((last.objective / ex.objective) * 100).toFixed(2)}%` : "";
      const msText = ms < 1 ? ms.toFixed(3) : ms.toFixed(1);
      const cells = [pad(s.name, 38), pad(budget, 8), pad(strategy, 14), pad(msText, 10)];
      console.log([...cells, pad(last.objective.toFixed(5), 11), pad(vs, 10), last.strategy].join(""));
    }
  }
}
