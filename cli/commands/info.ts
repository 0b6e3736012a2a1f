// `mtl info MODEL.onnx`: what a compiled file holds — tasks, inputs, width groups, and the cost
// of configurations (all of them when there are few, else per group).
import { costAt } from "../../compiler/cost/table";
import type { Config } from "../../compiler/ir/types";
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
    ...m.tasks.map((t) => `  ${t.name.padEnd(16)} decode ${JSON.stringify(t.decode)}${lossText(t)}${t.metric ? `  metric ${t.metric}` : ""}  -> ${t.outputs.join(", ")}`),
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
    const fullConfig = Object.fromEntries(a.costs.groups.map((g) => [g.name, g.choices.length - 1]));
    for (const g of a.costs.groups) {
      const cells = g.choices.map((w, i) => {
        const c = costAt(a.costs, { ...fullConfig, [g.name]: i });
        return `${w}: ${human(c.macs)} MACs ${human(c.params)} params`;
      });
      lines.push(`  ${g.name.padEnd(16)} ${cells.join(" | ")}`);
    }
  }
  if (o.params) lines.push("", "parameters:", ...paramList(a).map((p) => `  ${p.name} [${p.shape.join(", ")}]`));
  out.log(lines.join("\n"));
  return 0;
}

function paramList(a: Artifact): { name: string; shape: readonly number[] }[] {
  return a.model.graph.initializers.filter((t) => t.dtype === "float" && !t.name.startsWith("const") && /\.(weight|bias|running_mean|running_var|in_proj_weight|in_proj_bias)$|^[^.]+$/.test(t.name)).map((t) => ({ name: t.name, shape: t.dims }));
}

/** `  loss cross_entropy(ignore: 255)`, or nothing for a task without a loss. */
function lossText(t: { loss: string | null; ignoreIndex?: number }): string {
  if (!t.loss) return "";
  return t.ignoreIndex === undefined ? `  loss ${t.loss}` : `  loss ${t.loss}(ignore: ${t.ignoreIndex})`;
}
