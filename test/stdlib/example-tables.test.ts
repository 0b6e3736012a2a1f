// Every examples/*.mtl compiles to a cost table, and docs/stdlib.md holds its configuration table:
// every configuration (the layout of `mtl info`) when there are at most 256, else the per-group
// view (the whole model's cost with one group slimmed and every other at full width).
// MTL_PRINT=file appends the tables to that file, to paste into the docs.
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optimise } from "../../compiler/compile";
import { buildCostTable, costAt } from "../../compiler/cost/table";
import type { CostTable } from "../../compiler/cost/types";
import { fileHost } from "../../cli/host";
import { human } from "../../cli/format";
import { checkProgram } from "../../compiler/index";

const root = join(import.meta.dirname, "..", "..");
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".mtl"))
  .sort();
const docs = readFileSync(join(root, "docs", "stdlib.md"), "utf8");

type Config = Record<string, number>;
const fullConfig = (t: CostTable): Config => Object.fromEntries(t.groups.map((g) => [g.name, g.choices.length - 1]));

function* allConfigs(t: CostTable): Generator<Config> {
  const idx = t.groups.map(() => 0);
  while (true) {
    yield Object.fromEntries(t.groups.map((g, i) => [g.name, idx[i]]));
    let k = t.groups.length - 1;
    while (k >= 0 && ++idx[k] === t.groups[k].choices.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

/** The configuration table as docs/stdlib.md prints it. */
export function renderTable(t: CostTable): string {
  const total = t.groups.reduce((n, g) => n * g.choices.length, 1);
  const full = costAt(t, fullConfig(t));
  const small = costAt(t, Object.fromEntries(t.groups.map((g) => [g.name, 0])));
  const head =
    `${total} configurations; ${human(full.macs)} MACs, ${human(full.params)} params at ` +
    `full width; ${human(small.macs)} MACs, ${human(small.params)} params at the smallest.`;
  if (total <= 256) {
    const parts = ["shared", ...t.tasks];
    const lines = [
      `  ${t.groups.map((g) => g.name.padStart(10)).join(" ")} | ${"MACs".padStart(9)} ${"params".padStart(9)} ` +
        `| ${parts.map((p) => p.padStart(9)).join(" ")}`,
    ];
    for (const c of allConfigs(t)) {
      const cost = costAt(t, c);
      lines.push(
        `  ${t.groups.map((g) => String(g.choices[c[g.name]]).padStart(10)).join(" ")} | ` +
          `${human(cost.macs).padStart(9)} ${human(cost.params).padStart(9)} ` +
          `| ${parts.map((p) => human(cost.byPart[p]?.macs ?? 0).padStart(9)).join(" ")}`,
      );
    }
    return [head, "", "```text", "configurations (MACs per part):", ...lines, "```"].join("\n");
  }
  const choices = t.groups[0].choices;
  const rows = t.groups.map((g) => {
    const cells = g.choices.map((_, i) => {
      const c = costAt(t, { ...fullConfig(t), [g.name]: i });
      return `${human(c.macs)} / ${human(c.params)}`;
    });
    return `| \`${g.name}\` | ${g.part} | ${cells.join(" | ")} |`;
  });
  return [
    head,
    "",
    `| group | part | ${choices.join(" | ")} |`,
    `| --- | --- | ${choices.map(() => "---").join(" | ")} |`,
    ...rows,
  ].join("\n");
}

describe("example configuration tables in docs/stdlib.md", () => {
  for (const file of examples)
    it(file, () => {
      const source = `examples/${file}`;
      const r = checkProgram(source, fileHost(join(root, source), root));
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const table = renderTable(buildCostTable(optimise(r.graphs[0])));
      if (process.env.MTL_PRINT) appendFileSync(process.env.MTL_PRINT, `\n<!-- ${file} -->\n${table}\n`);
      expect(docs, `docs/stdlib.md lacks the table of ${file} (MTL_PRINT=file writes it)`).toContain(table);
    });
});
