import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EXACT_WORK_LIMIT, explain, plan } from "./index";
import { arbPrefer, arbTable, latencyLike, makeTable, WIDTHS4 } from "./test-tables";
import { isSearchError, type Plan } from "./types";

const STRATEGIES = ["paper", "exact", "evolutionary", "auto"] as const;
const nyud = makeTable({ choices: [...WIDTHS4], tasks: 3, names: ["semseg", "depth", "normals"] });

function mustPlan(r: ReturnType<typeof plan>): Plan {
  if (isSearchError(r)) throw new Error(`${r.code}: ${r.message}`);
  return r;
}

/** Cost of a configuration straight from the table, independently of the search's compiled terms. */
function tableCost(t: typeof nyud, config: Record<string, number>, tasks: readonly string[], key: "macs" | "params") {
  let total = 0;
  for (const term of t.terms) {
    if (term.part !== "shared" && !tasks.includes(term.part)) continue;
    let index = 0;
    for (const g of term.groups) index = index * t.groups.find((x) => x.name === g)!.choices.length + config[g];
    total += term[key][index];
  }
  return total;
}

const arbRequest = arbTable({ maxStages: 2, maxHeadGroups: 2 }).chain((t) =>
  fc.tuple(
    fc.constant(t),
    arbPrefer(t.tasks),
    fc.subarray([...t.tasks], { minLength: 1 }),
    fc.double({ min: 0.05, max: 1.2, noNaN: true }),
    fc.constantFrom("macs", "params"),
    fc.constantFrom(...STRATEGIES),
  ),
);

