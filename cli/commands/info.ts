// `mtl info MODEL.onnx`: what a compiled file holds — tasks, inputs, width groups, and the cost
// of configurations (all of them when there are few, else per group).
import { costAt } from "../../compiler/cost/table";
import type { Config } from "../../compiler/ir/types";
import type { CostTable, CostTerm } from "../../compiler/cost/types";
import { readArtifact, type Artifact } from "../../runtime/artifact";
import { parameterList, type ParameterEntry } from "../../runtime/parameters";
import { readBytes } from "../files";
import { describeStatic } from "../../runtime/static-model";
import { human, plural } from "../format";
import { out } from "../io";
import { int8Info, int8Lines } from "./info-int8";
import { sourceLine } from "../source-record";

export interface InfoOptions {
  json?: boolean;
  params?: boolean;
  all?: boolean;
}

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

export function configTable(
  a: Artifact,
  limit: number,
): {
  rows: {
    config: Record<string, number>;
    macs: number;
    params: number;
    byPart: Record<string, { macs: number; params: number }>;
  }[];
  total: number;
} {
  const total = a.costs.groups.reduce((n, g) => n * g.choices.length, 1);
  const rows = [];
  if (total <= limit) {
    for (const c of configs(a)) {
      const cost = costAt(a.costs, c);
      rows.push({
        config: Object.fromEntries(a.costs.groups.map((g) => [g.name, g.choices[c[g.name]]])),
        macs: cost.macs,
        params: cost.params,
        byPart: cost.byPart,
      });
    }
  }
  return { rows, total };
}

/** Whether plans use measured utilities (a profile from `mtl eval --write`) or the proxy. */
function measuredLine(a: Artifact): string {
  const p = a.profile?.measured;
  if (!a.profile) return "utilities: proxy (no measured profile; see `mtl eval --write`)";
  if (!p) return "utilities: measured profile (no provenance)";
  return `utilities: measured on ${p.data} (${p.split}), ${p.images} images, ${plural(p.configurations, "configuration")}`;
}

