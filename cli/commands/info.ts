// `mtl info MODEL.onnx`: what a compiled file holds — tasks, inputs, width groups, and the cost
// of configurations (all of them when there are few, else per group).
import { costAt } from "../../compiler/cost/table";
import type { Config } from "../../compiler/ir/types";
import type { CostTable, CostTerm } from "../../compiler/cost/types";
import { readArtifact, type Artifact } from "../../runtime/artifact";
import { readBytes } from "../files";
import { out } from "../io";

export interface InfoOptions {
  json?: boolean;
  params?: boolean;
  all?: boolean;
}

const human = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(3)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(Math.round(n));

/** Every configuration, when the space is small enough to list. */
function* configs(a: Artifact): Generator<Config> {
  const groups = a.costs.groups;
  const idx = groups.map(() => 0);
  while (true) {
    yield Object.fromEntries(groups.map((g, i) => [g.name, idx[i]]));
    let k = groups.length - 1;
    while (k >= 0 && ++idx[k] === groups[k].choices.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

export function configTable(a: Artifact, limit: number): { rows: { config: Record<string, number>; macs: number; params: number; byPart: Record<string, { macs: number; params: number }> }[]; total: number } {
  const total = a.costs.groups.reduce((n, g) => n * g.choices.length, 1);
  const rows = [];
  if (total <= limit) {
    for (const c of configs(a)) {
      const cost = costAt(a.costs, c);
      rows.push({ config: Object.fromEntries(a.costs.groups.map((g) => [g.name, g.choices[c[g.name]]])), macs: cost.macs, params: cost.params, byPart: cost.byPart });
    }
  }
  return { rows, total };
}

export function runInfo(path: string, o: InfoOptions): number {
  const a = readArtifact(readBytes(path, "model file"), path);
  const m = a.meta;
  const table = configTable(a, o.all ? 1e6 : 256);
  if (o.json) {
    out.log(JSON.stringify({ metadata: m, costs: a.costs, staticConfig: a.staticConfig, configurations: table, params: o.params ? paramList(a) : undefined }, null, 2));
    return 0;
  }
  const full = costAt(a.costs, Object.fromEntries(a.costs.groups.map((g) => [g.name, g.choices.length - 1])));
  const small = costAt(a.costs, Object.fromEntries(a.costs.groups.map((g) => [g.name, 0])));
  const lines = [
    `model ${m.name}  (${path}, source hash ${m.sourceHash})`,
    a.staticConfig ? `static configuration: ${Object.entries(a.staticConfig).map(([g, w]) => `${g}=${w}`).join(", ")}` : `widths ${m.widths.join(", ")}; ${table.total} configurations`,
    "",
    "inputs:",
    ...m.inputs.map((i) => `  ${i.name}: ${i.dtype}[${i.shape.join(", ")}]${i.preprocess ? ` as image(mean: [${i.preprocess.mean.join(", ")}], std: [${i.preprocess.std.join(", ")}])` : ""}`),
    "",
    "tasks:",
    ...m.tasks.map((t) => `  ${t.name.padEnd(16)} decode ${JSON.stringify(t.decode)}${t.loss ? `  loss ${t.loss}` : ""}${t.metric ? `  metric ${t.metric}` : ""}  -> ${t.outputs.join(", ")}`),
    "",
    "width groups:",
    ...(m.groups.length ? m.groups.map((g) => `  ${g.name.padEnd(16)} part ${g.part.padEnd(12)} choices ${g.choices.join(", ")}`) : ["  (none: a static model)"]),
    "",
    `cost: ${human(full.macs)} MACs, ${human(full.params)} params at full width; ${human(small.macs)} MACs, ${human(small.params)} params at the smallest`,
  ];
  if (m.budgets.length) lines.push(`budgets: ${m.budgets.map((b) => `${b.metric} <= ${b.relative ? `${b.value * 100}%` : human(b.value)}`).join(", ")}`);
  if (Object.keys(m.prefer).length) lines.push(`prefer: ${Object.entries(m.prefer).map(([t, v]) => `${t}: ${v}`).join(", ")}`);
  if (table.rows.length) {
    const parts = ["shared", ...m.tasks.map((t) => t.name)];
    lines.push("", "configurations (MACs per part):");
    lines.push(`  ${a.costs.groups.map((g) => g.name.padStart(10)).join(" ")} | ${"MACs".padStart(9)} ${"params".padStart(9)} | ${parts.map((p) => p.padStart(9)).join(" ")}`);
    for (const r of table.rows)
      lines.push(`  ${a.costs.groups.map((g) => String(r.config[g.name]).padStart(10)).join(" ")} | ${human(r.macs).padStart(9)} ${human(r.params).padStart(9)} | ${parts.map((p) => human(r.byPart[p]?.macs ?? 0).padStart(9)).join(" ")}`);
  } else if (table.total > 1) {
    // Too many to list: each group's choices with every other group at full width.
    lines.push("", `${table.total} configurations, too many to list (--all lists up to a million); per group, the others at full width:`);
    const perGroup = costPerGroupChoice(a.costs, full);
    for (const g of a.costs.groups) {
      const costs = perGroup.get(g.name)!;
      const cells = g.choices.map((w, i) => `${w}: ${human(costs[i].macs)} MACs ${human(costs[i].params)} params`);
      lines.push(`  ${g.name.padEnd(16)} ${cells.join(" | ")}`);
    }
  }
  if (o.params) lines.push("", "parameters:", ...paramList(a).map((p) => `  ${p.name} [${p.shape.join(", ")}]`));
  out.log(lines.join("\n"));
  return 0;
}

/**
 * For each group and choice, the model's cost with that group at that choice and every other group at
 * full width. Only the terms that depend on a group change with it, so this is linear in the table's
 * size (calling costAt per cell was quadratic in tasks: 1,000 tasks took 33 s).
 */
type MacsParams = { macs: number; params: number };

export function costPerGroupChoice(table: CostTable, full: MacsParams): Map<string, MacsParams[]> {
  const counts = new Map(table.groups.map((g) => [g.name, g.choices.length]));
  const termsOf = new Map<string, CostTerm[]>(table.groups.map((g) => [g.name, []]));
  for (const t of table.terms) for (const g of new Set(t.groups)) termsOf.get(g)?.push(t);
  // A term's entry with every group at full width except `group` at `choice`.
  const entry = (t: CostTerm, group: string, choice: number): number => {
    let index = 0;
    for (const g of t.groups) {
      const k = counts.get(g)!;
      index = index * k + (g === group ? choice : k - 1);
    }
    return index;
  };
  const out = new Map<string, { macs: number; params: number }[]>();
  for (const g of table.groups) {
    const full_ = g.choices.length - 1;
    out.set(g.name, g.choices.map((_, i) => {
      let macs = full.macs;
      let params = full.params;
      for (const t of termsOf.get(g.name)!) {
        macs += t.macs[entry(t, g.name, i)] - t.macs[entry(t, g.name, full_)];
        params += t.params[entry(t, g.name, i)] - t.params[entry(t, g.name, full_)];
      }
      return { macs, params };
    }));
  }
  return out;
}

function paramList(a: Artifact): { name: string; shape: readonly number[] }[] {
  return a.model.graph.initializers.filter((t) => t.dtype === "float" && !t.name.startsWith("const") && /\.(weight|bias|running_mean|running_var|in_proj_weight|in_proj_bias)$|^[^.]+$/.test(t.name)).map((t) => ({ name: t.name, shape: t.dims }));
}