describe("plan", () => {
  it("never exceeds its budget, and reports the table's own cost", () => {
    fc.assert(
      fc.property(arbRequest, ([t, prefer, tasks, frac, metric, strategy]) => {
        const prefs = tasks.some((x) => prefer[x] > 0) ? prefer : undefined;
        const r = plan(t, { prefer: prefs, tasks, budget: { [metric]: `${frac * 100}%` } }, { strategy });
        if (isSearchError(r)) {
          expect(r.code).toBe("infeasible");
          // the named minimum is real: it is the cost of the narrowest configuration, above the budget
          const narrow = Object.fromEntries(t.groups.map((g) => [g.name, 0]));
          expect(r.minimum).toBe(tableCost(t, narrow, tasks, metric));
          expect(r.minimum!).toBeGreaterThan(
            frac * tableCost(t, Object.fromEntries(t.groups.map((g) => [g.name, g.choices.length - 1])), tasks, metric),
          );
          return;
        }
        expect(r.cost.total).toBeLessThanOrEqual(r.budget.limit);
        expect(r.cost.total).toBe(tableCost(t, r.config, tasks, metric));
        expect(r.cost.macs).toBe(tableCost(t, r.config, tasks, "macs"));
        expect(Object.keys(r.cost.byPart).sort()).toEqual(["shared", ...tasks].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same plan for the same inputs", () => {
    fc.assert(
      fc.property(arbRequest, fc.integer(), ([t, prefer, tasks, frac, metric, strategy], seed) => {
        fc.pre(tasks.some((x) => prefer[x] > 0));
        const ask = () => plan(t, { prefer, tasks, budget: { [metric]: `${frac * 100}%` } }, { strategy, seed });
        expect(ask()).toEqual(ask());
      }),
      { numRuns: 100 },
    );
  });

  it("succeeds at exactly the minimum it names for an impossible budget", () => {
    const r = plan(nyud, { budget: "1M", tasks: ["semseg", "depth"] });
    expect(isSearchError(r) && r.code).toBe("infeasible");
    if (!isSearchError(r)) return;
    expect(r.message).toContain("semseg, depth");
    for (const strategy of STRATEGIES) {
      const ok = mustPlan(plan(nyud, { budget: r.minimum!, tasks: ["semseg", "depth"] }, { strategy }));
      expect(ok.cost.total).toBe(r.minimum);
    }
  });

  it("does not pay for tasks that are off", () => {
    const p = mustPlan(plan(nyud, { tasks: ["depth"] }));
    expect(p.off).toEqual(["semseg", "normals"]);
    expect(p.config).toMatchObject({ semseg: 0, normals: 0 });
    expect(p.cost.total).toBe(tableCost(nyud, p.config, ["depth"], "macs"));
    expect(p.groups.map((g) => g.name)).toEqual(["backbone", "depth"]);
  });

  it("resolves a relative budget against the full model with only the requested tasks on", () => {
    const p = mustPlan(plan(nyud, { tasks: ["semseg"], budget: "50%" }));
    const full = tableCost(nyud, { backbone: 3, semseg: 3, depth: 3, normals: 3 }, ["semseg"], "macs");
    expect(p.budget).toEqual({ metric: "macs", limit: 0.5 * full, relative: 0.5, full });
  });

  it("names the binding constraint", () => {
    expect(mustPlan(plan(nyud, {})).binding.kind).toBe("max-width");
    expect(mustPlan(plan(nyud, { budget: "60%" }, { strategy: "exact" })).binding.kind).toBe("budget");
    // the paper rule keeps the least preferred decoder narrow even with budget to spare
    const paper = mustPlan(
      plan(nyud, { budget: "95%", prefer: { semseg: 2, depth: 1, normals: 1 } }, { strategy: "paper" }),
    );
    expect(paper.binding.kind).toBe("preference");
    expect(paper.binding.detail).toContain("depth");
    // a zero-preference task gets nothing from widening, so exact leaves it narrow
    const zero = mustPlan(plan(nyud, { prefer: { semseg: 1, depth: 1 } }, { strategy: "exact" }));
    expect(zero.binding.kind).toBe("preference");
    expect(zero.widths.normals).toBe(0.25);
  });

  it("picks exact for small spaces and evolutionary for large per-layer ones", () => {
    expect(mustPlan(plan(nyud, { budget: "60%" })).strategy).toBe("exact");
    const twenty = makeTable({ choices: [...WIDTHS4], tasks: 20 });
    expect(mustPlan(plan(twenty, { budget: "60%" })).strategy).toBe("exact");
    const perLayer = makeTable({ choices: [...WIDTHS4], tasks: 4, stages: 8, headGroups: 2 });
    const p = mustPlan(plan(perLayer, { budget: "60%" }));
    expect(p.strategy).toBe("evolutionary");
    expect(p.reason).toContain(String(EXACT_WORK_LIMIT));
  });

  it.each([
    [{ strategy: "greedy" }, "bad-option"],
    [{ seed: 1.5 }, "bad-option"],
  ])("rejects options %j", (options, code) => {
    const r = plan(nyud, {}, options as never);
    expect(isSearchError(r) && r.code).toBe(code);
  });

  it("explains itself", () => {
    const p = mustPlan(
      plan(nyud, { budget: "60%", prefer: { semseg: 2, depth: 1, normals: 1 }, tasks: ["semseg", "depth", "normals"] }),
    );
    const text = explain(p);
    expect(text).toContain("strategy: exact (auto: exact search");
    expect(text).toMatch(/budget: macs <= 4\.7\dG \(60% of 7\.8\dG\); uses /);
    expect(text).toContain("binding: budget");
    for (const t of ["semseg", "depth", "normals", "backbone"]) expect(text).toContain(t);
    expect(text).toContain("preference 0.50");
  });
});

describe("plan on unusual tables", () => {
  it("handles heads that do not slim and terms that depend on no group", () => {
    const base = makeTable({ choices: [...WIDTHS4], tasks: 2 });
    const t = {
      ...base,
      groups: base.groups.filter((g) => g.name !== "t1"),
      terms: [
        ...base.terms.filter((x) => x.part !== "t1"),
        { part: "t1", groups: ["backbone"], macs: [1e7, 2e7, 3e7, 4e7], params: [10, 20, 30, 40] },
        { part: "shared", groups: [], macs: [5e6], params: [1000] },
      ],
    };
    for (const strategy of STRATEGIES) {
      const p = mustPlan(plan(t, { budget: "50%", prefer: { t0: 1, t1: 3 } }, { strategy }));
      expect(p.cost.total).toBeLessThanOrEqual(p.budget.limit);
      expect(p.groups.map((g) => g.name)).toEqual(["backbone", "t0"]);
      expect(p.cost.total).toBe(tableCost(t, p.config, ["t0", "t1"], "macs"));
    }
  });

  it("reports predicted latency when a latency table is given", () => {
    const p = mustPlan(plan(nyud, { budget: "params <= 70%" }, { latency: latencyLike(nyud) }));
    expect(p.cost.metric).toBe("params");
    expect(p.cost.latencyMs).toBeGreaterThan(0);
    expect(explain(p)).toMatch(/totals: .*ms predicted/);
  });
});