export function runInfo(path: string, o: InfoOptions): number {
  const bytes = readBytes(path, "model file");
  const a = readArtifact(bytes, path);
  const m = a.meta;
  const table = configTable(a, o.all ? 1e6 : 256);
  const int8 = a.staticConfig ? null : int8Info(bytes, a, path);
  if (o.json) {
    const params = o.params ? parameterList(a.model.graph) : undefined;
    out.log(
      JSON.stringify(
        {
          metadata: m,
          costs: a.costs,
          staticConfig: a.staticConfig,
          configurations: table,
          params,
          measured: a.profile?.measured ?? null,
          int8: int8 instanceof Error ? { error: int8.message, code: int8.code } : int8,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const full = costAt(a.costs, Object.fromEntries(a.costs.groups.map((g) => [g.name, g.choices.length - 1])));
  const small = costAt(a.costs, Object.fromEntries(a.costs.groups.map((g) => [g.name, 0])));
  const lines = [
    `model ${m.name}  (${path}, source hash ${m.sourceHash})`,
    ...sourceLine(path, a.model.docString),
    a.staticConfig
      ? `static configuration: ${describeStatic(a.staticConfig)}`
      : `widths ${m.widths.join(", ")}; ${plural(table.total, "configuration")}`,
    measuredLine(a),
    ...(a.staticConfig ? [] : int8Lines(int8, table.total)),
    "",
    "inputs:",
    ...m.inputs.map((i) => {
      const p = i.preprocess;
      const image = p ? ` as image(mean: [${p.mean.join(", ")}], std: [${p.std.join(", ")}])` : "";
      return `  ${i.name}: ${i.dtype}[${i.shape.join(", ")}]${image}`;
    }),
    "",
    "tasks:",
    ...m.tasks.map(
      (t) =>
        `  ${t.name.padEnd(16)} decode ` +
        `${JSON.stringify(t.decode)}${lossText(t)}${t.metric ? `  metric ${t.metric}` : ""} ` +
        ` -> ${t.outputs.join(", ")}`,
    ),
    "",
    "width groups:",
    ...(m.groups.length
      ? m.groups.map((g) => `  ${g.name.padEnd(16)} part ${g.part.padEnd(12)} choices ${g.choices.join(", ")}`)
      : ["  (none: a static model)"]),
    "",
    a.staticConfig
      ? `cost: ${human(full.macs)} MACs, ${human(full.params)} params (its one configuration)`
      : `cost: ${human(full.macs)} MACs, ${human(full.params)} params at full width; ` +
        `${human(small.macs)} MACs, ${human(small.params)} params at the smallest`,
  ];
  const budgets = m.budgets
    .map((b) => `${b.metric} <= ${b.relative ? `${b.value * 100}%` : human(b.value)}`)
    .join(", ");
  if (m.budgets.length)
    lines.push(`budgets: ${budgets}${a.staticConfig ? " (in the source; the static configuration is fixed)" : ""}`);
  if (Object.keys(m.prefer).length)
    lines.push(
      `prefer: ${Object.entries(m.prefer)
        .map(([t, v]) => `${t}: ${v}`)
        .join(", ")}`,
    );
  if (table.rows.length) {
    const parts = ["shared", ...m.tasks.map((t) => t.name)];
    lines.push("", "configurations (MACs per part):");
    lines.push(
      `  ${a.costs.groups.map((g) => g.name.padStart(10)).join(" ")} | ${"MACs".padStart(9)} ` +
        `${"params".padStart(9)} | ${parts.map((p) => p.padStart(9)).join(" ")}`,
    );
    for (const r of table.rows)
      lines.push(
        `  ${a.costs.groups.map((g) => String(r.config[g.name]).padStart(10)).join(" ")} | ` +
          `${human(r.macs).padStart(9)} ${human(r.params).padStart(9)} ` +
          `| ${parts.map((p) => human(r.byPart[p]?.macs ?? 0).padStart(9)).join(" ")}`,
      );
  } else if (table.total > 1) {
    // Too many to list: each group's choices with every other group at full width.
    lines.push(
      "",
      `${table.total} configurations, too many to list (--all lists up to a million); per group, the others at full width:`,
    );
    const perGroup = costPerGroupChoice(a.costs, full);
    for (const g of a.costs.groups) {
      const costs = perGroup.get(g.name)!;
      const cells = g.choices.map((w, i) => `${w}: ${human(costs[i].macs)} MACs ${human(costs[i].params)} params`);
      lines.push(`  ${g.name.padEnd(16)} ${cells.join(" | ")}`);
    }
  }
  if (o.params) lines.push("", ...paramLines(a));
  out.log(lines.join("\n"));
  return 0;
}

type MacsParams = { macs: number; params: number };

/**
 * For each group and choice, the model's cost with that group at that choice and every other group at
 * full width. Only the terms that depend on a group change with it, so this is linear in the table's
 * size (calling costAt per cell was quadratic in tasks: 1,000 tasks took 33 s).
 */
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
    out.set(
      g.name,
      g.choices.map((_, i) => {
        let macs = full.macs;
        let params = full.params;
        for (const t of termsOf.get(g.name)!) {
          macs += t.macs[entry(t, g.name, i)] - t.macs[entry(t, g.name, full_)];
          params += t.params[entry(t, g.name, i)] - t.params[entry(t, g.name, full_)];
        }
        return { macs, params };
      }),
    );
  }
  return out;
}

/** Parameters (which sum to the model's parameter count at full width), then BatchNorm statistics. */
function paramLines(a: Artifact): string[] {
  const all = parameterList(a.model.graph);
  const groups = (names: readonly string[]) => names.map((g) => `\`${g}\``).join(" x ");
  const perWidth = (p: ParameterEntry) => (p.perWidthOf ? `  (one row per width of ${groups(p.perWidthOf)})` : "");
  const row = (p: ParameterEntry) => `  ${p.name} [${p.shape.join(", ")}]${perWidth(p)}`;
  const params = all.filter((p) => !p.statistic);
  const stats = all.filter((p) => p.statistic);
  const total = params.reduce((n, p) => n + p.count, 0);
  const lines = [
    `parameters (${plural(params.length, "tensor")}, ${total.toLocaleString("en-US")} values at full width):`,
  ];
  lines.push(...params.map(row));
  if (stats.length)
    lines.push(
      "",
      `BatchNorm statistics (${plural(stats.length, "tensor")}, state, not parameters):`,
      ...stats.map(row),
    );
  return lines;
}

/** `  loss cross_entropy(ignore: 255)`, or nothing for a task without a loss. */
function lossText(t: { loss: string | null; ignoreIndex?: number }): string {
  if (!t.loss) return "";
  return t.ignoreIndex === undefined ? `  loss ${t.loss}` : `  loss ${t.loss}(ignore: ${t.ignoreIndex})`;
}
